"""``python -m analytics``: summaries and CSV exports of the findings store.

    python -m analytics summary [filters] [--json]
    python -m analytics export KIND [filters] [--by COLUMNS] [--period P] -o FILE.csv

Filters: --project, --branch, --tool, --severity, --cwe, --rule (repeatable or comma-separated),
--since, --until (ISO 8601 date or time, UTC; a bare date as --until includes that whole day).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from analytics.csvout import to_csv
from analytics.exports import KINDS, Request, export
from analytics.filters import GROUP_COLUMNS, Filters, QueryError, split_list
from analytics.periods import PERIODS
from analytics.summary import render_text, summary_with_extras
from ingest.errors import ExitCode
from ingest.sarif import parse_time
from store.db import Store, StoreError
from store.settings import ConfigError, load_settings


def _time(text: str, *, end: bool = False) -> datetime:
    parsed = parse_time(text if "T" in text or " " in text else text + "T00:00:00")
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}")
    if end and "T" not in text and " " not in text:
        parsed += timedelta(days=1)  # --until 2026-03-31 includes the 31st
    return parsed


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    p.add_argument("--config", help="settings file (default $FINDINGS_CONFIG or ./config.toml)")
    for name in ("project", "branch", "tool", "severity", "cwe", "rule"):
        p.add_argument(f"--{name}", action="append", metavar=name.upper(), help=f"only these {name}s (repeatable)")
    p.add_argument("--since", type=_time, metavar="ISO8601", help="window start (inclusive)")
    p.add_argument("--until", type=lambda t: _time(t, end=True), metavar="ISO8601", help="window end (exclusive)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analytics",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summary", help="files, scans, findings, episodes, MTTR per tool, SLA and DORA headlines")
    _add_filters(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    e = sub.add_parser("export", help="write a CSV report")
    e.add_argument("kind", choices=list(KINDS))
    _add_filters(e)
    e.add_argument("--by", help=f"grouping columns, comma-separated: {', '.join(GROUP_COLUMNS)}")
    e.add_argument("--period", choices=PERIODS)
    e.add_argument("-o", "--output", required=True, help="CSV file to write, or - for standard output")
    return parser


def filters_from_args(args: argparse.Namespace) -> Filters:
    return Filters(
        projects=split_list(args.project),
        branches=split_list(args.branch),
        tools=split_list(args.tool),
        severities=tuple(s.lower() for s in split_list(args.severity)),
        cwes=tuple(c.upper() for c in split_list(args.cwe)),
        rules=split_list(args.rule),
        since=args.since,
        until=args.until,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        store = Store(args.db)
        filters = filters_from_args(args)
        if args.command == "summary":
            result = summary_with_extras(store, filters, settings)
            print(json.dumps(result, indent=2) if args.json else render_text(result))
            return ExitCode.OK
        request = Request(filters, split_list([args.by]) if args.by else (), args.period, settings)
        frame = export(store, args.kind, request)
        text = to_csv(frame)
    except (StoreError, ConfigError, QueryError) as e:
        print(f"error: {e}", file=sys.stderr)
        return ExitCode.USAGE
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.output}: {len(frame)} row(s)", file=sys.stderr)  # newlines in cells don't count
    return ExitCode.OK
