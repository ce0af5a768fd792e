"""From command-line arguments to parsed SARIF documents.

Finds files (paths, directories recursively, globs), reads their bytes (gzip-aware, with a limit on
decompressed size), decodes (UTF-8 with or without BOM; UTF-16/32 when marked by a BOM), parses
JSON, and checks the top-level shape of a SARIF 2.1.0 log. Every failure is a ``Rejected`` whose
message is one line naming the reason; the caller adds the file name.

Files are opened without blocking and checked on the open descriptor (``fstat``), not by name: a
FIFO, a device (``/dev/zero`` behind a symlink) or a socket is refused at once, and the size limit
holds however big the file claims to be. With ``within`` (the inbox watcher), no symbolic link is
followed: each folder below ``within`` and the file itself are opened with ``O_NOFOLLOW``, one
component at a time, so no name can lead outside ``within``.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import stat
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from core.errors import Rejected, UnsupportedFormat

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
            named = sorted(p for p in path.rglob("*") if is_sarif_name(p.name))
            found = [(p, key) for p in named if (key := _file_key(p))]
            others = [p for p in named if _odd(p)]
            if not found and not others:
                problems.append((arg, "directory holds no .sarif/.json/.sarif.json(.gz) files"))
            for p, key in found:
                add(p, key)
            problems += [(str(p), why_not_a_file(p)) for p in others]
        elif key := _file_key(path):
            add(path, key)
        elif os.path.lexists(path):
            problems.append((arg, why_not_a_file(path)))
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


def is_regular(path: Path) -> bool:
    """True for a regular file (through symlinks); False for anything else, a missing file or an
    impossible name — never raises."""
    return _file_key(path) is not None


def _odd(path: Path) -> bool:
    """An entry that is there (through links) but neither a regular file nor a folder: a FIFO, a
    device, a socket named like a scan is reported; a dangling link stays unnoticed, as before."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _file_key(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a regular file (through symlinks), else None: one ``stat`` that both
    checks the file and tells the same file under two names apart from two files."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


def kind_of(mode: int) -> str:
    """What a non-regular file is, for messages: "a FIFO (named pipe)", "a character device"…"""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def why_not_a_file(path: Path) -> str:
    """Why ``path`` (through symlinks) cannot be read as a file, in a few words."""
    try:
        st = path.stat()
    except ValueError:
        return "not a valid file name"
    except OSError as e:
        return "no such file or directory" if e.errno == errno.ENOENT else f"cannot read: {e.strerror or e}"
    return "a regular file" if stat.S_ISREG(st.st_mode) else f"not a regular file but {kind_of(st.st_mode)}"


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC  # O_NONBLOCK: a FIFO opens at once, then is refused


def open_folder(root: Path, parts: Sequence[str], create: bool = False) -> int:
    """A descriptor of the folder ``root/parts…``, opened one component at a time without following
    a symbolic link (``O_NOFOLLOW``), so that it is inside ``root`` whatever the names say; missing
    folders are made when ``create``. Raises OSError (ELOOP or ENOTDIR for a link or a file)."""
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts:
            if part in ("", ".", ".."):
                raise OSError(errno.EINVAL, f"not a plain folder name: {part!r}")
            try:
                child = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, dir_fd=fd)
                child = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_failure(e: OSError, name: str | Path, dir_fd: int | None, follow: bool) -> Rejected:
    """The reason an open failed, naming what the entry is when it is not a regular file."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=follow)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISLNK(st.st_mode):
            return Rejected("a symbolic link: only regular files inside the folder are read, no link is followed")
        return Rejected(f"not a regular file but {kind_of(st.st_mode)}")
    if e.errno == errno.ENOENT:
        return Rejected("no such file or directory")
    return Rejected(f"cannot read: {e.strerror or e}")


def open_regular(path: Path, within: Path | None = None) -> int:
    """A read descriptor of ``path``, checked on the open file to be a regular file (never blocks:
    a FIFO or a device is refused). With ``within``, no symbolic link is followed: the folders from
    ``within`` down and the file are opened with ``O_NOFOLLOW``. Raises Rejected with the reason."""
    if "\0" in str(path):
        raise Rejected("not a valid file name (a NUL character)")
    if within is None:
        try:
            fd = os.open(path, _FILE_FLAGS)
        except OSError as e:
            raise _open_failure(e, path, None, True) from e
    else:
        try:
            rel = path.relative_to(within)
        except ValueError as e:
            raise Rejected(f"not inside {within}") from e
        try:
            folder = open_folder(within, rel.parent.parts)
        except OSError as e:
            raise Rejected(
                f"a folder on the way is a symbolic link or not a folder ({e.strerror or e}): only regular files "
                f"inside the folder are read, no link is followed"
            ) from e
        try:
            fd = os.open(rel.name, _FILE_FLAGS | os.O_NOFOLLOW, dir_fd=folder)
        except OSError as e:
            raise _open_failure(e, rel.name, folder, False) from e
        finally:
            os.close(folder)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise Rejected(f"not a regular file but {kind_of(mode)}")
    return fd


_GROWTH_CHUNK = 1 << 20


def read_file(path: Path, limit: int | None = None, within: Path | None = None) -> bytes:
    """The bytes of a regular file (see ``open_regular``), at most ``limit``: a bigger file is
    refused by its size before reading, and one that grows past the limit while read, once it did."""
    limit = max_file_bytes() if limit is None else limit
    fd = open_regular(path, within)
    with open(fd, "rb", closefd=True) as fh:
        size = os.fstat(fd).st_size
        if size > limit:
            raise Rejected(f"file is {size:,} bytes, over the {limit:,}-byte limit")
        try:
            data = fh.read(size + 1)
            if len(data) <= size:
                return data
            more = bytearray(data)  # it grew while we read: go on in bounded steps
            while len(more) <= limit and (chunk := fh.read(min(_GROWTH_CHUNK, limit + 1 - len(more)))):
                more += chunk
        except OSError as e:
            raise Rejected(f"cannot read: {e.strerror or e}") from e
    if len(more) > limit:
        raise Rejected(f"file grew over the {limit:,}-byte limit while being read")
    return bytes(more)


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


def read_bytes(path: Path, limit: int | None = None, *, within: Path | None = None) -> bytes:
    """The file's bytes, decompressed when it is gzip (by magic number or a ``.gz`` name)."""
    limit = max_file_bytes() if limit is None else limit
    data = read_file(path, limit, within)
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
    if not text or text.isspace():  # not strip(): that copies the whole file to find out
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


def load_log(path: Path, limit: int | None = None, *, within: Path | None = None) -> RawLog:
    """Read, decompress, decode, parse and shape-check one file (``within``: see ``open_regular``)."""
    data = read_bytes(path, limit, within=within)
    digest = hashlib.sha256(data).hexdigest()
    document = check_log(parse_json(data))
    return RawLog(path=path, sha256=digest, size_bytes=len(data), document=document)


__all__ = [
    "RawLog",
    "expand_paths",
    "is_regular",
    "is_sarif_name",
    "load_log",
    "open_folder",
    "open_regular",
    "read_bytes",
    "read_file",
    "why_not_a_file",
]
