"""``python -m ingest codeowners FILE --project P``: a repository's CODEOWNERS file as ownership
rules of one project (docs/teams.md). The import replaces the project's rules in one transaction;
loading the same file again changes nothing. Owners become teams at query time (``[team_owners]``
in the config), so the numbers follow the config without a new import."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import ExitCode, FindingsError, Rejected
from core.teams import codeowners_regex, literal_chars, literal_regex, parse_codeowners
from store import sql
from store.db import Store

DELETE_SQL = "DELETE FROM codeowners WHERE project = $project"
INSERT_SQL = """
INSERT INTO codeowners (project, line_no, pattern, owners, owner, project_re, path_re, literals, source, loaded_at)
VALUES ($project, $line_no, $pattern, $owners, $owner, $project_re, $path_re, $literals, $source, $loaded_at)
"""
MAX_BYTES = 4 * 1024 * 1024


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("codeowners", help="load a CODEOWNERS file as the ownership rules of one project")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--project", required=True, help="the project whose paths the file describes")
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")


def load_codeowners(store: Store, path: Path, project: str) -> int:
    """Replace ``project``'s CODEOWNERS rules with those of ``path``; returns the number of rules."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Rejected(f"{path}: cannot read: {e.strerror or e}") from e
    if len(data) > MAX_BYTES:
        raise Rejected(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB: not a CODEOWNERS file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Rejected(f"{path}: not UTF-8 text") from e
    lines = parse_codeowners(text)
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.write() as conn:
        sql.execute(conn, DELETE_SQL, {"project": project})
        for line in lines:
            values = {
                "project": project,
                "line_no": line.line_no,
                "pattern": line.pattern,
                "owners": " ".join(line.owners),
                "owner": line.owner,
                "project_re": literal_regex(project),
                "path_re": codeowners_regex(line.pattern),
                "literals": literal_chars(project) + literal_chars(line.pattern.strip("/")),
                "source": path.name,
                "loaded_at": now,
            }
            sql.execute(conn, INSERT_SQL, values)
    return len(lines)


def run(args: argparse.Namespace) -> int:
    try:
        n = load_codeowners(Store(args.db), Path(args.file), args.project)
    except FindingsError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    print(f"{args.file}: {n} ownership rule(s) for project {args.project}")
    return ExitCode.OK
