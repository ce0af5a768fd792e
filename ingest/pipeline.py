"""The ingest job shared by the command line, the manifest backfill and the app's upload form.

Each file is read, normalised and written on its own: a rejected file is reported with its reason
and recorded in ``rejections``; the others still load.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.engine import Connection

from ingest.errors import Rejected
from ingest.lifecycle import recompute_dirty
from ingest.load import Known, LoadOutcome, record_rejection_in, write_file
from ingest.models import ScanMeta
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


def ingest_file(
    store: Store, path: Path, meta: ScanMeta, options: Options | None = None, lease: _Lease | None = None
) -> FileReport:
    """Read, normalise and load one file (one transaction); never raises for bad input."""
    sha: str | None = None
    own = lease is None
    lease = lease or _Lease(store, 0.0)
    try:
        try:
            raw = load_log(path)
            sha = raw.sha256
            parsed = normalise(raw, meta, options)
            conn = lease.conn()
            try:
                with conn.begin():
                    outcome: LoadOutcome = write_file(conn, parsed, meta, defer_lifecycle=True, known=lease.known)
            except BaseException:
                lease.known.rollback()
                raise
            lease.known.commit()
        except Rejected as e:
            reason = str(e)
        except StoreBusy:
            raise
        except RecursionError:
            reason = "structure nested too deeply"
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, OSError, MemoryError) as e:
            # A defect of ours or an input shape we did not foresee: reject the file, keep going.
            log.exception("unexpected error on %s", path)
            reason = f"could not be normalised ({type(e).__name__}: {e})"
        else:
            status = ALREADY if outcome.already_loaded else LOADED
            return FileReport(str(path), status, outcome.scans, outcome.occurrences, None, parsed.warnings)
        conn = lease.conn()
        with conn.begin():
            record_rejection_in(conn, str(path), sha, reason)
        return FileReport(str(path), REJECTED, reason=reason)
    finally:
        if own:
            lease.release()


def ingest_many(
    store: Store,
    items: Sequence[tuple[Path, ScanMeta]],
    options: Options | None = None,
    progress: Progress | None = None,
    missing: Sequence[tuple[str, str]] = (),
    lease_s: float | None = None,
) -> Report:
    """Load many files, each in its own transaction, sharing one connection per write lease."""
    report = Report()
    lease = _Lease(store, WRITE_LEASE_S if lease_s is None else lease_s)
    try:
        for arg, problem in missing:
            conn = lease.conn()
            with conn.begin():
                record_rejection_in(conn, arg, None, problem)
            report.files.append(FileReport(arg, REJECTED, reason=problem))
        for n, (path, meta) in enumerate(items, start=1):
            if progress:
                progress(n, len(items), str(path))
            try:
                report.files.append(ingest_file(store, path, meta, options, lease))
            except StoreBusy as e:  # another process kept the store: report what is not loaded
                report.files.extend(FileReport(str(p), BUSY, reason=str(e)) for p, _ in items[n - 1 :])
                break
            lease.maybe_release()
    finally:
        with suppress(StoreBusy):
            lease.release()
    return report
