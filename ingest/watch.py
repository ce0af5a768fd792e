"""``python -m ingest watch DIR``: an inbox for pipelines that drop SARIF files on a share.

Every SARIF file (``.sarif``, ``.json``, ``.sarif.json``, each optionally ``.gz``) that appears in DIR
or a folder below it — except ``archive/``, ``rejected/`` and hidden folders — is loaded once it is
complete, then moved:

- to ``DIR/archive/<same relative path>`` after "loaded" or "already loaded";
- to ``DIR/rejected/<same relative path>`` with ``<name>.reason.txt`` beside it, after a rejection.

**Complete** means its size and modification time (and its sidecar's) stayed the same for
``--settle`` seconds. Write big files under a temporary name that is not a SARIF name (``x.sarif.tmp``,
``x.sarif.part``, or a name starting with ``.``) and rename them when done, or choose a settle time
longer than the writer's longest pause.

**Metadata** given with the file (the first source of docs/definitions.md §2), first that exists:

1. a sidecar ``NAME.meta.json`` beside the file, where NAME is the file name (``scan.sarif.meta.json``)
   or the name without its SARIF suffix (``scan.meta.json``): a JSON object with any of
   ``project, branch, commit, scanned_at, category, source_root``. Write it *before* the SARIF file.
   A ``source_root`` must lie inside a folder given with ``--source-roots`` (else the file is rejected).
2. the file name pattern ``PROJECT__BRANCH__COMMIT__YYYYMMDDTHHMMSSZ[__CATEGORY].sarif[.gz]``:
   parts separated by two underscores, ``/`` written as ``+`` (``acme+web__feature+login__3f2a1b9__
   20260301T120000Z.sarif``), an empty part means "not given";
3. else what the SARIF itself says (docs/definitions.md §2).

**Never loses a file**: each file is loaded first (one transaction) and moved after. A file found
again after a crash or restart has the same bytes and metadata, so it is "already loaded" and is then
moved. A file that cannot be moved, or whose load failed because the database stayed busy or its
server could not be used, stays in the inbox and is tried again.

**Stays inside DIR**: only regular files are read, checked on the open file (``O_NOFOLLOW``,
``O_NONBLOCK``, then ``fstat``): a symbolic link, a FIFO or a device named like a scan is rejected
with the reason (and moved, itself, to ``rejected/``), never followed or waited on. Files are moved
through folders opened one at a time without following links, so an ``archive/`` or ``rejected/``
that is a symbolic link moves nothing out of DIR (the file stays, with an error line). A name too
long for ``NAME.meta.json`` or ``NAME.reason.txt`` (file names are at most 255 bytes) has no sidecar
of that form, and its reason file is named ``NAME-START~HASH.reason.txt`` (8 hex digits of a hash).
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from core.errors import ConfigError, ExitCode, Rejected, StoreBusy, StoreError, StoreUnavailable
from core.settings import load_settings
from ingest.load import record_rejection
from ingest.models import ScanMeta
from ingest.normalise.options import Options
from ingest.pipeline import ALREADY, LOADED, REJECTED, FileReport, ingest_file, printable
from ingest.reader import is_sarif_name, open_folder
from ingest.watch_meta import META_SUFFIX, entry, meta_for, sidecar_of, source_root_allowed, split_suffix
from store.db import Store

log = logging.getLogger(__name__)

ARCHIVE, REJECTED_DIR = "archive", "rejected"
REASON_SUFFIX = ".reason.txt"
DEFAULT_INTERVAL_S = 2.0
DEFAULT_SETTLE_S = 5.0
NAME_MAX_BYTES = 255  # the longest file name Linux file systems take

Signature = tuple[int, int, int, int]  # size, mtime_ns of the file; size, mtime_ns of its sidecar (or -1)


# ------------------------------------------------------------------------------------------ names
def is_inbox_file(path: Path) -> bool:
    name = path.name
    return is_sarif_name(name) and not name.startswith(".") and not name.endswith(REASON_SUFFIX)


def fit_name(base: str, tail: str = "") -> str:
    """``base + tail``, or when that is longer than a file name may be (255 bytes): ``base`` cut,
    ``~`` and 8 hex digits of its sha256, then ``tail`` — different names stay different."""
    name = base + tail
    if len(os.fsencode(name)) <= NAME_MAX_BYTES:
        return name
    digest = hashlib.sha256(os.fsencode(base)).hexdigest()[:8]
    room = NAME_MAX_BYTES - len(os.fsencode(f"~{digest}{tail}"))
    cut = base[:room]
    while len(os.fsencode(cut)) > room:
        cut = cut[:-1]
    return f"{cut}~{digest}{tail}"


# ---------------------------------------------------------------------------------------- the inbox
def candidates(root: Path) -> Iterator[Path]:
    """SARIF files under ``root``, in a stable order, skipping archive/, rejected/ and hidden folders."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == root:
            dirnames[:] = [d for d in dirnames if d not in (ARCHIVE, REJECTED_DIR)]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = here / name
            if is_inbox_file(path):
                yield path


def signature(path: Path) -> Signature | None:
    """Size and time of the entry and its sidecar, as they are (a symbolic link is not followed)."""
    st = entry(path)
    if st is None:
        return None
    side = sidecar_of(path)
    sst = entry(side) if side else None
    return (st.st_size, st.st_mtime_ns, sst.st_size if sst else -1, sst.st_mtime_ns if sst else -1)


def _exists_in(folder: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def free_name(folder: int, name: str) -> str:
    """``name``, or ``name~1.sarif``, ``name~2.sarif``… when a file of that name is in ``folder``
    (a descriptor) already."""
    if not _exists_in(folder, name):
        return name
    stem, suffix = split_suffix(name)
    n = 1
    while True:
        candidate = fit_name(f"{stem}~{n}", suffix)
        if not _exists_in(folder, candidate):
            return candidate
        n += 1


def _write_text_atomic(folder: int, name: str, text: str) -> None:
    """``name`` in ``folder`` (a descriptor) holds ``text``, whole or not at all."""
    tmp = f".reason.{os.getpid()}.tmp"
    with suppress(FileNotFoundError):
        os.unlink(tmp, dir_fd=folder)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=folder)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)


def _folder(root: Path, parts: tuple[str, ...], create: bool = False) -> int:
    """``open_folder``, with an error that says what is wrong when a link or a file is in the way."""
    try:
        return open_folder(root, parts, create)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR):
            where = "/".join(parts) + "/"
            what = "is a symbolic link or a file (or a folder on the way is)"
            raise OSError(e.errno, f"{where} {what}; nothing is moved out of the inbox") from e
        raise


@dataclass
class Outcome:
    report: FileReport
    moved_to: Path | None


@dataclass
class Watcher:
    """The inbox job over one directory and one store."""

    root: Path
    store: Store
    options: Options | None = None
    settle_s: float = DEFAULT_SETTLE_S
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], float] = time.monotonic
    # Folders a sidecar's source_root may point into (``--source-roots``); none: no source_root.
    # Whoever can drop files must not make this process read (and hash) any folder it can see.
    source_roots: tuple[Path, ...] = ()
    _seen: dict[Path, tuple[Signature, float]] = field(default_factory=dict)
    _stuck: dict[Path, Signature] = field(default_factory=dict)
    busy: bool = False
    down: str | None = None  # why the database server cannot be used, until a file loads again

    def _checked(self, meta: ScanMeta) -> ScanMeta:
        if meta.source_root and not source_root_allowed(meta.source_root, self.source_roots):
            where = ", ".join(str(a) for a in self.source_roots) or "none given"
            raise Rejected(
                f"sidecar source_root {printable(meta.source_root)[:200]!r} is not inside a folder given with "
                f"--source-roots ({where})"
            )
        return meta

    def ready(self) -> list[Path]:
        """Files whose signature has not changed for ``settle_s`` (first sight starts the clock)."""
        now = self.clock()
        found: list[Path] = []
        present = set()
        for path in candidates(self.root):
            present.add(path)
            sig = signature(path)
            if sig is None:
                continue
            if self._stuck.get(path) == sig:
                continue  # failed before and unchanged since: retried after a change or a restart
            before = self._seen.get(path)
            if before is None or before[0] != sig:
                self._seen[path] = (sig, now)
                if self.settle_s > 0:
                    continue
            if now - self._seen[path][1] >= self.settle_s:
                found.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        for gone in set(self._stuck) - present:
            del self._stuck[gone]
        return found

    def process(self, path: Path) -> Outcome | None:
        """Load one settled file and move it; None when it must stay (busy store, changed, vanished)."""
        before = signature(path)
        if before is None:
            return None
        rel = path.relative_to(self.root)
        try:
            try:
                meta = self._checked(meta_for(path, self.root))
            except Rejected as e:
                report = FileReport(str(path), REJECTED, reason=str(e))
                record_rejection(self.store, str(path), None, str(e))
            else:
                report = ingest_file(self.store, path, meta, self.options, within=self.root)
            self.down = None
        except StoreUnavailable as e:  # the server is away: the file waits for it (said once per outage)
            if self.down != str(e):
                self.err.write(f"error: {e}; {printable(str(rel))} stays in the inbox\n")
            self.down = str(e)
            return None
        except StoreBusy as e:
            self.busy = True
            self.err.write(f"error: {e}; {printable(str(rel))} stays in the inbox\n")
            return None
        except Exception as e:  # an edge: one bad file must not stop the inbox
            log.debug("unexpected error on %s", path, exc_info=True)
            self._stuck[path] = before
            self.err.write(
                f"error: {printable(str(rel))}: {type(e).__name__}: {printable(str(e))[:300]}; left in place\n"
            )
            return None
        if signature(path) != before:
            self._seen.pop(path, None)  # still being written after all: settle again, then retry
            return None
        try:
            moved = self._move(path, rel, report)
        except OSError as e:
            self._stuck[path] = before
            self.err.write(f"error: cannot move {printable(str(rel))}: {e.strerror or e}; left in place\n")
            return Outcome(report, None)
        self._seen.pop(path, None)
        return Outcome(report, moved)

    def _move(self, path: Path, rel: Path, report: FileReport) -> Path:
        """Move the file (and its sidecar) to archive/ or rejected/ under the same relative folder.
        Every folder is opened without following links, and the renames are relative to them."""
        target = REJECTED_DIR if report.status == REJECTED else ARCHIVE
        folder = rel.parent.parts
        sidecar = sidecar_of(path)
        src = _folder(self.root, folder)
        try:
            dst = _folder(self.root, (target, *folder), create=True)
            try:
                name = free_name(dst, rel.name)
                if report.status == REJECTED:
                    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    text = f"{report.reason}\n\nfile: {rel}\nrejected at: {stamp}\n"
                    _write_text_atomic(dst, fit_name(name, REASON_SUFFIX), text)
                # the SARIF first: a sidecar left behind never changes a file's identity
                os.replace(rel.name, name, src_dir_fd=src, dst_dir_fd=dst)
                if sidecar is not None:
                    os.replace(sidecar.name, fit_name(name, META_SUFFIX), src_dir_fd=src, dst_dir_fd=dst)
            finally:
                os.close(dst)
        finally:
            os.close(src)
        return self.root / target / rel.parent / name

    def show(self, outcome: Outcome) -> None:
        r = outcome.report
        rel = printable(str(Path(r.path).relative_to(self.root)))
        where = f" → {printable(str(outcome.moved_to.relative_to(self.root)))}" if outcome.moved_to else ""
        if r.status == LOADED:
            self.out.write(f"{rel}: loaded {r.scans} scan(s), {r.occurrences} occurrence(s){where}\n")
        elif r.status == ALREADY:
            self.out.write(f"{rel}: already loaded{where}\n")
        else:
            self.err.write(f"{rel}: rejected: {printable(r.reason or '')}{where}\n")
        for w in r.warnings:
            self.err.write(f"{rel}: warning: {printable(w)}\n")
        self.out.flush()
        self.err.flush()

    def poll(self) -> list[Outcome]:
        """One pass: handle every file that has settled."""
        done = []
        for path in self.ready():
            outcome = self.process(path)
            if outcome is not None:
                self.show(outcome)
                done.append(outcome)
            elif self.down is not None:  # the other files would wait for the server the same way
                break
        return done


# ---------------------------------------------------------------------------------------- commands
def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "watch",
        help="load SARIF files dropped into a folder, then move them to archive/ or rejected/",
        description=(__doc__ or "").split("\n\n")[0],
    )
    p.add_argument("dir", metavar="DIR", help="the inbox folder")
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    p.add_argument("--config", help="settings file (default $FINDINGS_CONFIG or ./config.toml)")
    p.add_argument("--once", action="store_true", help="handle the files there now (after they settle), then exit")
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_S, metavar="S", help="seconds between scans")
    p.add_argument(
        "--settle", type=float, default=DEFAULT_SETTLE_S, metavar="S", help="seconds a file must stay unchanged"
    )
    p.add_argument(
        "--source-roots",
        nargs="+",
        default=[],
        metavar="DIR",
        help="folders a sidecar's source_root may point into (checkouts for line-shift-stable identity); "
        "without it, a sidecar with a source_root is rejected",
    )
    return p


def _options(config: str | None) -> Options:

    return Options.from_settings(load_settings(config))


def busy_exit_code() -> int:
    """The CLI's code for "the database stayed locked" (a usage-level error until it has its own)."""
    return int(getattr(ExitCode, "BUSY", ExitCode.USAGE))


def watch(watcher: Watcher, interval_s: float, once: bool, stop: threading.Event) -> int:
    """Poll until ``stop`` is set (or, with ``once``, until the files there at the start are handled)."""
    rejected = 0
    initial = set(candidates(watcher.root)) if once else set()
    while not stop.is_set():
        for outcome in watcher.poll():
            rejected += outcome.report.status == REJECTED
            initial.discard(Path(outcome.report.path))
        if once:
            initial = {p for p in initial if os.path.lexists(p) and watcher._stuck.get(p) != signature(p)}
            if not initial or watcher.busy or watcher.down:
                break
        stop.wait(max(0.05, min(interval_s, watcher.settle_s / 2)) if once else interval_s)
    if watcher.down and once:
        return ExitCode.UNAVAILABLE
    if watcher.busy and once:
        return busy_exit_code()
    return ExitCode.REJECTED if rejected and once else ExitCode.OK


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        print(f"error: {args.dir}: not a directory", file=sys.stderr)
        return ExitCode.USAGE
    if args.interval <= 0 or args.settle < 0:
        print("error: --interval must be > 0 and --settle ≥ 0", file=sys.stderr)
        return ExitCode.USAGE
    try:
        store = Store(args.db)
        options = _options(args.config)
    except (StoreError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return ExitCode.USAGE
    try:
        if store.is_server:  # a wrong URL, password or right is said at start, not at the first file
            store.ensure()
    except StoreUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    stop = stop or threading.Event()
    allowed = tuple(Path(d).expanduser().resolve() for d in args.source_roots)
    missing = [str(d) for d in allowed if not d.is_dir()]
    if missing:
        print(f"error: --source-roots: not a directory: {', '.join(missing)}", file=sys.stderr)
        return ExitCode.USAGE
    watcher = Watcher(root.resolve(), store, options, args.settle, source_roots=allowed)
    if not args.once:
        print(f"watching {printable(str(root))} every {args.interval:g} s (settle {args.settle:g} s)", file=sys.stderr)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):  # finish the file at hand, then stop
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        return watch(watcher, args.interval, args.once, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.watch")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    return run(parser.parse_args(["watch", *(argv if argv is not None else sys.argv[1:])]))


if __name__ == "__main__":
    sys.exit(main())
