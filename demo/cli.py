"""``python -m demo``: write a deterministic demo history and load it.

    python -m demo [--db PATH] [--seed N] [--scale S] [--out DIR] [--json]

Writes real-style SARIF 2.1.0 logs, ``devops/{commits,deployments,incidents}.csv`` and the
ground truth ``truth.json`` under ``--out`` (default ``data/demo/seed-<N>-scale-<S>``), then loads
them through the normal ingest path. The same seed and scale give byte-identical files. Scale 1 is
8 projects over ~13 months (~190k results in ~7,600 files); results grow about linearly with the
scale (5 ≈ 1M, 50 ≈ 10M). Exit codes as ``python -m ingest``: 0 ok, 2 usage, 3 something rejected,
4 the store stayed locked, 5 the database server cannot be used (unreachable, refused, lost).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from core.errors import ExitCode, Rejected, StoreError, UsageError
from demo.build import TRUTH, default_out, estimate_occurrences, write_demo
from demo.generate import END, make_plan
from demo.load import load_demo
from ingest.pipeline import Progress
from store.db import Store, query_rows


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (0 < value <= 1000):
        raise argparse.ArgumentTypeError("scale must be > 0 and ≤ 1000")
    return value


def default_end(now: datetime | None = None) -> datetime:
    """Yesterday (UTC) at the model's end-of-day hour: by default the history is the year up to
    the last full day, so that "until now" metrics (this week, DORA's last 90 days…) describe it.
    Only this default reads the clock; the same ``--end`` always gives the same files."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return datetime.combine(now.date() - timedelta(days=1), END.time())


def _end(text: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return day.replace(hour=END.hour, minute=END.minute)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m demo", description="Write and load a deterministic demo history (SARIF + DevOps)."
    )
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--scale", type=_scale, default=1.0, help="size: 1 ≈ 190k results, 5 ≈ 1M (default 1)")
    p.add_argument("--out", type=Path, help="directory for the files (default data/demo/seed-<N>-scale-<S>)")
    p.add_argument("--end", type=_end, metavar="YYYY-MM-DD", help="last day of the history (default yesterday, UTC)")
    p.add_argument("--no-load", action="store_true", help="only write the files")
    p.add_argument("--if-empty", action="store_true", help="do nothing when the database already holds scans")
    p.add_argument("--json", action="store_true", help="print a machine-readable report instead of lines")
    return p


def _scans_in(store: Store) -> int:
    if not store.exists():
        return 0
    with store.read() as conn:
        return int(query_rows(conn, "SELECT count(*) FROM scans")[0][0])


def _progress(stream: TextIO) -> Progress:
    def show(n: int, total: int, name: str) -> None:
        if n == total or n % 10 == 0:
            stream.write(f"\rloading {n}/{total} files" + ("\n" if n == total else ""))
            stream.flush()

    return show


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``demo`` with parsed arguments; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    args.end = args.end or default_end()
    target = args.out or default_out(args.seed, args.scale)
    result: dict[str, Any] = {"seed": args.seed, "scale": args.scale, "end": args.end.date().isoformat()}
    if args.end > datetime.now(UTC).replace(tzinfo=None):  # ingest would distrust scan times in the future
        err.write(f"error: --end {args.end:%Y-%m-%d} is in the future\n")
        return ExitCode.USAGE
    try:
        store = None if args.no_load else Store(args.db)
        if store is not None:  # a database that cannot be used is said before minutes of writing files
            store.ensure()
        if store is not None and args.if_empty and (n := _scans_in(store)) > 0:
            result["status"] = "skipped"
            if args.json:
                out.write(json.dumps(result, indent=2) + "\n")
            else:
                out.write(f"the database already holds {n} scan(s); demo not loaded (--if-empty)\n")
            return ExitCode.OK
        plan = make_plan(args.seed, args.scale, args.end)
        expected = estimate_occurrences(plan)
        if not args.json:
            out.write(
                f"demo seed {args.seed}, scale {args.scale:g}: {len(plan.projects)} projects, "
                f"{sum(len(p.tools) for p in plan.projects)} scanner streams, "
                f"{plan.scans_per_week:.2f} scans/week each; expecting ~{expected:,} occurrences\n"
            )
            out.flush()
        t0 = time.perf_counter()
        generated = write_demo(plan, target)
        t_gen = time.perf_counter() - t0
        result |= {"status": "written", "expected_occurrences": expected, "generated": generated.as_dict()}
        result["elapsed_s"] = {"generate": round(t_gen, 3)}
        if not args.json:
            out.write(
                f"wrote {len(generated.sarif_files)} SARIF files ({generated.sarif_bytes / 1e6:.1f} MB, "
                f"{generated.occurrences:,} results), {generated.commits:,} commits, {generated.deployments:,} "
                f"deployments, {generated.incidents:,} incidents to {target} in {t_gen:.1f} s\n"
            )
        if store is None:
            if args.json:
                out.write(json.dumps(result, indent=2) + "\n")
            return ExitCode.OK
        progress = _progress(err) if err.isatty() and not args.json else None
        t1 = time.perf_counter()
        loaded = load_demo(store, target, generated.sarif_files, progress)
        t_load = time.perf_counter() - t1
    except (UsageError, StoreError) as e:  # a busy store exits 4, an unreachable server 5
        err.write(f"error: {e}\n")
        return e.exit_code
    except ValueError as e:
        err.write(f"error: {e}\n")
        return ExitCode.USAGE
    except Rejected as e:
        err.write(f"error: {e}\n")
        return ExitCode.REJECTED
    totals = loaded.report.totals()
    result["status"] = "loaded"
    result["loaded"] = {
        **totals,
        "commits": loaded.commits,
        "deployments": loaded.deployments.rows,
        "incidents": loaded.incidents.rows,
        "db": store.where,
    }
    result["elapsed_s"] |= {"load": round(t_load, 3), "total": round(t_gen + t_load, 3)}
    for f in loaded.report.files:
        if f.status == "rejected":
            err.write(f.line() + "\n")
    if args.json:
        out.write(json.dumps(result, indent=2) + "\n")
    else:
        out.write(
            f"loaded {totals['loaded']} file(s) ({totals['already_loaded']} already loaded, {totals['rejected']} "
            f"rejected): {totals['scans']:,} scans, {totals['occurrences']:,} occurrences; {loaded.commits:,} "
            f"commits, {loaded.deployments.rows:,} deployments, {loaded.incidents.rows:,} incidents into "
            f"{store.where} in {t_load:.1f} s (total {t_gen + t_load:.1f} s)\n"
            f"ground truth: {generated.findings:,} findings, {generated.episodes:,} episodes in {target / TRUTH}\n"
        )
    return ExitCode.REJECTED if loaded.report.rejected else ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    """``python -m demo``."""
    return run(build_parser().parse_args(argv))
