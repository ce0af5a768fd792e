"""Preparing files for the store: each read, normalised and packed on its own — bad input becomes
that file's reason, never an exception — in this process or, for large inputs, in worker processes
that run ahead of the writer (``ingest.pipeline``) with a bounded amount of input in flight.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import sys
import threading
import types
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.popen_spawn_posix import Popen
from multiprocessing.process import BaseProcess
from pathlib import Path

from core.errors import Rejected
from ingest.models import ParsedFile, ScanMeta
from ingest.no_pandas import keep_pandas_out
from ingest.normalise.options import Options
from ingest.normalise.scans import normalise
from ingest.pack import Packed, pack_many
from ingest.reader import load_log

log = logging.getLogger(__name__)


def env_int(name: str, default: int, minimum: int = 1) -> int:
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


# Below this many bytes of input, starting worker processes costs more than they save.
WORKER_MIN_BYTES = 8 << 20


def worker_count(items: Sequence[tuple[Path, ScanMeta]]) -> int:
    """Processes that read and normalise while this one writes: $FINDINGS_PARSE_WORKERS when set
    (0 = everything in this process), else one per CPU (at most 4) for inputs of 8 MB or more."""
    if os.environ.get("FINDINGS_PARSE_WORKERS", "").strip():
        return env_int("FINDINGS_PARSE_WORKERS", 0, minimum=0) if len(items) > 1 else 0
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
    keep_pandas_out()


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


class _WorkerProcess(SpawnProcess):
    """A spawned worker that does not run the starting process's main script again. A child
    started by "spawn" imports ``__main__`` anew unless it was run with ``-m``; under ``streamlit
    run`` that is the dashboard script, so every worker would run the dashboard (and query the
    store while this process writes to it). Workers need nothing from it: it is hidden while one
    starts (only the parent's start-up data is taken then; pickled tasks come from this package)."""

    @staticmethod
    def _Popen(process_obj: BaseProcess) -> Popen:
        main = sys.modules["__main__"]
        if getattr(main, "__spec__", None) is not None or not getattr(main, "__file__", None):
            return SpawnProcess._Popen(process_obj)
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            return SpawnProcess._Popen(process_obj)
        finally:
            sys.modules["__main__"] = main


class _WorkerContext(SpawnContext):
    Process = _WorkerProcess


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


def prepared_stream(
    items: Sequence[tuple[Path, ScanMeta]], options: Options | None, workers: int
) -> Iterator[Prepared]:
    """Prepared files in input order, prepared a chunk at a time; with workers, up to
    ``IN_FLIGHT_BYTES`` of input (at least two chunks per worker) in flight. A crashed worker
    pool falls back to this process for the rest."""
    if workers < 1:
        for chunk, _ in _chunks(items):
            yield from prepare_many(chunk, options)
        return
    ctx = _WorkerContext()  # spawned, direct children: the death signal reaches them
    done = 0
    pool = ProcessPoolExecutor(workers, ctx, initializer=_worker_start, initargs=(os.getpid(),))
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
    except BrokenProcessPool:
        log.warning("a normalising worker died; continuing in this process")
        for path, meta in items[done:]:
            yield prepare(path, meta, options)
    finally:
        # Stopped early (Ctrl-C, an error, a busy store): drop the queued files instead of waiting
        # for the workers to normalise every one of them; each finishes at most the chunks already
        # handed to it. Waiting for those (rather than leaving the pool to the interpreter's exit)
        # matters: on Python 3.11 the exit hook then races the pool's own cleanup and may print
        # "OSError: Bad file descriptor" with a traceback after the command's last line.
        pool.shutdown(wait=True, cancel_futures=True)
