"""Turns for the service's uploads: how many are read and normalised at once, and who writes when.

Every upload holds a *slot* while it is read and normalised (``--parallel``, default 2 — parsing
a SARIF file holds memory a few times its size, so the slots bound memory). Then it is written:

- On a DuckDB file the service is the one writer. A single writer thread takes every upload that
  is waiting and writes them together, in one transaction on one short lease of the ingest
  (``ingest.pipeline.store_prepared``, as ``ingest sarif`` writes a batch of files), so the
  leases are as few as the uploads allow and the dashboard's readers get in between them. The
  other writes of the service (deployments, incidents, rejected bodies) take the same *turn*.
- On PostgreSQL ``--parallel`` writer threads do the same side by side: each takes the uploads
  waiting when it is free, so batches of different writers are written in parallel (the
  ingest's per-stream locks order writers of the same stream) while each lease still carries
  as many uploads as are waiting — one lifecycle recompute of a stream for many of its files.

A request that cannot get its slot or turn, or whose batch is not written, within ``wait_s``
raises ``StoreBusy`` (HTTP 503 with Retry-After), as the ingest does when another process holds
the file too long. A request that gave up leaves its file queued: it is written anyway, and the
client's retry finds it "already loaded".
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager, contextmanager, nullcontext

from core.errors import StoreBusy
from ingest.pipeline import FileReport, batch_results, store_prepared
from ingest.prepare import Prepared
from store.db import Store

RETRY_AFTER_S = 5  # what a 503 tells the client to wait before trying again
BATCH_FILES = 64  # uploads written together at most (and at most batch_results() results)


class Gate:
    def __init__(self, store: Store, parallel: int, wait_s: float):
        self.store = store
        self.parallel = max(1, parallel)
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(self.parallel)
        self._turn = threading.Lock() if not store.is_server else None
        self._writer = BatchWriter(store, self._turn, 1 if self._turn is not None else self.parallel)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_s):
            raise StoreBusy(f"{self.parallel} upload(s) are being read and none finished within {self.wait_s:.0f} s")
        try:
            yield
        finally:
            self._slots.release()

    def turn(self) -> AbstractContextManager[None]:
        """The writer's turn (DuckDB), else nothing to wait for."""
        return self._exclusive() if self._turn is not None else nullcontext()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        assert self._turn is not None
        if not self._turn.acquire(timeout=self.wait_s):
            raise StoreBusy(f"another write held the database for more than {self.wait_s:.0f} s")
        try:
            yield
        finally:
            self._turn.release()

    def write(self, prepared: Prepared) -> FileReport:
        """Store a prepared upload, together with the others waiting for the same writer."""
        return self._writer.submit(prepared, 3 * self.wait_s)


class BatchWriter:
    """Writer threads that each write the uploads waiting when they are free, together (taking
    the writer's turn, when there is one)."""

    def __init__(self, store: Store, turn: threading.Lock | None, threads: int):
        self.store = store
        self.threads = threads
        self._turn = turn
        self._queue: queue.SimpleQueue[tuple[Prepared, Future[FileReport]]] = queue.SimpleQueue()
        self._started = threading.Lock()
        self._running: list[threading.Thread] = []

    def submit(self, prepared: Prepared, wait_s: float) -> FileReport:
        with self._started:
            while len(self._running) < self.threads:
                thread = threading.Thread(target=self._run, name=f"upload-writer-{len(self._running)}", daemon=True)
                thread.start()
                self._running.append(thread)
        future: Future[FileReport] = Future()
        self._queue.put((prepared, future))
        try:
            return future.result(timeout=wait_s)
        except FutureTimeout:
            raise StoreBusy(f"the upload was not written within {wait_s:.0f} s; it will be, try again") from None

    def _take(self) -> list[tuple[Prepared, Future[FileReport]]]:
        batch = [self._queue.get()]
        size, most_results = batch[0][0].size, batch_results()
        while len(batch) < BATCH_FILES and size < most_results:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            batch.append(item)
            size += item[0].size
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                with self._turn if self._turn is not None else nullcontext():
                    reports = store_prepared(self.store, [p for p, _ in batch])
            except BaseException as e:  # every waiting request answers with it (a busy store: 503)
                for _, future in batch:
                    future.set_exception(e)
                continue
            for (_, future), report in zip(batch, reports, strict=True):
                future.set_result(report)
