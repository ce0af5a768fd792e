"""The ingest job shared by the command line, the manifest backfill and the app's upload form.

Each file is read and normalised on its own (``ingest.prepare``: in worker processes for large
inputs, a chunk of consecutive small files per task, packed together): a rejected file is
reported with its reason and recorded in ``rejections``; the others still load.
Good files are appended in batches — one transaction per batch, so only whole files ever land —
each batch on a short-lived read-write connection that also recomputes the lifecycle of the
streams the batch touched before it closes and lets readers in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import StoreBusy, StoreError, StoreUnavailable
from ingest.lifecycle import recompute_dirty, recompute_now
from ingest.load import Known, LoadOutcome, record_rejection_in, write_packed, write_rules
from ingest.models import ScanMeta
from ingest.normalise.options import Options
from ingest.prepare import Prepared, env_int, prepare, prepared_stream, worker_count
from store import sql
from store.db import Store

if TYPE_CHECKING:
    from store.sql import Connection

LOADED, ALREADY, REJECTED, BUSY = "loaded", "already loaded", "rejected", "not loaded (store busy)"
UNAVAILABLE = "not loaded (database unavailable)"
INTERRUPTED = "not loaded (interrupted)"
# PostgreSQL: a batch that lost a deadlock (two writers upserting the same rules) is tried again.
RETRIES = 5


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    status: str
    scans: int = 0
    occurrences: int = 0
    reason: str | None = None
    warnings: tuple[str, ...] = ()

    def line(self) -> str:
        """One line for the report: control and bidi characters in names are shown escaped."""
        path = printable(self.path)
        if self.status == LOADED:
            return f"{path}: loaded {self.scans} scan(s), {self.occurrences} occurrence(s)"
        if self.status == ALREADY:
            return f"{path}: already loaded"
        if self.status in (BUSY, UNAVAILABLE, INTERRUPTED):
            return f"{path}: not loaded: {printable(self.reason or '')}"
        return f"{path}: rejected: {printable(self.reason or '')}"


@dataclass(slots=True)
class Report:
    files: list[FileReport] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.status == REJECTED for f in self.files)

    @property
    def busy(self) -> int:
        return sum(f.status == BUSY for f in self.files)

    @property
    def unavailable(self) -> int:
        return sum(f.status == UNAVAILABLE for f in self.files)

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "loaded": sum(f.status == LOADED for f in self.files),
            "already_loaded": sum(f.status == ALREADY for f in self.files),
            "rejected": self.rejected,
            "busy": self.busy,
            "unavailable": self.unavailable,
            "interrupted": sum(f.status == INTERRUPTED for f in self.files),
            "scans": sum(f.scans for f in self.files),
            "occurrences": sum(f.occurrences for f in self.files),
            "warnings": sum(len(f.warnings) for f in self.files),
        }

    def as_dict(self) -> dict[str, object]:
        return {"files": [asdict(f) for f in self.files], "totals": self.totals()}


Progress = Callable[[int, int, str], None]


def printable(text: str) -> str:
    """Text safe for one terminal line: control, format (bidi) and separator characters escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


# A batch: consecutive prepared files appended in one transaction (one statement per table), then
# their streams' lifecycle recomputed, on one read-write connection that is then closed so that
# readers get their turn. Bounded by results, so memory and the lock's hold stay bounded too.
BATCH_FILES = 2000
LEASE_PAUSE_S = 0.05  # between batches: readers poll every ≤ 30 ms


class _Lease:
    """A read-write connection held for one batch, released (after recomputing the lifecycle of
    the streams its files touched) so that readers get their turn. Opening one first finishes any
    recompute a crashed run left behind."""

    def __init__(self, store: Store, threads: int | None = None):
        self.store = store
        self.threads = threads
        self._cm: AbstractContextManager[Connection] | None = None
        self._conn: Connection | None = None
        self.known = Known()

    def conn(self) -> Connection:
        if self._conn is None:
            self._cm = self.store.connect_rw()
            self._conn = self._cm.__enter__()
            if self.threads and sql.engine_of(self._conn) is sql.Engine.DUCKDB:
                sql.execute(self._conn, f"SET threads = {int(self.threads)}")
            recompute_dirty(self._conn)
        return self._conn

    def drop(self) -> None:
        """Forget a connection that failed (its server went away) without using it again."""
        cm, self._cm, self._conn = self._cm, None, None
        if cm is not None:
            with suppress(Exception):
                cm.__exit__(None, None, None)

    def release(self) -> None:
        if self._conn is None or self._cm is None:
            return
        try:
            with sql.server_errors(self.store.where):  # its commit runs outside store.sql
                recompute_dirty(self._conn)
        finally:
            cm, self._cm, self._conn = self._cm, None, None
            cm.__exit__(None, None, None)


def store_batch(lease: _Lease, batch: Sequence[Prepared]) -> list[FileReport]:
    """Write a batch of prepared files in one transaction (rejections recorded alongside): all of
    them land, or none. The streams they touch are recomputed when the lease is released. A
    batch that lost a deadlock is tried again; a server that went away is a ``StoreUnavailable``."""
    for attempt in range(RETRIES):
        try:
            return _store_batch(lease, batch)
        except Exception as e:
            if sql.is_transient(e) and attempt < RETRIES - 1:
                time.sleep(0.05 * (attempt + 1))
                continue
            failure = sql.unavailable(e, lease.store.where)
            if failure is not None:
                raise failure from None
            raise
    raise AssertionError("unreachable")


def _store_batch(lease: _Lease, batch: Sequence[Prepared]) -> list[FileReport]:
    conn = lease.conn()
    packs = [p.packed for p in batch if p.packed is not None]
    try:
        with conn.begin():  # the rules first, committed at once (ingest.load says why)
            write_rules(conn, packs, lease.known)
        lease.known.commit()
        with conn.begin():
            outcomes = iter(write_packed(conn, packs, lease.known))
            reports = []
            written: set[str] = set()
            for prep in batch:
                if prep.packed is None:
                    record_rejection_in(conn, str(prep.path), prep.sha, prep.reason or "rejected")
                    reports.append(FileReport(str(prep.path), REJECTED, reason=prep.reason))
                    continue
                outcome: LoadOutcome = next(outcomes)
                status = ALREADY if outcome.already_loaded else LOADED
                if not outcome.already_loaded:
                    written.update(row[0] for row in prep.packed.streams)
                reports.append(
                    FileReport(str(prep.path), status, outcome.scans, outcome.occurrences, None, prep.packed.warnings)
                )
            if sql.engine_of(conn) is sql.Engine.POSTGRES:
                # Many writers: each rebuilds the streams it wrote while it holds their locks. Left
                # marked for the end of the lease, they would be picked up by whichever writer's
                # lease ends first, which would then wait for, and redo, the others' streams.
                recompute_now(conn, written)
    except BaseException:
        lease.known.rollback()
        raise
    lease.known.commit()
    return reports


def ingest_file(
    store: Store, path: Path, meta: ScanMeta, options: Options | None = None, *, within: Path | None = None
) -> FileReport:
    """Read, normalise and load one file (one transaction, then its lifecycle); never raises for
    bad input. ``within``: see ``prepare_many``."""
    return store_prepared(store, [prepare(path, meta, options, within=within)])[0]


def store_prepared(store: Store, batch: Sequence[Prepared]) -> list[FileReport]:
    """Write files already read and normalised (``ingest.prepare.prepare``) in one transaction on
    one short lease, their streams' lifecycle recomputed before it closes: the second half of
    ``ingest_file``, for a process that prepares files on several threads and writes them
    together (the HTTP service gathers the uploads that arrive while it writes)."""
    lease = _Lease(store)
    try:
        return store_batch(lease, batch)
    finally:
        lease.release()


def _announced(
    stream: Iterator[Prepared], total: int, progress: Progress | None, stop: threading.Event | None
) -> Iterator[Prepared]:
    """The stream, calling ``progress`` as each file is read and normalised (the long part; its
    batch is written soon after), and ending early once ``stop`` is set."""
    for n, prep in enumerate(stream, start=1):
        if progress:
            progress(n, total, str(prep.path))
        yield prep
        if stop is not None and stop.is_set():
            return


def batch_results() -> int:
    """Results per write transaction: ``$FINDINGS_BATCH_RESULTS``, read per load (not at import)."""
    return env_int("FINDINGS_BATCH_RESULTS", 100_000)


def _batches(stream: Iterator[Prepared]) -> Iterator[list[Prepared]]:
    most_results = batch_results()
    batch: list[Prepared] = []
    size = 0
    for prep in stream:
        batch.append(prep)
        size += prep.size
        if size >= most_results or len(batch) >= BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def ingest_many(
    store: Store,
    items: Sequence[tuple[Path, ScanMeta]],
    options: Options | None = None,
    progress: Progress | None = None,
    missing: Sequence[tuple[str, str]] = (),
    stop: threading.Event | None = None,
) -> Report:
    """Load many files in batches (one transaction each, whole files only), each batch on its own
    short write lease; worker processes read and normalise the next files meanwhile."""
    report = Report()
    workers = worker_count(items)
    # Beside busy workers, DuckDB's own threads only add contention: the writer uses one.
    lease = _Lease(store, threads=1 if workers else None)
    stream = prepared_stream(items, options, workers)
    try:
        for arg, problem in missing:
            conn = lease.conn()
            with sql.server_errors(store.where), conn.begin():
                record_rejection_in(conn, arg, None, problem)
            report.files.append(FileReport(arg, REJECTED, reason=problem))
        for batch in _batches(_announced(stream, len(items), progress, stop)):
            try:
                report.files.extend(store_batch(lease, batch))  # committed: stored whatever follows
                lease.release()
            except (StoreBusy, StoreUnavailable) as e:  # report what is not loaded; a rerun loads it
                done = len(report.files) - len(missing)
                status = BUSY if isinstance(e, StoreBusy) else UNAVAILABLE
                report.files.extend(FileReport(str(p), status, reason=str(e)) for p, _ in items[done:])
                lease.drop()
                break
            if len(report.files) - len(missing) < len(items):
                time.sleep(LEASE_PAUSE_S)
        done = len(report.files) - len(missing)
        if stop is not None and stop.is_set() and done < len(items):
            reason = "interrupted (Ctrl-C) before this file; run the same command again"
            report.files.extend(FileReport(str(p), INTERRUPTED, reason=reason) for p, _ in items[done:])
    finally:
        if hasattr(stream, "close"):
            stream.close()
        with suppress(StoreError):
            lease.release()
    return report
