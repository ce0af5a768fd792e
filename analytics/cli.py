"""``python -m analytics``: summaries, CSV exports and the sprint review pack of the findings store.

    python -m analytics summary [filters] [--json]
    python -m analytics export KIND [filters] [--by COLUMNS] [--period P] -o FILE.csv
    python -m analytics report sprint [--sprint N] [filters] -o review.html|review.md

Filters: --project, --branch, --tool, --severity, --cwe, --rule (repeatable or comma-separated),
--since, --until (ISO 8601 date or time, UTC; the window is [since, until); a bare date as --until
includes that whole day), --show-decided (findings under a risk decision counted as if undecided).
Read commands never create a database: a --db that does not exist is an error (exit 2). A filter
value that matches nothing is warned about, with the closest known values.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.catalog import teams, unmatched
from analytics.csvout import to_csv
from analytics.definitions import check_window
from analytics.exports import KINDS, Request, export
from analytics.filters import GROUP_COLUMNS, Filters, split_list
from analytics.summary import render_text, summary_with_extras
from core.errors import ExitCode, FindingsError, QueryError
from core.periods import PERIODS
from core.settings import Settings, load_settings
from core.times import EARLIEST, LATEST, TIME_RANGE
from store.db import Store

FILTERS = (  # flag, what the help says it selects
    ("project", "projects"),
    ("branch", "branches"),
    ("tool", "tools"),
    ("severity", "severities (critical, high, medium, low, info)"),
    ("cwe", "CWEs (CWE-79 or 79)"),
    ("rule", "rule ids"),
    ("team", "owning teams ([teams] in the config; 'unowned': findings no rule matches)"),
)


class DayEnd(datetime):
    """A window end given as a bare date: the midnight after that day (the day is included)."""


def parse_when(text: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date or time → naive UTC. A bare date as a window's end includes that day."""
    raw = text.strip()
    bare = len(raw) == 10
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if not EARLIEST <= parsed <= LATEST:
        raise argparse.ArgumentTypeError(f"{text!r} is outside {TIME_RANGE}")
    if end and bare:
        after = parsed + timedelta(days=1)  # --until 2026-03-31 includes the 31st
        return DayEnd(after.year, after.month, after.day)
    return parsed


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    p.add_argument("--config", help="settings file (default $FINDINGS_CONFIG or ./config.toml)")
    for name, what in FILTERS:
        p.add_argument(f"--{name}", action="append", metavar=name.upper(), help=f"only these {what} (repeatable)")
    p.add_argument("--since", type=parse_when, metavar="ISO8601", help="window start, included")
    p.add_argument(
        "--until",
        type=lambda t: parse_when(t, end=True),
        metavar="ISO8601",
        help="window end: a time is excluded; a bare date (2026-03-31) includes that whole day",
    )
    p.add_argument(
        "--show-decided",
        action="store_true",
        help="count findings under a risk decision (accepted, false positive, won't fix) as if undecided",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analytics",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "summary",
        help="files, scans, findings, episodes, MTTR per tool and project, SLA and DORA headlines",
        description="Counts of the window: open at its end; fixed, suppressed and reopened in it; MTTR of "
        "the episodes fixed in it.",
    )
    _add_filters(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(subparser=s)
    e = sub.add_parser("export", help="write a CSV report")
    e.add_argument("kind", choices=list(KINDS))
    _add_filters(e)
    e.add_argument("--by", help=f"grouping columns, comma-separated: {', '.join(GROUP_COLUMNS)}")
    e.add_argument("--period", choices=PERIODS)
    e.add_argument("-o", "--output", required=True, help="CSV file to write, or - for standard output")
    e.set_defaults(subparser=e)
    r = sub.add_parser(
        "report",
        help="write the sprint review pack: one self-contained HTML page, or Markdown for a wiki",
        description="The sprint review pack (docs/review.md): the sprint's headline, what needs action "
        "(new critical/high, critical/high past SLA, fixed; each against the previous sprint), the "
        "coverage warnings and the trend charts. HTML unless the output ends in .md or --format md.",
    )
    r.add_argument("kind", choices=["sprint"])
    r.add_argument("--sprint", type=int, metavar="N", help="the sprint to review (default: the window's latest)")
    _add_filters(r)
    r.add_argument("--format", choices=["html", "md"], help="html or md (default: from the output's suffix)")
    r.add_argument("-o", "--output", required=True, help="file to write, or - for standard output")
    r.set_defaults(subparser=r)
    return parser


def filters_from_args(args: argparse.Namespace) -> Filters:
    """The filters; a bare --until date before --since is a reversed window (QueryError)."""
    if isinstance(args.until, DayEnd) and args.since is not None and args.since >= args.until:
        last = args.until - timedelta(days=1)
        raise QueryError(f"the window is reversed: --since {args.since:%Y-%m-%d} is after --until {last:%Y-%m-%d}")
    return Filters(
        projects=split_list(args.project),
        branches=split_list(args.branch),
        tools=split_list(args.tool),
        severities=tuple(s.lower() for s in split_list(args.severity)),
        cwes=tuple(_cwe(c) for c in split_list(args.cwe)),
        rules=split_list(args.rule),
        teams=split_list(args.team),
        since=args.since,
        until=args.until,
        show_decided=bool(getattr(args, "show_decided", False)),
    )


def _cwe(text: str) -> str:
    text = text.strip().upper()
    return f"CWE-{text}" if text.isdigit() else text


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Like ``parse_args``, but a mistyped flag is reported with the usage of its subcommand."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.subparser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(args.config)
        filters = filters_from_args(args)
        check_window(filters)
        store = Store(args.db)
        store.require_existing()
        for warning in unmatched(store, filters):
            print(f"warning: {warning}", file=sys.stderr)
        for team in sorted(set(filters.teams) - set(teams(store, settings)) if filters.teams else ()):
            print(f"warning: --team {team!r} is no team of [teams], [team_owners] or CODEOWNERS", file=sys.stderr)
        if args.command == "summary":
            result = summary_with_extras(store, filters, settings)
            print(json.dumps(result, indent=2) if args.json else render_text(result))
            return ExitCode.OK
        if args.command == "report":
            return _report(store, filters, settings, args)
        request = Request(filters, split_list([args.by]) if args.by else (), args.period, settings)
        frame = export(store, args.kind, request)
        text = to_csv(frame)
    except FindingsError as e:  # a busy store exits 4, an unreachable server 5, as for ingest
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.output}: {len(frame)} row(s)", file=sys.stderr)  # newlines in cells don't count
    return ExitCode.OK


def _report(store: Store, filters: Filters, settings: Settings, args: argparse.Namespace) -> int:
    """``report sprint``: the review pack to a file or standard output."""
    from analytics.report import render_html, render_markdown
    from analytics.review import review

    with store.session():
        pack = review(store, filters, settings, f"sprint {args.sprint}" if args.sprint is not None else None)
    markdown = (args.format or ("md" if args.output.lower().endswith(".md") else "html")) == "md"
    text = render_markdown(pack) if markdown else render_html(pack)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {pack.sprint.label}", file=sys.stderr)
    return ExitCode.OK
