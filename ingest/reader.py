"""From command-line arguments to parsed SARIF documents.

Finds files (paths, directories recursively, globs), reads their bytes (gzip-aware, with a limit on
decompressed size), decodes (UTF-8 with or without BOM; UTF-16/32 when marked by a BOM), parses
JSON, and checks the top-level shape of a SARIF 2.1.0 log. Every failure is a ``Rejected`` whose
message is one line naming the reason; the caller adds the file name.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ingest.errors import Rejected, UnsupportedFormat

SARIF_SUFFIXES = (".sarif", ".json", ".sarif.json")
MAX_DECOMPRESSED_BYTES = 2 * 1024**3  # default; $FINDINGS_MAX_FILE_BYTES overrides at call time


def max_file_bytes() -> int:
    """The limit on a file's (decompressed) size: $FINDINGS_MAX_FILE_BYTES, read on every call."""
    value = os.environ.get("FINDINGS_MAX_FILE_BYTES")
    try:
        return int(value) if value else MAX_DECOMPRESSED_BYTES
    except ValueError:
        return MAX_DECOMPRESSED_BYTES


SUPPORTED_VERSION = "2.1.0"
_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class RawLog:
    """A file's decompressed bytes' digest and its parsed JSON (already shape-checked)."""

    path: Path
    sha256: str
    size_bytes: int
    document: dict[str, Any]


def is_sarif_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return lower.endswith(SARIF_SUFFIXES) and not lower.endswith(".meta.json")


def expand_paths(args: Iterable[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named by paths, directories (recursive, SARIF-looking names only) and globs.

    Returns (files in a stable order without duplicates, [(argument, problem)]).
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen: set[tuple[int, int]] = set()

    def add(path: Path, key: tuple[int, int]) -> None:
        if key not in seen:
            seen.add(key)
            files.append(path)

    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found = sorted((p, key) for p in path.rglob("*") if is_sarif_name(p.name) and (key := _file_key(p)))
            if not found:
                problems.append((arg, "directory holds no .sarif/.json/.sarif.json(.gz) files"))
            for p, key in found:
                add(p, key)
        elif key := _file_key(path):
            add(path, key)
        elif glob.has_magic(arg):
            matches = sorted(Path(m) for m in glob.glob(arg, recursive=True))
            matched = [(m, key) for m in matches if (key := _file_key(m))]
            if not matched:
                problems.append((arg, "pattern matches no file"))
            for m, key in matched:
                add(m, key)
        else:
            problems.append((arg, "no such file or directory"))
    return files, problems


def _file_key(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a regular file (through symlinks), else None: one ``stat`` that both
    checks the file and tells the same file under two names apart from two files."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _gunzip(data: bytes, limit: int) -> bytes:
    out = bytearray()
    decomp = zlib.decompressobj(wbits=31)
    chunk = data
    try:
        while chunk:
            out += decomp.decompress(chunk, limit + 1 - len(out))
            if len(out) > limit:
                raise Rejected(f"gzip expands beyond the {limit:,}-byte limit (possible gzip bomb)")
            chunk = decomp.unconsumed_tail
            if decomp.eof and decomp.unused_data[:2] == _GZIP_MAGIC:  # concatenated members
                chunk = decomp.unused_data
                decomp = zlib.decompressobj(wbits=31)
        if not decomp.eof:
            raise Rejected("gzip data is truncated")
    except zlib.error as e:
        raise Rejected(f"corrupt gzip data ({e})") from e
    return bytes(out)


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes, decompressed when it is gzip (by magic number or a ``.gz`` name)."""
    limit = max_file_bytes() if limit is None else limit
    try:
        size = path.stat().st_size
        if size > limit:
            raise Rejected(f"file is {size:,} bytes, over the {limit:,}-byte limit")
        data = path.read_bytes()
    except OSError as e:
        raise Rejected(f"cannot read: {e.strerror or e}") from e
    if data[:2] == _GZIP_MAGIC:
        return _gunzip(data, limit)
    if path.name.lower().endswith(".gz"):
        raise Rejected("named .gz but is not gzip data")
    return data


def decode(data: bytes) -> str | bytes:
    """Bytes ready for the JSON parser: UTF-8 passes through (BOM removed); other BOMs decoded."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding == "utf-8":
                return data[len(bom) :]
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as e:
                raise Rejected(f"invalid {encoding.upper()} text at byte {e.start}") from e
    if len(data) >= 2 and (data[0] == 0) != (data[1] == 0):
        raise Rejected("looks like UTF-16 without a byte-order mark; SARIF must be UTF-8")
    return data


def parse_json(data: bytes) -> Any:
    text = decode(data)
    if not text.strip():
        raise Rejected("empty file")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        msg = str(e)
        if isinstance(text, bytes) and ("utf-8" in msg.lower() or "utf8" in msg.lower()):
            try:
                text.decode("utf-8")
            except UnicodeDecodeError as u:
                raise Rejected(f"not UTF-8 text (byte 0x{text[u.start]:02x} at offset {u.start})") from e
        raise Rejected(f"invalid JSON: {msg}") from e
    except RecursionError as e:  # pragma: no cover - orjson limits depth itself
        raise Rejected("JSON nested too deeply") from e


def check_log(document: Any) -> dict[str, Any]:
    """The top-level shape of a SARIF 2.1.0 log; anything else is rejected with the reason."""
    if not isinstance(document, dict):
        raise UnsupportedFormat(f"not a SARIF log: the top level is {_kind(document)}, not an object")
    version = document.get("version")
    if version is None:
        if "runs" in document or "$schema" in document:
            raise UnsupportedFormat('not a SARIF log: no "version" property')
        raise UnsupportedFormat('not a SARIF log: no "version" or "runs" property')
    if version != SUPPORTED_VERSION:
        raise UnsupportedFormat(f"SARIF version {str(version)!r} is not supported (only {SUPPORTED_VERSION})")
    if "runs" not in document:
        raise UnsupportedFormat('invalid SARIF 2.1.0: no "runs" property')
    runs = document["runs"]
    if not isinstance(runs, list):
        raise UnsupportedFormat(f'invalid SARIF 2.1.0: "runs" is {_kind(runs)}, not a list')
    for i, run in enumerate(runs):
        if not isinstance(run, dict):
            raise UnsupportedFormat(f"invalid SARIF 2.1.0: runs[{i}] is {_kind(run)}, not an object")
        if "results" in run:
            results = run["results"]
            if not isinstance(results, list):
                raise UnsupportedFormat(f"invalid SARIF 2.1.0: runs[{i}].results is {_kind(results)}, not a list")
            for j, result in enumerate(results):
                if not isinstance(result, dict):
                    raise UnsupportedFormat(
                        f"invalid SARIF 2.1.0: runs[{i}].results[{j}] is {_kind(result)}, not an object"
                    )
        tool = run.get("tool")
        if tool is not None and not isinstance(tool, dict):
            raise UnsupportedFormat(f"invalid SARIF 2.1.0: runs[{i}].tool is {_kind(tool)}, not an object")
    return document


def _kind(value: Any) -> str:
    """An article and a JSON type name, for messages: "a list", "an object", "null"."""
    if value is None:
        return "null"
    name = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def load_log(path: Path, limit: int | None = None) -> RawLog:
    """Read, decompress, decode, parse and shape-check one file."""
    data = read_bytes(path, limit)
    digest = hashlib.sha256(data).hexdigest()
    document = check_log(parse_json(data))
    return RawLog(path=path, sha256=digest, size_bytes=len(data), document=document)


def iter_logs(paths: Iterable[Path]) -> Iterator[tuple[Path, RawLog | Rejected]]:
    for path in paths:
        try:
            yield path, load_log(path)
        except Rejected as e:
            yield path, e


__all__ = ["RawLog", "expand_paths", "is_sarif_name", "load_log", "read_bytes"]
