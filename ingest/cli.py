"""``python -m ingest``: load SARIF files (and DevOps records) into the store, push them to the HTTP API, or triage.

Exit codes (``core.errors.ExitCode``): 0 everything loaded (or already loaded), 2 usage error,
3 at least one input rejected — the others were still loaded, 4 the store stayed locked by another
process past ``FINDINGS_DB_TIMEOUT`` (the report says which files were not loaded; rerun them), 5 the
database server cannot be reached or refused the connection (likewise), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from core.errors import ConfigError, ExitCode, StoreError, UsageError
from core.settings import load_settings
from core.times import time_arg
from ingest import codeowners, devops_cli, push, triage_cli, watch
from ingest.manifest import MANIFEST_COLUMNS, read_manifest
from ingest.models import ScanMeta
from ingest.normalise.options import Options
from ingest.pipeline import BUSY, INTERRUPTED, REJECTED, UNAVAILABLE, FileReport, Report, ingest_many, printable
from ingest.reader import expand_paths
from store.db import Store


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    p.add_argument("--json", action="store_true", help="print a machine-readable report instead of lines")
    p.add_argument("--config", help="settings file (default $FINDINGS_CONFIG or ./config.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sarif = sub.add_parser("sarif", help="load SARIF files, directories (recursive) or globs")
    sarif.add_argument("paths", nargs="+", metavar="PATH")
    _common(sarif)
    sarif.add_argument("--project")
    sarif.add_argument("--branch")
    sarif.add_argument("--commit")
    sarif.add_argument("--scanned-at", type=time_arg, metavar="ISO8601")
    sarif.add_argument("--category")
    sarif.add_argument("--source-root", metavar="DIR", help="checkout prefix to strip (path or file:// URI)")
    manifest = sub.add_parser("manifest", help="backfill from a CSV: " + ",".join(MANIFEST_COLUMNS))
    manifest.add_argument("manifest", metavar="FILE.csv")
    _common(manifest)
    devops_cli.add_parsers(sub)
    watch.add_parser(sub)
    codeowners.add_parser(sub)
    _push_parser(sub)
    triage_cli.add_parser(sub)
    return parser


def _push_parser(sub: Any) -> None:
    p = sub.add_parser("push", help="send SARIF files to the HTTP API (python -m service) with retries")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--url", required=True, help="the service, e.g. https://findings.example.com")
    p.add_argument(
        "--token-env", default=push.DEFAULT_TOKEN_ENV, metavar="VAR", help="environment variable holding the token"
    )
    p.add_argument("--project", required=True)
    p.add_argument("--branch")
    p.add_argument("--commit")
    p.add_argument("--scanned-at", type=time_arg, metavar="ISO8601")
    p.add_argument("--category")
    p.add_argument("--retries", type=int, default=8, help="tries again on 503/502/504 or no connection (default 8)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="S", help="seconds to wait for each answer")
    p.add_argument("--json", action="store_true", help="print a machine-readable report instead of lines")
    p.set_defaults(source_root=None)  # the service strips no checkout prefix given by the client


def _meta_from_args(args: argparse.Namespace) -> ScanMeta:
    return ScanMeta(
        project=args.project or None,
        branch=args.branch or None,
        commit=args.commit or None,
        scanned_at=args.scanned_at,
        category=args.category,
        source_root=args.source_root or None,
    )


def _progress_printer(stream: TextIO):  # type: ignore[no-untyped-def]
    def show(n: int, total: int, name: str) -> None:
        width = 30
        done = int(width * n / total)
        stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {n}/{total} {Path(name).name[:40]:<40}")
        if n == total:
            stream.write("\r" + " " * (width + 60) + "\r")
        stream.flush()

    return show


def print_report(report: Report, as_json: bool, out: TextIO, err: TextIO) -> None:
    if as_json:
        out.write(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
        return
    for f in report.files:
        print_file(f, out, err)
    print_totals(report, out)


def print_file(f: FileReport, out: TextIO, err: TextIO) -> None:
    """One file's line (to stderr when it was not loaded) and its warnings."""
    (err if f.status in (REJECTED, BUSY, UNAVAILABLE, INTERRUPTED) else out).write(f.line() + "\n")
    for w in f.warnings:
        err.write(f"{printable(f.path)}: warning: {printable(w)}\n")


def print_totals(report: Report, out: TextIO) -> None:
    t = report.totals()
    out.write(
        f"{t['files']} file(s): {t['loaded']} loaded, {t['already_loaded']} already loaded, "
        f"{t['rejected']} rejected; {t['scans']} scan(s), {t['occurrences']} occurrence(s) added"
        + (f"; {t['warnings']} warning(s)" if t["warnings"] else "")
        + (f"; {t['interrupted']} not loaded (interrupted)" if t["interrupted"] else "")
        + "\n"
    )


def _exit_code(report: Report) -> int:
    if report.unavailable:
        return ExitCode.UNAVAILABLE
    if report.busy:
        return ExitCode.BUSY
    return ExitCode.REJECTED if report.rejected else ExitCode.OK


def _print_now(f: FileReport) -> None:
    print_file(f, sys.stdout, sys.stderr)
    sys.stdout.flush()


def _push(args: argparse.Namespace) -> int:
    try:
        if args.retries < 0 or args.timeout <= 0:
            raise UsageError("--retries must be ≥ 0 and --timeout > 0")
        t = push.target(args.url, args.token_env, args.retries, args.timeout)
        files, missing = expand_paths(args.paths)
        # Each file's line as soon as it is answered: a pipeline's log shows progress and retries.
        shown = None if args.json else _print_now
        report = push.push_files(t, files, _meta_from_args(args), missing, shown)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    if args.json:
        print_report(report, True, sys.stdout, sys.stderr)
    else:
        print_totals(report, sys.stdout)
    return _exit_code(report)


def _interrupted() -> int:
    print(
        "interrupted: the files loaded so far are kept (whole files only); run the same command again to "
        "load the rest (files already loaded are skipped)",
        file=sys.stderr,
    )
    return ExitCode.INTERRUPTED


def main(argv: Sequence[str] | None = None, stop: threading.Event | None = None) -> int:
    """The command line. ``stop``, when given (``python -m ingest`` routes Ctrl-C to it), ends a
    load after the files at hand: exit 130, the rest reported as not loaded."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if stop is not None and stop.is_set():  # Ctrl-C during start-up
        return _interrupted()
    if args.command not in ("sarif", "manifest") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the others stop on Ctrl-C as usual
    if args.command in devops_cli.COMMANDS:
        return devops_cli.run(args)
    if args.command == "watch":
        return watch.run(args)
    if args.command == "codeowners":
        return codeowners.run(args)
    if args.command == "push":
        return _push(args)
    if args.command == triage_cli.COMMAND:
        return triage_cli.run(args)
    try:
        store = Store(args.db)
        if args.command == "sarif":
            files, missing = expand_paths(args.paths)
            meta = _meta_from_args(args)
            items = [(f, meta) for f in files]
        else:
            items, missing = read_manifest(Path(args.manifest))
        progress = _progress_printer(sys.stderr) if sys.stderr.isatty() and len(items) > 1 and not args.json else None
        if stop is not None and stop.is_set():
            return _interrupted()
        report = ingest_many(
            store, items, Options.from_settings(load_settings(args.config)), progress, missing, stop=stop
        )
    except (UsageError, StoreError, ConfigError) as e:  # a busy store exits 4, an unreachable server 5
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    if report.files and report.unavailable == len(report.files) and not args.json:
        # the server refused or went away before any file was handled: one line, not one per file
        print(f"error: {report.files[0].reason}; none of the {len(report.files)} file(s) was loaded", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    print_report(report, args.json, sys.stdout, sys.stderr)
    if stop is not None and stop.is_set():
        return _interrupted()
    return _exit_code(report)
