"""Loading from the app: the same ingest job as the command line (``ingest.pipeline``).

Uploads are written to a private temporary folder a megabyte at a time and loaded by the command
line itself, ``python -m ingest sarif … --json``, in a child process, one upload at a time per
server. So the web process never decompresses or parses a file: its memory for an upload is
Streamlit's copy of the uploaded bytes (as sent, ≤ ``server.maxUploadSize`` per file) plus a 1 MB
buffer, whatever the file expands to. The child's memory is the command line's, with each
uploaded file's decompressed size capped at ``UPLOAD_MAX_FILE_BYTES`` (bigger ones, gzip bombs
included, are rejected with the reason — the command line takes those). A crash of the child —
out of memory, say — is one error line on the page, not a dead dashboard. The memory measured
for hostile uploads is in docs/hardening.md ("Sign-in").

Metadata follows the command line's precedence: the form, else the SARIF, else the fallback with a
warning — for the project, the folder holding the file, which for an upload is always ``upload``
(never the file's position in the upload, so the same files again are "already loaded").
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from core.settings import load_settings
from ingest.manifest import read_manifest
from ingest.models import ScanMeta
from ingest.pipeline import FileReport, Report, ingest_many
from ingest.reader import max_file_bytes
from ingest.sarif import Options
from store.db import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "manifest.csv"
UPLOAD_PROJECT = "upload"  # the folder every upload is written in: the project when neither form nor SARIF names one
CHUNK_BYTES = 1 << 20
UPLOAD_MAX_FILE_BYTES = 256 * 1024**2  # decompressed, per uploaded file (lower if FINDINGS_MAX_FILE_BYTES is)
_ONE_UPLOAD_AT_A_TIME = threading.Lock()


class UploadError(Exception):
    """The ingest of an upload could not run or did not report (the message says why)."""


def load_demo_history(store: Store, progress: Callable[[int, int, str], None] | None = None) -> Report:
    """The demo generator's history (seed 1, scale 1): written under data/demo/, then loaded
    through the normal ingest path, with its commits, deployments and incidents."""
    from demo.build import default_out, write_demo
    from demo.cli import default_end
    from demo.generate import make_plan
    from demo.load import load_demo

    out = default_out(1, 1.0)
    generated = write_demo(make_plan(1, 1.0, default_end()), out)
    return load_demo(store, out, generated.sarif_files, progress).report


def load_samples(store: Store) -> Report:
    items, missing = read_manifest(SAMPLES)
    return ingest_many(store, items, Options.from_settings(load_settings()), missing=missing)


def load_uploads(store: Store, files: Sequence[tuple[str, bytes | BinaryIO]], meta: ScanMeta) -> Report:
    """Write the uploaded files (bytes or readable binary streams) to a private temporary folder,
    names kept, and run the command line's ingest on them in a child process; the report names
    the uploaded files. Raises ``UploadError`` when the ingest could not run."""
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        names: dict[str, str] = {}
        for i, (name, data) in enumerate(files):
            folder = Path(tmp) / str(i) / UPLOAD_PROJECT  # one folder each: two uploads may share a name
            folder.mkdir(parents=True)
            path = folder / _disk_name(name, i)
            _write(path, data)
            names[str(path)] = name
        with _ONE_UPLOAD_AT_A_TIME:
            report = _ingest_in_child(store, list(names), meta)
    return Report([dataclasses.replace(f, path=names.get(f.path, Path(f.path).name)) for f in report.files])


def _disk_name(name: str, index: int) -> str:
    safe = Path(name.replace("\\", "/")).name
    if safe in ("", ".", "..") or "\x00" in safe or len(safe.encode("utf-8", "surrogatepass")) > 200:
        suffixes = "".join(s for s in Path(safe).suffixes[-3:] if s.isascii() and len(s) <= 8)
        safe = f"upload-{index}{suffixes or '.sarif'}"
    return safe


def _write(path: Path, data: bytes | BinaryIO) -> None:
    with path.open("xb") as out:
        if isinstance(data, bytes | bytearray | memoryview):
            out.write(data)
        else:
            data.seek(0)
            shutil.copyfileobj(data, out, CHUNK_BYTES)


def _cli_args(paths: Sequence[str], meta: ScanMeta) -> list[str]:
    args = ["sarif", *paths, "--json"]  # absolute paths: a file named "--project=x" stays a file
    for flag, value in (("--project", meta.project), ("--branch", meta.branch), ("--commit", meta.commit)):
        if value:
            args += [flag, value]
    if meta.scanned_at is not None:
        when = meta.scanned_at
        args += ["--scanned-at", when.isoformat() + ("Z" if when.tzinfo is None else "")]
    return args


def _ingest_in_child(store: Store, paths: Sequence[str], meta: ScanMeta) -> Report:
    env = {
        **os.environ,
        "FINDINGS_DB": store.url.render_as_string(hide_password=False),  # not in argv, which ps shows
        "FINDINGS_MAX_FILE_BYTES": str(min(max_file_bytes(), UPLOAD_MAX_FILE_BYTES)),
    }
    proc = subprocess.run(  # noqa: S603 (our own interpreter and module, arguments as a list)
        [sys.executable, "-m", "ingest", *_cli_args(paths, meta)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        data = json.loads(proc.stdout)
        files = [FileReport(**{**f, "warnings": tuple(f.get("warnings") or ())}) for f in data["files"]]
    except (ValueError, TypeError, KeyError) as e:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"the ingest ended with exit code {proc.returncode} and no report"
        raise UploadError(why) from e
    return Report(files)


def parse_when(day: object, time_text: str) -> datetime | None:
    from datetime import date, time

    if not isinstance(day, date):
        return None
    try:
        t = time.fromisoformat(time_text) if time_text else time(0, 0)
    except ValueError:
        return None
    return datetime.combine(day, t)
