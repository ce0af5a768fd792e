"""The ingest job shared by the command line, the manifest backfill and the app's upload form.

Each file is read, normalised and written on its own: a rejected file is reported with its reason
and recorded in ``rejections``; the others still load.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, suppress
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy.engine import Connection

from ingest.errors import Rejected
from ingest.lifecycle import recompute_dirty
from ingest.load import Known, LoadOutcome, record_rejection_in, write_file
from ingest.models import ParsedFile, ScanMeta
from ingest.reader import load_log
from ingest.sarif import Options, normalise
from store.db import Store, StoreBusy

log = logging.getLogger(__name__)

LOADED, ALREADY, REJECTED, BUSY = "loaded", "already loaded", "rejected", "not loaded (store busy)"


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
        if self.status == BUSY:
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


# How long one process may hold the database for writing before letting readers in (seconds).
# 0 = one connection per file. Each file is still its own transaction either way.
WRITE_LEASE_S = float(os.environ.get("FINDINGS_WRITE_LEASE_S", "0.5"))
LEASE_PAUSE_S = 0.06


class _Lease:
    """A read-write connection held for consecutive files for at most ``seconds``; released (after
    recomputing the lifecycle of the streams its files touched) so that readers get their turn.
    Opening one first finishes any recompute a crashed run left behind."""

    def __init__(self, store: Store, seconds: float):
        self.store = store
        self.seconds = seconds
        self._cm: AbstractContextManager[Connection] | None = None
        self._conn: Connection | None = None
        self._opened = 0.0
        self.known = Known()

    def conn(self) -> Connection:
        if self._conn is None:
            self._cm = self.store.connect_rw()
            self._conn = self._cm.__enter__()
            self._opened = time.monotonic()
            recompute_dirty(self._conn)
        return self._conn

    def maybe_release(self) -> None:
        """End the lease when its time is up, and pause long enough for waiting readers (which
        poll every ≤ 30 ms) to get in before the next file takes the lock again."""
        if self._conn is not None and time.monotonic() - self._opened >= self.seconds:
            self.release()
            time.sleep(LEASE_PAUSE_S)

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
    """A file read and normalised (in this process or a worker), ready to be stored."""

    path: Path
    meta: ScanMeta
    parsed: ParsedFile | None
    sha: str | None
    reason: str | None


_DEFECTS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, OSError, MemoryError)


def prepare(path: Path, meta: ScanMeta, options: Options | None = None) -> Prepared:
    """Read and normalise one file; bad input becomes a reason, never an exception."""
    sha: str | None = None
    try:
        raw = load_log(path)
        sha = raw.sha256
        return Prepared(path, meta, normalise(raw, meta, options), sha, None)
    except Rejected as e:
        reason = str(e)
    except RecursionError:
        reason = "structure nested too deeply"
    except _DEFECTS as e:
        # A defect of ours or an input shape we did not foresee: reject the file, keep going.
        log.exception("unexpected error on %s", path)
        reason = f"could not be normalised ({type(e).__name__}: {e})"
    return Prepared(path, meta, None, sha, reason)


def store_prepared(lease: _Lease, prep: Prepared) -> FileReport:
    """Write one prepared file in one transaction (or record its rejection)."""
    reason = prep.reason
    if prep.parsed is not None:
        conn = lease.conn()
        try:
            with conn.begin():
                outcome: LoadOutcome = write_file(conn, prep.parsed, prep.meta, defer_lifecycle=True, known=lease.known)
        except BaseException:
            lease.known.rollback()
            raise
        lease.known.commit()
        status = ALREADY if outcome.already_loaded else LOADED
        return FileReport(str(prep.path), status, outcome.scans, outcome.occurrences, None, prep.parsed.warnings)
    conn = lease.conn()
    with conn.begin():
        record_rejection_in(conn, str(prep.path), prep.sha, reason or "rejected")
    return FileReport(str(prep.path), REJECTED, reason=reason)


def ingest_file(
    store: Store, path: Path, meta: ScanMeta, options: Options | None = None, lease: _Lease | None = None
) -> FileReport:
    """Read, normalise and load one file (one transaction); never raises for bad input."""
    own = lease is None
    lease = lease or _Lease(store, 0.0)
    try:
        return store_prepared(lease, prepare(path, meta, options))
    finally:
        if own:
            lease.release()


def _workers(files: int) -> int:
    """Processes that read and normalise while this one writes, for batches of 16 files or more:
    $FINDINGS_PARSE_WORKERS (default 0 = all in this process). Opt-in because a ``kill -9`` of
    this process leaves the pool's processes behind (they hold its stdout), and because at the
    benchmark's scale the single writer, not normalisation, bounds the speed."""
    try:
        wanted = int(os.environ.get("FINDINGS_PARSE_WORKERS", "0") or 0)
    except ValueError:
        return 0
    return max(0, wanted) if files >= 16 else 0


def _prepared_stream(
    items: Sequence[tuple[Path, ScanMeta]], options: Options | None, workers: int
) -> Iterator[Prepared]:
    """Prepared files in input order; with workers, at most 2 per worker in flight (bounded
    memory). A crashed worker pool falls back to this process for the rest."""
    if workers <= 1:
        for path, meta in items:
            yield prepare(path, meta, options)
        return
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["ingest.sarif", "ingest.reader"])
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            window: deque[Future[Prepared]] = deque()
            pending = iter(items)
            for path, meta in islice(pending, 2 * workers):
                window.append(pool.submit(prepare, path, meta, options))
            while window:
                prep = window.popleft().result()
                for path, meta in islice(pending, 1):
                    window.append(pool.submit(prepare, path, meta, options))
                done += 1
                yield prep
    except BrokenProcessPool:
        log.warning("a normalising worker died; continuing in this process")
        for path, meta in items[done:]:
            yield prepare(path, meta, options)


def ingest_many(
    store: Store,
    items: Sequence[tuple[Path, ScanMeta]],
    options: Options | None = None,
    progress: Progress | None = None,
    missing: Sequence[tuple[str, str]] = (),
    lease_s: float | None = None,
) -> Report:
    """Load many files, each in its own transaction, sharing one connection per write lease;
    other processes read and normalise the next files meanwhile (``_workers``)."""
    report = Report()
    lease = _Lease(store, WRITE_LEASE_S if lease_s is None else lease_s)
    stream = _prepared_stream(items, options, _workers(len(items)))
    try:
        for arg, problem in missing:
            conn = lease.conn()
            with conn.begin():
                record_rejection_in(conn, arg, None, problem)
            report.files.append(FileReport(arg, REJECTED, reason=problem))
        for n, prep in enumerate(stream, start=1):
            if progress:
                progress(n, len(items), str(prep.path))
            try:
                report.files.append(store_prepared(lease, prep))
            except StoreBusy as e:  # another process kept the store: report what is not loaded
                report.files.extend(FileReport(str(p), BUSY, reason=str(e)) for p, _ in items[n - 1 :])
                break
            lease.maybe_release()
    finally:
        if hasattr(stream, "close"):
            stream.close()
        with suppress(StoreBusy):
            lease.release()
    return report
