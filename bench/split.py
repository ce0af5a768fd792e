"""Where our ingest spends its time: parse, normalise, identity, pack, write, lifecycle.

    python bench/split.py FILE_LIST DB [--compare STORE] [--json]

Why: the ingest table gives one figure against the floor; to know what to make faster, the
benchmark must say how that figure splits. Parse workers overlap reading with writing, so the
split is taken in ONE process without them (``FINDINGS_PARSE_WORKERS=0``): every stage then runs
on this process's clock, one after the other.

How: the real path runs — ``ingest.pipeline.ingest_many`` on the listed files (``FILE_LIST``, one
path a line, as ``bench/peers.py floor`` takes) into the fresh DuckDB file ``DB`` — with the module
attributes it calls wrapped in timers here (never in the product's code):

    parse      ingest.reader.load_log           read, decode, JSON parse, checks
    normalise  ingest.normalise.scans.normalise  minus the identity inside it
    identity   ingest.normalise.scans.identify   fingerprints, made unique per scan
    pack       ingest.pack.pack_many             columnar (Arrow) tables
    write      ingest.pipeline.store_batch and the lease's release: the connection, the rules'
               and files' transactions, their commits, the close (minus the lifecycle inside)
    lifecycle  ingest.lifecycle.recompute_dirty / recompute_now, as the pipeline calls them

Each timer counts its own time only (a stage inside another is taken out of the outer one);
"other" is the rest of the wall time (chunking, the pauses between batches that let readers in).
The store it wrote must hold the same row counts as one written by a real ``python -m ingest
sarif`` run (into a fresh file beside ``DB``, or ``--compare`` an existing one): both are printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.no_pandas import keep_pandas_out  # noqa: E402

keep_pandas_out()  # as ``python -m ingest`` does, before the ingest's modules are imported

import duckdb  # noqa: E402
from procs import run  # noqa: E402

import ingest.normalise.scans as scans  # noqa: E402
import ingest.pipeline as pipeline  # noqa: E402
import ingest.prepare as prepare  # noqa: E402
from core.settings import load_settings  # noqa: E402
from ingest.models import ScanMeta  # noqa: E402
from ingest.normalise.options import Options  # noqa: E402
from store.db import Store  # noqa: E402

STAGES = ("parse", "normalise", "identity", "pack", "write", "lifecycle")
COUNTED = ("files", "streams", "scans", "occurrences", "findings", "episodes")


class Clock:
    """Wall and CPU seconds per stage, each stage's own (time in a nested stage is the inner one's)."""

    def __init__(self) -> None:
        self.wall = dict.fromkeys(STAGES, 0.0)
        self.cpu = dict.fromkeys(STAGES, 0.0)
        self._stack: list[list[float]] = []  # [wall start, cpu start, nested wall, nested cpu]

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), time.process_time(), 0.0, 0.0]
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                wall, cpu = time.perf_counter() - frame[0], time.process_time() - frame[1]
                self.wall[stage] += wall - frame[2]
                self.cpu[stage] += cpu - frame[3]
                if self._stack:
                    self._stack[-1][2] += wall
                    self._stack[-1][3] += cpu

        return timed


def instrument(clock: Clock) -> None:
    """Wrap the functions the pipeline calls, where it looks them up (module attributes)."""
    prepare.load_log = clock.wrap("parse", prepare.load_log)
    prepare.normalise = clock.wrap("normalise", prepare.normalise)
    scans.identify = clock.wrap("identity", scans.identify)
    prepare.pack_many = clock.wrap("pack", prepare.pack_many)
    pipeline.store_batch = clock.wrap("write", pipeline.store_batch)
    pipeline._Lease.release = clock.wrap("write", pipeline._Lease.release)  # type: ignore[method-assign]
    pipeline.recompute_dirty = clock.wrap("lifecycle", pipeline.recompute_dirty)
    pipeline.recompute_now = clock.wrap("lifecycle", pipeline.recompute_now)


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED}  # type: ignore[index]
    finally:
        con.close()


def reference(files: list[Path], db: Path) -> Path:
    """A real ``python -m ingest sarif`` run (parse workers as configured) into a fresh file."""
    ref = db.with_name(f"{db.stem}-reference.duckdb")
    ref.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "ingest", "sarif", *map(str, files), "--db", str(ref), "--json"]
    run(cmd)
    return ref


def measure(files: list[Path], db: Path) -> dict[str, Any]:
    """Ingest ``files`` into the fresh DuckDB file ``db`` in this process, timing each stage."""
    os.environ["FINDINGS_PARSE_WORKERS"] = "0"
    db.unlink(missing_ok=True)
    store = Store(db)
    store.ensure()  # the schema: not part of the figures
    clock = Clock()
    instrument(clock)
    options = Options.from_settings(load_settings(None))
    load = os.getloadavg()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    report = pipeline.ingest_many(store, [(f, ScanMeta()) for f in files], options)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    con = duckdb.connect(str(db), read_only=True)
    results = int(con.execute("SELECT coalesce(sum(results_total), 0) FROM scans").fetchone()[0])  # type: ignore[index]
    con.close()
    stages = {s: {"seconds": clock.wall[s], "cpu_seconds": clock.cpu[s]} for s in STAGES}
    stages["other"] = {"seconds": wall - sum(clock.wall.values()), "cpu_seconds": cpu - sum(clock.cpu.values())}
    return {
        "files": len(files),
        "results": results,
        "totals": report.totals(),
        "seconds": wall,
        "cpu_seconds": cpu,
        "stages": stages,
        "load_average_at_start": load,
    }


def table(res: dict[str, Any]) -> str:
    n = max(res["results"], 1)
    lines = [
        f"{res['files']:,} files, {res['results']:,} results, one process, no parse workers; "
        f"load average {', '.join(f'{x:.1f}' for x in res['load_average_at_start'])}",
        f"{'stage':<10} {'seconds':>9} {'CPU s':>9} {'µs/result':>10} {'share':>7}",
    ]
    for stage, r in [*res["stages"].items(), ("total", res)]:
        share = r["seconds"] / res["seconds"] if res["seconds"] else 0.0
        lines.append(
            f"{stage:<10} {r['seconds']:>9.2f} {r['cpu_seconds']:>9.2f} {r['seconds'] / n * 1e6:>10.1f} {share:>7.1%}"
        )
    ours, ref = res["counts"]["split"], res["counts"]["python -m ingest"]
    lines.append(f"row counts, this store:     {ours}")
    lines.append(f"row counts, python -m ingest: {ref}")
    lines.append("same row counts" if res["same_counts"] else "ROW COUNTS DIFFER")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("listing", type=Path, help="a file listing SARIF paths, one a line")
    ap.add_argument("db", type=Path, help="the DuckDB file to write (replaced)")
    ap.add_argument("--compare", type=Path, help="a store of the same files written by python -m ingest")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = ap.parse_args(argv)
    files = [Path(line) for line in args.listing.read_text().splitlines() if line]
    res = measure(files, args.db)
    ref = args.compare or reference(files, args.db)
    res["counts"] = {"split": counts(args.db), "python -m ingest": counts(ref)}
    res["same_counts"] = res["counts"]["split"] == res["counts"]["python -m ingest"]
    if args.compare is None:
        ref.unlink(missing_ok=True)
    print(json.dumps(res, indent=2) if args.json else table(res))
    return 0  # a difference is printed, not an exit status: ``make bench`` goes on and reports it


if __name__ == "__main__":
    sys.exit(main())
