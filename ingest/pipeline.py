"""The ingest job shared by the command line, the manifest backfill and the app's upload form.

Each file is read and normalised on its own (in worker processes for large inputs, a chunk of
consecutive small files per task, packed together): a rejected file is reported with its reason
and recorded in ``rejections``; the others still load.
Good files are appended in batches — one transaction per batch, so only whole files ever land —
each batch on a short-lived read-write connection that also recomputes the lifecycle of the
streams the batch touched before it closes and lets readers in.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.engine import Connection

from core.errors import Rejected, StoreBusy
from ingest.lifecycle import recompute_dirty
from ingest.load import Known, LoadOutcome, record_rejection_in, write_packed
from ingest.models import ParsedFile, ScanMeta
from ingest.pack import Packed, pack_many
from ingest.reader import load_log
from ingest.sarif import Options, normalise
from store.db import Store, native

log = logging.getLogger(__name__)

LOADED, ALREADY, REJECTED, BUSY = "loaded", "already loaded", "rejected", "not loaded (store busy)"
INTERRUPTED = "not loaded (interrupted)"


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
        if self.status in (BUSY, INTERRUPTED):
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

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "loaded": sum(f.status == LOADED for f in self.files),
            "already_loaded": sum(f.status == ALREADY for f in self.files),
            "rejected": self.rejected,
            "busy": self.busy,
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


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    """An integer ≥ ``minimum`` from the environment; the default when unset or not one (with a
    warning)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        log.warning("%s=%r is not an integer ≥ %d; using %d", name, text, minimum, default)
        return default
    return value


# A batch: consecutive prepared files appended in one transaction (one statement per table), then
# their streams' lifecycle recomputed, on one read-write connection that is then closed so that
# readers get their turn. Bounded by results, so memory and the lock's hold stay bounded too.
BATCH_RESULTS = _env_int("FINDINGS_BATCH_RESULTS", 100_000)
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
            if self.threads:
                native(self._conn).execute(f"SET threads = {int(self.threads)}")
            recompute_dirty(self._conn)
        return self._conn

    def release(self) -> None:
        if self._conn is None or self._cm is None:
            return
        try:
            recompute_dirty(self._conn)
        finally:
            cm, self._cm, self._conn = self._cm, None, None
            cm.__exit__(None, None, None)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A file read, normalised and packed (in this process or a worker), ready to be stored."""

    path: Path
    meta: ScanMeta
    packed: Packed | None
    sha: str | None
    reason: str | None

    @property
    def size(self) -> int:
        return self.packed.occurrence_count if self.packed is not None else 0


_DEFECTS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, OSError, MemoryError)


def prepare(path: Path, meta: ScanMeta, options: Options | None = None, *, within: Path | None = None) -> Prepared:
    """Read, normalise and pack one file; bad input becomes a reason, never an exception."""
    return prepare_many([(path, meta)], options, within=within)[0]


def prepare_many(
    items: Sequence[tuple[Path, ScanMeta]], options: Options | None = None, *, within: Path | None = None
) -> list[Prepared]:
    """Read and normalise each file on its own (bad input becomes that file's reason, never an
    exception), then pack the good ones together: one shared occurrence table. ``within``: only
    regular files inside that folder are read, no symbolic link followed (``reader.open_regular``)."""
    read = [_normalised(path, meta, options, within) for path, meta in items]
    good = [(parsed, meta) for (parsed, _, _), (_, meta) in zip(read, items, strict=True) if parsed is not None]
    try:
        packs = iter(pack_many(good))
    except _DEFECTS as e:
        if len(items) > 1:  # pack them one by one: only the file it came from is rejected
            return [prepare(path, meta, options, within=within) for path, meta in items]
        log.exception("unexpected error on %s", items[0][0])
        reason = f"could not be normalised ({type(e).__name__}: {e})"
        return [Prepared(items[0][0], items[0][1], None, read[0][1], reason)]
    return [
        Prepared(path, meta, next(packs) if parsed is not None else None, sha, reason)
        for (path, meta), (parsed, sha, reason) in zip(items, read, strict=True)
    ]


def _normalised(
    path: Path, meta: ScanMeta, options: Options | None, within: Path | None = None
) -> tuple[ParsedFile | None, str | None, str | None]:
    """(the parsed file, its sha256, None), or (None, sha256 if it was read, the reason)."""
    sha: str | None = None
    try:
        raw = load_log(path, within=within)
        sha = raw.sha256
        return normalise(raw, meta, options), sha, None
    except Rejected as e:
        reason = str(e)
    except RecursionError:
        reason = "structure nested too deeply"
    except _DEFECTS as e:
        # A defect of ours or an input shape we did not foresee: reject the file, keep going.
        log.exception("unexpected error on %s", path)
        reason = f"could not be normalised ({type(e).__name__}: {e})"
    return None, sha, reason


def store_batch(lease: _Lease, batch: Sequence[Prepared]) -> list[FileReport]:
    """Write a batch of prepared files in one transaction (rejections recorded alongside): all of
    them land, or none. The streams they touch are recomputed when the lease is released."""
    conn = lease.conn()
    try:
        with conn.begin():
            outcomes = iter(write_packed(conn, [p.packed for p in batch if p.packed is not None], lease.known))
            reports = []
            for prep in batch:
                if prep.packed is None:
                    record_rejection_in(conn, str(prep.path), prep.sha, prep.reason or "rejected")
                    reports.append(FileReport(str(prep.path), REJECTED, reason=prep.reason))
                    continue
                outcome: LoadOutcome = next(outcomes)
                status = ALREADY if outcome.already_loaded else LOADED
                reports.append(
                    FileReport(str(prep.path), status, outcome.scans, outcome.occurrences, None, prep.packed.warnings)
                )
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
    lease = _Lease(store)
    try:
        return store_batch(lease, [prepare(path, meta, options, within=within)])[0]
    finally:
        lease.release()


# Below this many bytes of input, starting worker processes costs more than they save.
WORKER_MIN_BYTES = 8 << 20


def _workers(items: Sequence[tuple[Path, ScanMeta]]) -> int:
    """Processes that read and normalise while this one writes: $FINDINGS_PARSE_WORKERS when set
    (0 = everything in this process), else one per CPU (at most 4) for inputs of 8 MB or more."""
    if os.environ.get("FINDINGS_PARSE_WORKERS", "").strip():
        return _env_int("FINDINGS_PARSE_WORKERS", 0, minimum=0) if len(items) > 1 else 0
    total = 0
    for path, _ in items:
        with suppress(OSError):
            total += path.stat().st_size
        if total >= WORKER_MIN_BYTES:
            return min(4, os.cpu_count() or 1)
    return 0


def _worker_start(parent: int) -> None:
    """A worker's start: on Linux, ask the kernel to kill it when the process that started it
    dies (a ``kill -9`` of the ingest must not leave workers behind). The cyclic garbage
    collector is off: parsed documents are trees freed by reference counting, and its passes over
    their many containers cost time and free nothing (``_prepare_in_worker`` collects now and then)."""
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the ingest's to handle: it stops the pool
    gc.disable()


_prepared_here = 0


def _prepare_in_worker(chunk: list[tuple[Path, ScanMeta]], options: Options | None) -> list[Prepared]:
    global _prepared_here
    if _prepared_here // 256 != (_prepared_here + len(chunk)) // 256:
        gc.collect()
    _prepared_here += len(chunk)
    return prepare_many(chunk, options)


_PR_SET_PDEATHSIG = 1


# Input bytes handed to workers and not yet taken back: enough for them to stay busy while this
# process writes a batch, small enough to bound memory (at least two chunks per worker).
IN_FLIGHT_BYTES = 96 << 20


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# The files one task reads, normalises and packs (in a worker or here): consecutive files of up to
# 2 MB together (a larger file alone), so that small files share a task's fixed costs — its
# occurrence table, its pickling, its round trip — while memory stays bounded by the largest file.
CHUNK_BYTES = 2 << 20
CHUNK_FILES = 256


def _chunks(items: Sequence[tuple[Path, ScanMeta]]) -> Iterator[tuple[list[tuple[Path, ScanMeta]], int]]:
    """(consecutive items, their bytes)."""
    chunk: list[tuple[Path, ScanMeta]] = []
    size = 0
    for item in items:
        n = _size(item[0])
        if chunk and (size + n > CHUNK_BYTES or len(chunk) >= CHUNK_FILES):
            yield chunk, size
            chunk, size = [], 0
        chunk.append(item)
        size += n
    if chunk:
        yield chunk, size


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored meanwhile (main thread only: elsewhere signals cannot be set). Processes
    started inside keep ignoring it, so a Ctrl-C during their start-up prints no traceback from
    them; the ingest itself handles it and stops the pool."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _prepared_stream(
    items: Sequence[tuple[Path, ScanMeta]], options: Options | None, workers: int
) -> Iterator[Prepared]:
    """Prepared files in input order, prepared a chunk at a time; with workers, up to
    ``IN_FLIGHT_BYTES`` of input (at least two chunks per worker) in flight. A crashed worker
    pool falls back to this process for the rest."""
    if workers < 1:
        for chunk, _ in _chunks(items):
            yield from prepare_many(chunk, options)
        return
    ctx = multiprocessing.get_context("spawn")  # direct children: the death signal reaches them
    done = 0
    pool = ProcessPoolExecutor(workers, ctx, initializer=_worker_start, initargs=(os.getpid(),))
    finished = False
    try:
        window: deque[tuple[Future[list[Prepared]], int]] = deque()
        in_flight = 0
        pending = _chunks(items)

        def fill() -> None:
            nonlocal in_flight
            while len(window) < 2 * workers or in_flight < IN_FLIGHT_BYTES:
                chunk, size = next(pending, ([], 0))
                if not chunk:
                    return
                window.append((pool.submit(_prepare_in_worker, chunk, options), size))
                in_flight += size

        with _sigint_ignored():  # the workers start now: they inherit "ignore Ctrl-C" from birth
            fill()
        while window:
            future, size = window.popleft()
            preps = future.result()
            in_flight -= size
            fill()
            for prep in preps:
                done += 1
                yield prep
        finished = True
    except BrokenProcessPool:
        log.warning("a normalising worker died; continuing in this process")
        for path, meta in items[done:]:
            yield prepare(path, meta, options)
    finally:
        # Stopped early (Ctrl-C, an error, a busy store): drop the queued files instead of waiting
        # for the workers to normalise every one of them; each finishes at most its current chunk.
        pool.shutdown(wait=finished, cancel_futures=True)


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


def _batches(stream: Iterator[Prepared]) -> Iterator[list[Prepared]]:
    batch: list[Prepared] = []
    size = 0
    for prep in stream:
        batch.append(prep)
        size += prep.size
        if size >= BATCH_RESULTS or len(batch) >= BATCH_FILES:
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
    workers = _workers(items)
    # Beside busy workers, DuckDB's own threads only add contention: the writer uses one.
    lease = _Lease(store, threads=1 if workers else None)
    stream = _prepared_stream(items, options, workers)
    try:
        for arg, problem in missing:
            conn = lease.conn()
            with conn.begin():
                record_rejection_in(conn, arg, None, problem)
            report.files.append(FileReport(arg, REJECTED, reason=problem))
        for batch in _batches(_announced(stream, len(items), progress, stop)):
            try:
                reports = store_batch(lease, batch)
                lease.release()
            except StoreBusy as e:  # another process kept the store: report what is not loaded
                done = len(report.files) - len(missing)
                report.files.extend(FileReport(str(p), BUSY, reason=str(e)) for p, _ in items[done:])
                break
            report.files.extend(reports)
            if len(report.files) - len(missing) < len(items):
                time.sleep(LEASE_PAUSE_S)
        done = len(report.files) - len(missing)
        if stop is not None and stop.is_set() and done < len(items):
            reason = "interrupted (Ctrl-C) before this file; run the same command again"
            report.files.extend(FileReport(str(p), INTERRUPTED, reason=reason) for p, _ in items[done:])
    finally:
        if hasattr(stream, "close"):
            stream.close()
        with suppress(StoreBusy):
            lease.release()
    return report
