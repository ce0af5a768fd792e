"""``python -m ingest git|deployments|incidents``: load DevOps inputs for the DORA metrics.

``add_parsers(subparsers)`` adds the three subcommands to the ingest parser; ``run(args)`` runs
one of them (``args.command`` in ``COMMANDS``) and returns an ``ExitCode``: 0 loaded or already
loaded, 2 usage error, 3 rejected — one stderr line ``PATH: rejected: reason``, followed by one
indented line per bad row.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from core.errors import ExitCode, Rejected, StoreError, UsageError
from ingest.devops.records import PRODUCTION, DevopsOutcome, SourceKind
from ingest.load import record_rejection
from store.db import Store

COMMANDS = ("git", "deployments", "incidents")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    p.add_argument("--json", action="store_true", help="print a machine-readable report instead of lines")


def add_parsers(subparsers: Any) -> None:
    """Add ``git``, ``deployments`` and ``incidents`` to an ``add_subparsers()`` object."""
    git = subparsers.add_parser("git", help="read commits (and optionally tags as deployments) from a local repo")
    git.add_argument("repo", metavar="REPO_PATH")
    git.add_argument("--project", required=True)
    git.add_argument("--branch", help="only commits reachable from this branch (default: every ref)")
    git.add_argument(
        "--tags-as-deployments",
        nargs="?",
        const="*",
        default=None,
        metavar="GLOB",
        help="each tag matching GLOB (default *) is a successful deployment at the tag's time",
    )
    git.add_argument("--environment", default=PRODUCTION, help="environment of tag deployments (default production)")
    _common(git)
    for kind, columns in (
        ("deployments", "id, project, environment, started_at, finished_at, status, sha[, commits, planned]"),
        ("incidents", "id, project, created_at[, resolved_at, deployment_id, cause_sha]"),
    ):
        p = subparsers.add_parser(kind, help=f"load {kind} from CSV or JSON: {columns}")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--project", help="project of rows that name none")
        _common(p)


def _print(outcome: DevopsOutcome, as_json: bool, out: TextIO, err: TextIO) -> None:
    for w in outcome.warnings:
        err.write(f"{outcome.path}: warning: {w}\n")
    if as_json:
        out.write(json.dumps(outcome.as_dict(), indent=2) + "\n")
        return
    if outcome.already_loaded:
        out.write(f"{outcome.path}: already loaded\n")
    elif outcome.kind is SourceKind.GIT:
        out.write(
            f"{outcome.path}: {outcome.rows} commit(s) read, {outcome.commits_new} new; "
            f"{outcome.deployments} tag deployment(s) (project {', '.join(outcome.projects)})\n"
        )
    else:
        out.write(
            f"{outcome.path}: loaded {outcome.rows} {outcome.kind.value.rstrip('s')}(s) "
            f"(project(s) {', '.join(outcome.projects)})\n"
        )


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one parsed DevOps subcommand; returns the exit code."""
    from ingest.devops.load import load_git, load_records  # here: a SARIF load need not import it

    out = out or sys.stdout
    err = err or sys.stderr
    path = args.repo if args.command == "git" else args.file
    try:
        store = Store(args.db)
    except StoreError as e:
        err.write(f"error: {e}\n")
        return e.exit_code
    try:
        if args.command == "git":
            outcome = load_git(store, args.repo, args.project, args.branch, args.tags_as_deployments, args.environment)
        elif args.command in ("deployments", "incidents"):
            outcome = load_records(store, args.file, SourceKind(args.command), args.project or None)
        else:
            raise UsageError(f"unknown command {args.command!r}")
    except Rejected as e:
        err.write(f"{path}: rejected: {e}\n")
        if args.json:
            out.write(json.dumps({"path": str(path), "status": "rejected", "reason": str(e)}, indent=2) + "\n")
        with contextlib.suppress(StoreError):  # the rejection is reported either way
            record_rejection(store, str(path), None, str(e))
        return ExitCode.REJECTED
    except (UsageError, StoreError) as e:  # a busy store exits 4, an unreachable server 5
        err.write(f"error: {e}\n")
        return e.exit_code
    _print(outcome, args.json, out, err)
    return ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry (``python -m ingest.devops_cli``), the same as through ``python -m ingest``."""
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    add_parsers(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
