"""``python -m analytics``: summaries (and, later, exports) of the findings store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from analytics.summary import render_text, summary
from ingest.errors import ExitCode
from store.db import Store, StoreError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summary", help="files, scans, occurrences, findings, episodes, MTTR per tool")
    s.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = summary(Store(args.db))
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return ExitCode.USAGE
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(render_text(result))
    return ExitCode.OK
