"""``python -m ingest push``: send SARIF files to the HTTP API (``python -m service``) from a
pipeline that has Python but no curl conveniences.

Each file is one ``POST /api/v1/scans`` with the metadata as query parameters, streamed from disk
(gzip files as they are). The token comes from an environment variable (``--token-env``, default
``FINDINGS_TOKEN``), never from the command line, which other users of the machine can read.

Uploads are idempotent — the same bytes with the same metadata are "already loaded" — so a file
whose answer did not arrive is simply sent again: on 503 (the store is busy; after the
``Retry-After`` the service asks for), 502/504 from a proxy, and a refused, reset or timed-out
connection, with exponential backoff and jitter, up to ``--retries`` times. The report and the exit
codes are those of ``python -m ingest sarif``: 0 all loaded, 2 usage (no token, a token refused, a
bad URL or metadata), 3 a file was rejected, 4 the service stayed busy, 5 it could not be reached.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import UsageError
from ingest.models import ScanMeta
from ingest.pipeline import BUSY, REJECTED, UNAVAILABLE, FileReport, Report

DEFAULT_TOKEN_ENV = "FINDINGS_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_WAIT_S = 60.0
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class Target:
    """Where and how to send: the API's base URL, the token, and the patience."""

    url: str
    token: str
    retries: int = 8
    timeout_s: float = 300.0
    backoff_s: float = 1.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int  # 0: no answer (the connection failed)
    body: dict[str, Any]
    retry_after: float | None
    problem: str


def target(url: str, token_env: str, retries: int, timeout_s: float, backoff_s: float = 1.0) -> Target:
    """Check the URL and read the token from the environment (UsageError when either is wrong)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url must be http(s)://HOST[:PORT][/PATH], not {url!r}")
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise UsageError(f"no token: set ${token_env} to a token from 'python -m service token create'")
    base = url.rstrip("/").removesuffix("/api/v1")
    return Target(base, token, retries, timeout_s, backoff_s)


def _query(meta: ScanMeta, path: Path) -> str:
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    params = {
        "project": meta.project,
        "branch": meta.branch,
        "commit": meta.commit,
        "scanned_at": meta.scanned_at.isoformat() + "Z" if meta.scanned_at else None,
        "category": meta.category,
        "filename": path.name,
        # A file without a scan time falls back to its modification time, as it does for the CLI.
        "file_mtime": mtime.isoformat() + "Z",
    }
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


def _answer(status: int, raw: bytes, headers: Any) -> Answer:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    after = headers.get("Retry-After") if headers is not None else None
    wait = float(after) if after and after.strip().isdigit() else None
    detail = body.get("detail")
    return Answer(status, body, wait, str(detail) if detail else f"HTTP {status}")


def send(t: Target, path: Path, meta: ScanMeta) -> Answer:
    """One attempt: the file streamed as the body of ``POST /api/v1/scans``."""
    import http.client  # here, not at the top: the HTTP client is ~20 ms of every ``python -m ingest``
    import urllib.error
    import urllib.request

    with path.open("rb") as fh:
        gzip = fh.read(2) == _GZIP_MAGIC
        fh.seek(0)
        size = os.fstat(fh.fileno()).st_size
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked to be http or https)
            f"{t.url}/api/v1/scans?{_query(meta, path)}",
            data=fh,
            method="POST",
            headers={
                "Authorization": f"Bearer {t.token}",
                "Content-Type": "application/gzip" if gzip else "application/sarif+json",
                "Content-Length": str(size),
                "User-Agent": "findings-push",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=t.timeout_s) as response:  # noqa: S310
                return _answer(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as e:
            return _answer(e.code, e.read(), e.headers)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            why = getattr(e, "reason", None) or e
            return Answer(0, {}, None, f"cannot reach {t.url}: {why}")


def _report(path: Path, answer: Answer) -> FileReport:
    """The report of a file the service answered about (200, 201, 422, 413, 415)."""
    files = answer.body.get("files")
    if isinstance(files, list) and files and isinstance(files[0], dict):
        f = files[0]
        return FileReport(
            str(path),
            str(f.get("status")),
            int(f.get("scans") or 0),
            int(f.get("occurrences") or 0),
            f.get("reason"),
            tuple(f.get("warnings") or ()),
        )
    return FileReport(str(path), REJECTED, reason=answer.problem)


def push_one(t: Target, path: Path, meta: ScanMeta, sleep: Callable[[float], None] = time.sleep) -> FileReport:
    """Send one file until it is answered for good (or the retries run out)."""
    answer = Answer(0, {}, None, "not sent")
    for attempt in range(t.retries + 1):
        answer = send(t, path, meta)
        if answer.status and answer.status not in RETRY_STATUSES:
            break
        if attempt < t.retries:
            wait = t.backoff_s * 2**attempt * (0.5 + random.random())  # noqa: S311 (jitter, not crypto)
            sleep(min(MAX_WAIT_S, max(wait, answer.retry_after or 0.0)))
    if answer.status in (200, 201, 413, 415, 422):
        return _report(path, answer)
    if answer.status in (400, 401, 403, 404):
        raise UsageError(f"{path}: the service refused the request ({answer.status}): {answer.problem}")
    if answer.status in RETRY_STATUSES:
        return FileReport(str(path), BUSY, reason=f"the service stayed busy ({answer.status}): {answer.problem}")
    if answer.status == 0:
        return FileReport(str(path), UNAVAILABLE, reason=answer.problem)
    return FileReport(str(path), UNAVAILABLE, reason=f"the service failed ({answer.status}): {answer.problem}")


def push_files(
    t: Target,
    files: Sequence[Path],
    meta: ScanMeta,
    missing: Sequence[tuple[str, str]] = (),
    answered: Callable[[FileReport], object] | None = None,
) -> Report:
    """Send every file in turn, calling ``answered`` with each file's report as it comes;
    arguments that name no file are reported as rejected."""
    report = Report()
    reports = (FileReport(arg, REJECTED, reason=problem) for arg, problem in missing)
    for f in reports:
        _add(report, f, answered)
    for path in files:
        _add(report, push_one(t, path, meta), answered)
    return report


def _add(report: Report, f: FileReport, answered: Callable[[FileReport], object] | None) -> None:
    report.files.append(f)
    if answered is not None:
        answered(f)
