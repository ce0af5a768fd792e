"""The HTTP API under load and under ``kill -9`` (``make stress``; docs/api.md, docs/hardening.md).

Real files — the SARIF corpus beside the checkout (the files the CLI loads) and a generated demo
history — are uploaded to ``python -m service`` on loopback by CLIENTS concurrent clients of
UPLOADS files each, with the retries of ``python -m ingest push`` (its own code, on threads).
Then, for each engine:

- load: every upload answers "loaded" (201), every file is stored exactly once, and the store is
  the one a sequential ``python -m ingest manifest`` of the same files and metadata gives (every
  table but where and when each file was read); prints p50/p95/max upload latency, files/s and
  the 503s the clients waited out;
- kill rounds: the same uploads to a fresh store while the service is killed with ``kill -9`` at
  a random moment and restarted a second later; the clients retry; afterwards every file is
  stored once (a file is "already loaded" only if its answer was lost in the kill), nothing
  half-stored, and the store is again the sequential CLI load's.

    python bench/stress_api.py [--engine duckdb|postgresql|both] [--clients 8] [--uploads 50]
                               [--kills 3] [--seed N] [--keep DIR]

PostgreSQL runs need $FINDINGS_TEST_PG_URL (a server where databases may be created). Exits 1 on
any lost, doubled or unequal result.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest import push  # noqa: E402
from ingest.cli import main as ingest_main  # noqa: E402
from ingest.models import ScanMeta  # noqa: E402
from ingest.pipeline import ALREADY, LOADED  # noqa: E402
from store.db import Store  # noqa: E402
from tests.api_support import Service, counts, make_tokens, snapshot  # noqa: E402

CORPUS = ROOT.parent / "shared" / "sarif-corpus"


@dataclass
class Upload:
    path: Path
    meta: ScanMeta


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    answers: Counter[int] = field(default_factory=Counter)
    wall_s: float = 0.0


def corpus_files(work: Path) -> list[Path]:
    """The corpus files the command line loads (one CLI run tells which)."""
    if not CORPUS.is_dir():
        print(f"  (no corpus at {CORPUS}: demo files only)")
        return []
    candidates = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name.endswith((".sarif", ".json")))
    report = work / "corpus-check.json"
    db = work / "corpus-check.duckdb"
    code = _quiet(
        lambda: ingest_main(["sarif", *map(str, candidates), "--project", "x", "--json", "--db", str(db)]), report
    )
    files = json.loads(report.read_text())["files"] if code in (0, 3) else []
    return [Path(f["path"]) for f in files if f["status"] == LOADED]


def _quiet(run: Callable[[], int], out: Path) -> int:
    import contextlib

    with out.open("w") as fh, contextlib.redirect_stdout(fh), contextlib.redirect_stderr(open(os.devnull, "w")):
        return run()


def demo_files(work: Path) -> list[Path]:
    from demo.build import write_demo
    from demo.cli import default_end
    from demo.generate import make_plan

    out = work / "demo"
    return list(write_demo(make_plan(1, 0.5, default_end()), out).sarif_files)


def uploads(work: Path, n: int, rng: random.Random) -> list[Upload]:
    """``n`` distinct uploads (distinct bytes or metadata): corpus files under corpus/<tool>, demo
    files under their own project, with a commit each."""
    seen: set[str] = set()
    chosen: list[Upload] = []
    demo = demo_files(work)
    corpus = corpus_files(work)
    rng.shuffle(demo)
    for path in [*corpus, *demo]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        rel = path.relative_to(CORPUS) if path.is_relative_to(CORPUS) else path.relative_to(work / "demo" / "sarif")
        project = f"corpus/{rel.parts[0]}" if path.is_relative_to(CORPUS) else "/".join(rel.parts[:2])
        chosen.append(Upload(path, ScanMeta(project=project, branch="main", commit=digest[:12])))
        if len(chosen) == n:
            break
    if len(chosen) < n:
        raise SystemExit(f"only {len(chosen)} distinct files; need {n}")
    return chosen


def write_manifest(items: list[Upload], path: Path) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "project", "branch", "commit", "scanned_at", "category", "source_root"])
        for u in items:
            w.writerow([u.path, u.meta.project, u.meta.branch, u.meta.commit, "", "", ""])


def run_clients(url: str, token: str, items: list[Upload], clients: int) -> Outcome:
    """``clients`` threads, each uploading its share in turn with the push client's retries."""
    target = push.Target(url, token, retries=12, timeout_s=600, backoff_s=0.5)
    outcome = Outcome()
    lock = threading.Lock()
    real_send = push.send

    def counted(t: push.Target, path: Path, meta: ScanMeta) -> push.Answer:
        answer = real_send(t, path, meta)
        with lock:
            outcome.answers[answer.status] += 1
        return answer

    def client(share: list[Upload]) -> None:
        for u in share:
            started = time.perf_counter()
            report = push.push_one(target, u.path, u.meta)
            with lock:
                outcome.latencies.append(time.perf_counter() - started)
                outcome.statuses[report.status] += 1

    push.send = counted  # type: ignore[assignment]
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, [items[i::clients] for i in range(clients)]))
    finally:
        push.send = real_send  # type: ignore[assignment]
    outcome.wall_s = time.perf_counter() - started
    return outcome


def new_store(engine: str, folder: Path) -> tuple[str, Callable[[], None]]:
    if engine == "duckdb":
        return str(folder / "findings.duckdb"), lambda: None
    from tests.pg import create_database, drop_database

    server = os.environ["FINDINGS_TEST_PG_URL"]
    url = create_database(server)
    return url, lambda: drop_database(server, url)


@dataclass
class Reference:
    """The sequential CLI load's tables."""

    tables: dict[str, list[tuple[Any, ...]]]


def reference_load(work: Path, items: list[Upload]) -> Reference:
    """``ingest manifest`` of the same files with the same metadata, one after the other: every
    table must be identical after the uploads (rules keep the newest file's metadata, so their
    rows do not depend on the order either)."""
    write_manifest(items, work / "manifest.csv")
    argv = ["manifest", str(work / "manifest.csv"), "--db", str(work / "sequential.duckdb")]
    started = time.perf_counter()
    code = _quiet(lambda: ingest_main(argv), work / "sequential.txt")
    took = time.perf_counter() - started
    print(f"  sequential CLI load of the same {len(items)} files: exit {code}, {took:.1f} s", flush=True)
    tables = snapshot(Store(work / "sequential.duckdb"))
    return Reference(tables)


def equal_to_cli(db: str, reference: Reference) -> list[str]:
    """The tables in which the store differs from the sequential CLI load."""
    mine = snapshot(Store(db))
    return [t for t, rows in reference.tables.items() if mine.get(t) != rows]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_phase(
    engine: str, work: Path, items: list[Upload], clients: int, reference: Reference
) -> tuple[float, list[str]]:
    folder = Path(tempfile.mkdtemp(dir=work, prefix=f"load-{engine}-"))
    db, drop = new_store(engine, folder)
    problems: list[str] = []
    try:
        tokens = make_tokens(Store(db))
        server = Service(db, folder / "service.log").start()
        try:
            outcome = run_clients(server.url, tokens.upload, items, clients)
        finally:
            server.stop()
        lat = outcome.latencies
        print(
            f"  {engine}: {len(items)} uploads by {clients} clients in {outcome.wall_s:.1f} s = "
            f"{len(items) / outcome.wall_s:.1f} files/s; latency p50 {percentile(lat, 0.5):.2f} s, "
            f"p95 {percentile(lat, 0.95):.2f} s, max {max(lat):.2f} s, mean {statistics.mean(lat):.2f} s; "
            f"answers {dict(sorted(outcome.answers.items()))}",
            flush=True,
        )
        if outcome.statuses != Counter({LOADED: len(items)}):
            problems.append(f"{engine} load: statuses {dict(outcome.statuses)}")
        if counts(Store(db))["files"] != len(items):
            problems.append(f"{engine} load: {counts(Store(db))['files']} files stored for {len(items)} uploads")
        unequal = equal_to_cli(db, reference)
        if unequal:
            problems.append(f"{engine} load: differs from the sequential CLI load in {unequal}")
    finally:
        drop()
    return outcome.wall_s, problems


def kill_round(
    engine: str, work: Path, items: list[Upload], clients: int, reference: Reference, when_s: float
) -> list[str]:
    folder = Path(tempfile.mkdtemp(dir=work, prefix=f"kill-{engine}-"))
    db, drop = new_store(engine, folder)
    problems: list[str] = []
    try:
        tokens = make_tokens(Store(db))
        server = Service(db, folder / "service.log").start()
        delay = when_s
        killer = threading.Timer(delay, lambda: _kill_and_restart(server))
        killer.start()
        try:
            outcome = run_clients(server.url, tokens.upload, items, clients)
        finally:
            killer.join()
            server.stop()
        lost_answers = outcome.statuses.get(ALREADY, 0)
        print(
            f"  {engine}: killed at {delay:.1f} s; {outcome.statuses[LOADED]} loaded, {lost_answers} already loaded "
            f"(answers lost in the kill), {outcome.wall_s:.1f} s; answers {dict(sorted(outcome.answers.items()))}",
            flush=True,
        )
        stored = counts(Store(db))["files"]
        if outcome.statuses[LOADED] + lost_answers != len(items) or stored != len(items):
            problems.append(f"{engine} kill at {delay:.1f} s: statuses {dict(outcome.statuses)}, {stored} stored")
        if lost_answers > clients:
            problems.append(f"{engine} kill: {lost_answers} answers lost, more than the {clients} in flight")
        unequal = equal_to_cli(db, reference)
        if unequal:
            problems.append(f"{engine} kill at {delay:.1f} s: differs from the sequential CLI load in {unequal}")
    finally:
        drop()
    return problems


def _kill_and_restart(server: Service) -> None:
    server.kill9()
    time.sleep(1.0)
    server.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=("duckdb", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--uploads", type=int, default=50, help="uploads per client (default 50)")
    parser.add_argument("--kills", type=int, default=3, help="kill -9 rounds per engine (default 3)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)  # noqa: S311 (not crypto)
    rng = random.Random(seed)  # noqa: S311
    engines = ["duckdb", "postgresql"] if args.engine == "both" else [args.engine]
    if "postgresql" in engines and not os.environ.get("FINDINGS_TEST_PG_URL"):
        print("  (no $FINDINGS_TEST_PG_URL: DuckDB only)")
        engines.remove("postgresql")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="stress-api-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"stress-api: seed {seed}, work dir {work}", flush=True)
    problems: list[str] = []
    try:
        items = uploads(work, args.clients * args.uploads, rng)
        reference = reference_load(work, items)
        for engine in engines:
            took, found = load_phase(engine, work, items, args.clients, reference)
            problems += found
            for _ in range(args.kills):  # somewhere in the middle of the same uploads
                problems += kill_round(engine, work, items, args.clients, reference, rng.uniform(0.1, 0.7) * took)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print(f"  PROBLEM: {p}")
    print(f"stress-api: {len(problems)} problem(s) (seed {seed})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
