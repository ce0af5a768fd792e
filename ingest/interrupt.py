"""Ctrl-C as a request, not an exception: the first one asks the ingest to stop after the files at
hand (their batch is still written whole, then the command reports what is not loaded and exits
130); a second one forces the stop. A ``KeyboardInterrupt`` raised at an arbitrary point would
strike inside DuckDB statements, connection finalisers or a worker pool's shutdown and leave
tracebacks or a hung pool. Imported first by ``python -m ingest``; nothing heavy here."""

from __future__ import annotations

import signal
import threading
from typing import Any

STOP = threading.Event()


def _on_sigint(signum: int, frame: Any) -> None:
    if STOP.is_set():  # the second Ctrl-C: stop now
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt
    STOP.set()


def install() -> bool:
    """Route Ctrl-C to ``STOP`` (main thread only); True when installed."""
    if threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGINT, _on_sigint)
    return True


def ignore_from_now() -> None:
    """The command is done: ignore any further Ctrl-C (main thread only). Python's shutdown resets
    a Python-level handler to the default action (but leaves "ignore" alone), under which a Ctrl-C
    arriving in those last milliseconds would kill the finished process without a word, with a
    signal's exit status (-2) instead of its own."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
