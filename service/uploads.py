"""Request bodies to files: streamed to a private spool folder, never held whole in memory.

The body's size is counted while it arrives and the request stops at ``FINDINGS_MAX_FILE_BYTES``
(HTTP 413), before the ingest sees anything. A gzip body (``Content-Encoding: gzip``, a gzip
content type, or the gzip magic number) is decompressed on the way, in bounded steps, with the
same limit on what it expands to, so a gzip bomb is stopped after the limit and not a byte later,
and the file the ingest reads is the same decompressed bytes the command line would read (the
same SHA-256, so the same upload as a ``.sarif`` or a ``.sarif.gz`` is the same file). Truncated
or corrupt gzip is a ``BodyRejected``: the file is rejected with that reason, as the command line
rejects it.

Each request writes into its own folder under the spool; the spool of a service killed with
``kill -9`` is removed by the next start (``clean_spools``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from starlette.requests import Request

from ingest.reader import max_file_bytes

GZIP_MAGIC = b"\x1f\x8b"
OUT_STEP = 1 << 20  # decompressed bytes per step
SARIF_TYPES = frozenset({"application/sarif+json", "application/json", "application/octet-stream"})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
RECORD_TYPES = frozenset({"text/csv", "application/json", "application/octet-stream"})
_GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})
_SPOOL_PREFIX = "findings-api-"


class BodyProblem(Exception):
    """A request whose headers or size the service refuses: ``status`` 400, 413 or 415."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class BodyRejected(Exception):
    """A body that arrived but cannot be a file (truncated or corrupt gzip): a rejected file."""


def media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def check_headers(headers: Mapping[str, str], accepted: frozenset[str], limit: int) -> bool:
    """Refuse a body by its headers alone (415, 413, 400); True when they say it is gzip."""
    kind = media_type(headers)
    if kind not in accepted:
        shown = repr(kind) if kind else "none"
        raise BodyProblem(415, f"Content-Type {shown} is not accepted here; send one of: {', '.join(sorted(accepted))}")
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", *_GZIP_ENCODINGS):
        raise BodyProblem(415, f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding")
    length = headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise BodyProblem(400, "Content-Length is not a number")
        if int(length) > limit:
            raise BodyProblem(413, f"the body is {int(length):,} bytes, over the {limit:,}-byte limit")
    return encoding in _GZIP_ENCODINGS or kind in GZIP_TYPES


class Sink:
    """Receives a body chunk by chunk (on a worker thread: decompressing is CPU work) and writes
    the file's bytes, decompressed when the body is gzip."""

    def __init__(self, path: Path, limit: int, gzip_declared: bool):
        self.path = path
        self.limit = limit
        self.gzip_declared = gzip_declared
        self.received = 0
        self.written = 0
        self._head = b""  # the first bytes, until there are two to compare with the gzip magic
        self._gzip: bool | None = None
        self._inflater: zlib._Decompress | None = None
        self._between = b""  # after a gzip member: bytes that may start the next one
        self._done = False  # after the last member: the rest is ignored, as the command line does
        self._file = path.open("xb")

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.limit:
            raise BodyProblem(413, f"the body is over the {self.limit:,}-byte limit")
        if self._gzip is None:
            self._head += chunk
            if len(self._head) < len(GZIP_MAGIC):
                return
            chunk, self._head = self._head, b""
            self._gzip = chunk.startswith(GZIP_MAGIC)
            if self.gzip_declared and not self._gzip:
                raise BodyRejected("the request says gzip, but the body is not gzip data")
            if self._gzip:
                self._inflater = zlib.decompressobj(wbits=31)
        if self._gzip:
            self._inflate(chunk)
        else:
            self._write(chunk)

    def finish(self) -> None:
        """The body ended: flush, and reject truncated gzip."""
        if self._gzip is None and self._head:
            if self.gzip_declared:
                raise BodyRejected("the request says gzip, but the body is not gzip data")
            self._write(self._head)
        if self._gzip and not self._done and self._inflater is not None and not self._inflater.eof:
            raise BodyRejected("gzip data is truncated")
        self._file.close()

    def close(self) -> None:
        self._file.close()

    def _write(self, data: bytes) -> None:
        self.written += len(data)
        if self.written > self.limit:
            raise BodyProblem(413, f"the body expands beyond the {self.limit:,}-byte limit (possible gzip bomb)")
        self._file.write(data)

    def _inflate(self, data: bytes) -> None:
        while data and not self._done:
            if self._inflater is None:  # between members: another one, or the end
                data = self._between + data
                if len(data) < len(GZIP_MAGIC):
                    self._between = data
                    return
                self._between = b""
                if not data.startswith(GZIP_MAGIC):
                    self._done = True
                    return
                self._inflater = zlib.decompressobj(wbits=31)
            data = self._step(self._inflater, data)

    def _step(self, inflater: zlib._Decompress, data: bytes) -> bytes:
        """Decompress ``data`` in bounded steps; what follows the member's end, if it ended."""
        try:
            while True:
                piece = inflater.decompress(data, OUT_STEP)
                self._write(piece)
                data = inflater.unconsumed_tail
                if inflater.eof:
                    self._inflater = None
                    return inflater.unused_data
                if not data and not piece:
                    return b""
        except zlib.error as e:
            raise BodyRejected(f"corrupt gzip data ({e})") from e


async def receive(stream: AsyncIterator[bytes], sink: Sink) -> None:
    """Feed the request's body to ``sink`` as it arrives."""
    async for chunk in stream:
        if chunk:
            await anyio.to_thread.run_sync(sink.feed, chunk)
    await anyio.to_thread.run_sync(sink.finish)


@dataclass(frozen=True, slots=True)
class Received:
    """A body written to ``path``; ``problem`` says why it cannot be a file (it is then rejected)."""

    path: Path
    problem: str | None


@asynccontextmanager
async def spooled(request: Request, spool: Spool, name: str, gzip: bool) -> AsyncIterator[Received]:
    """The request's body as the file ``name`` in a folder of its own, removed when the block ends.
    At most ``spool.in_flight`` uploads are received or loaded at once; more are refused (HTTP 503,
    try again) rather than queued without bound."""
    with spool.admitted():
        folder = spool.folder()
        try:
            sink = Sink(folder / name, max_file_bytes(), gzip)
            try:
                await receive(request.stream(), sink)
                problem = None
            except BodyRejected as e:
                problem = str(e)
            finally:
                sink.close()
            yield Received(sink.path, problem)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def disk_name(filename: str | None, default: str, gzip: bool) -> str:
    """The name a body is written under: the client's file name, reduced to safe characters, without
    ``.gz`` once decompressed (the file is no longer gzip)."""
    name = _UNSAFE.sub("_", Path((filename or "").replace("\\", "/")).name)[:120].lstrip(".")
    if gzip and name.lower().endswith(".gz"):
        name = name[:-3]
    return name or default


class Spool:
    """A private folder (mode 0700) for this process's request bodies, and how many uploads may be in
    flight at once (each body may grow to ``FINDINGS_MAX_FILE_BYTES`` on disk)."""

    def __init__(self, parent: Path | None = None, in_flight: int = 16):
        base = Path(parent or tempfile.gettempdir())
        self.root = Path(tempfile.mkdtemp(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-", dir=base))
        self.in_flight = in_flight
        self._arriving = 0
        self._lock = threading.Lock()

    @contextmanager
    def admitted(self) -> Iterator[None]:
        with self._lock:
            if self._arriving >= self.in_flight:
                raise BodyProblem(503, f"{self.in_flight} uploads are in flight already; try again in a few seconds")
            self._arriving += 1
        try:
            yield
        finally:
            with self._lock:
                self._arriving -= 1

    def folder(self) -> Path:
        path = self.root / uuid.uuid4().hex
        path.mkdir(mode=0o700)
        return path

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def clean_spools(parent: Path | None = None) -> int:
    """Remove spools of services that are no longer running (a ``kill -9`` leaves its spool)."""
    base = Path(parent or tempfile.gettempdir())
    removed = 0
    for path in base.glob(f"{_SPOOL_PREFIX}*-*"):
        pid_text = path.name[len(_SPOOL_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)) or not path.is_dir() or path.stat().st_uid != os.getuid():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
