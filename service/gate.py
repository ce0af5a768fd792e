"""Turns for the service's uploads: how many are read and normalised at once, and who writes when.

Every upload holds a *slot* while it is read, normalised and written (``--parallel``, default 2
— parsing a SARIF file holds memory a few times its size, so the slots bound memory). On a DuckDB
file the service is the one writer: within a slot, the write itself also takes the single *turn*,
so uploads parse side by side and write one after another, each in the ingest's own short lease
(the dashboard's readers get in between). On PostgreSQL writers of different streams run in
parallel (the ingest's per-stream locks order the rest), so the turn is not taken.

A request that cannot get its slot or turn within ``wait_s`` raises ``StoreBusy`` (HTTP 503 with
Retry-After), as the ingest does when another process holds the file too long.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from core.errors import StoreBusy

RETRY_AFTER_S = 5  # what a 503 tells the client to wait before trying again


class Gate:
    def __init__(self, parallel: int, single_writer: bool, wait_s: float):
        self.parallel = max(1, parallel)
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(self.parallel)
        self._turn = threading.Lock() if single_writer else None

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_s):
            raise StoreBusy(f"{self.parallel} upload(s) are being loaded and none finished within {self.wait_s:.0f} s")
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
            raise StoreBusy(f"another upload held the database for more than {self.wait_s:.0f} s")
        try:
            yield
        finally:
            self._turn.release()
