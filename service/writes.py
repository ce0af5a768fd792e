"""``POST /scans``, ``/deployments`` and ``/incidents``: a body streamed to the spool, then the
command line's own loaders on it (the two halves of ``ingest.pipeline.ingest_file``:
``ingest.prepare.prepare`` and ``ingest.pipeline.store_prepared``; ``ingest.devops.load``), and
their own reports as the answer.

A SARIF upload answers 201 loaded, 200 already loaded (the same bytes with the same metadata:
a client may always retry) or 422 rejected, with the report ``python -m ingest sarif --json``
prints for that file. A rejected file is recorded as the command line records it.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from core.errors import Rejected
from ingest.devops.files import parse_records
from ingest.devops.load import load_records
from ingest.devops.records import SourceKind
from ingest.load import record_rejection
from ingest.models import ScanMeta
from ingest.pipeline import ALREADY, BUSY, LOADED, REJECTED, UNAVAILABLE, FileReport, Report
from ingest.prepare import prepare
from ingest.reader import max_file_bytes, read_file
from service.auth import Token
from service.context import Context
from service.deps import Ctx, UploadToken
from service.gate import RETRY_AFTER_S
from service.models import RecordsRejected, RecordsReport, ScanReport, problem
from service.params import Filename, FileTime, OptionalProject, Project, Text, When, scan_time, valid_project
from service.uploads import GZIP_TYPES, RECORD_TYPES, SARIF_TYPES, check_headers, disk_name, media_type, spooled

router = APIRouter(tags=["uploads"])
EPOCH = datetime(1970, 1, 1)

_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: problem("a query parameter is malformed"),
    401: problem("no valid token"),
    403: problem("the token lacks the upload scope or this project"),
    413: problem("the body (or what it decompresses to) is over FINDINGS_MAX_FILE_BYTES"),
    415: problem("a Content-Type or Content-Encoding that is not taken"),
    503: problem("the store is busy or unavailable: retry after Retry-After seconds"),
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
SCAN_BODY = {
    "required": True,
    "description": "one SARIF 2.1.0 log, plain or gzip (Content-Encoding: gzip, a gzip type, or the gzip magic)",
    "content": {
        "application/sarif+json": {"schema": {"type": "object"}},
        "application/json": {"schema": {"type": "object"}},
        "application/gzip": _BINARY,
        "application/octet-stream": _BINARY,
    },
}
RECORDS_BODY = {
    "required": True,
    "description": "the CSV (with a header row) or JSON the command line takes",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        "application/octet-stream": _BINARY,
    },
}
_STATUS = {LOADED: 201, ALREADY: 200, REJECTED: 422, BUSY: 503, UNAVAILABLE: 503}


@router.post(
    "/scans",
    status_code=201,
    response_model=ScanReport,
    summary="Upload one SARIF file",
    responses={
        200: {"model": ScanReport, "description": "already loaded (the same bytes with the same metadata)"},
        201: {"model": ScanReport, "description": "loaded"},
        422: {"model": ScanReport, "description": "rejected: the report says why"},
        **_REFUSALS,
    },
    openapi_extra={"requestBody": SCAN_BODY},
)
async def post_scan(
    request: Request,
    ctx: Ctx,
    token: UploadToken,
    project: Project,
    branch: Text = None,
    commit: Text = None,
    scanned_at: When = None,
    category: Text = None,
    filename: Filename = None,
    file_mtime: FileTime = None,
) -> JSONResponse:
    token.require_projects([project])
    mtime = scan_time(file_mtime, "file_mtime")
    meta = ScanMeta(
        project=project, branch=branch, commit=commit, scanned_at=scan_time(scanned_at, "scanned_at"), category=category
    )
    shown = filename or "upload.sarif"
    gzip = check_headers(request.headers, SARIF_TYPES | GZIP_TYPES, max_file_bytes())
    async with spooled(request, ctx.spool, disk_name(filename, "upload.sarif", gzip=True), gzip) as body:
        if body.problem is not None:
            report = await run_in_threadpool(_reject, ctx, body.path, body.problem)
        else:
            if mtime is not None:  # the scan time of last resort, as for the client's own file
                ns = (mtime - EPOCH) // timedelta(microseconds=1) * 1000
                os.utime(body.path, ns=(ns, ns))
            report = await run_in_threadpool(_load_scan, ctx, body.path, meta)
    shown_report = Report([dataclasses.replace(report, path=shown)])
    headers = {"Retry-After": str(RETRY_AFTER_S)} if report.status in (BUSY, UNAVAILABLE) else None
    return JSONResponse(shown_report.as_dict(), status_code=_STATUS.get(report.status, 500), headers=headers)


def _load_scan(ctx: Context, path: Path, meta: ScanMeta) -> FileReport:
    with ctx.gate.slot():
        prepared = prepare(path, meta, ctx.options)
    return ctx.gate.write(prepared)


def _reject(ctx: Context, path: Path, reason: str) -> FileReport:
    """A body that is not a file at all (truncated gzip…): recorded as the command line records it."""
    with ctx.gate.turn():
        record_rejection(ctx.store, str(path), None, reason)
    return FileReport(str(path), REJECTED, reason=reason)


_RECORD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": RecordsReport, "description": "already loaded (the same bytes for the same project)"},
    201: {"model": RecordsReport, "description": "loaded: every row"},
    422: {"model": RecordsRejected, "description": "rejected: no row loaded; the reason names every bad row"},
    **_REFUSALS,
}


@router.post(
    "/deployments",
    status_code=201,
    response_model=RecordsReport,
    summary="Upload deployments (CSV or JSON)",
    responses=_RECORD_RESPONSES,
    openapi_extra={"requestBody": RECORDS_BODY},
)
async def post_deployments(
    request: Request, ctx: Ctx, token: UploadToken, project: OptionalProject = None, filename: Filename = None
) -> JSONResponse:
    return await _records(request, ctx, token, SourceKind.DEPLOYMENTS, project, filename)


@router.post(
    "/incidents",
    status_code=201,
    response_model=RecordsReport,
    summary="Upload incidents (CSV or JSON)",
    responses=_RECORD_RESPONSES,
    openapi_extra={"requestBody": RECORDS_BODY},
)
async def post_incidents(
    request: Request, ctx: Ctx, token: UploadToken, project: OptionalProject = None, filename: Filename = None
) -> JSONResponse:
    return await _records(request, ctx, token, SourceKind.INCIDENTS, project, filename)


def _records_name(filename: str | None, kind: SourceKind, content_type: str) -> str:
    """A name whose suffix tells the records reader CSV from JSON, as a file's name does."""
    name = disk_name(filename, kind.value, gzip=True)
    suffix = {"text/csv": ".csv", "application/json": ".json"}.get(content_type)
    if suffix is None:
        return name
    stem = name.rsplit(".", 1)[0] if name.lower().endswith((".csv", ".json")) else name
    return stem + suffix


async def _records(
    request: Request, ctx: Ctx, token: Token, kind: SourceKind, project: str | None, filename: str | None
) -> JSONResponse:
    if project is not None:
        token.require_projects([project])
    gzip = check_headers(request.headers, RECORD_TYPES, max_file_bytes())
    shown = filename or f"{kind.value}.csv"
    name = _records_name(filename, kind, media_type(request.headers))
    async with spooled(request, ctx.spool, name, gzip) as received:
        if received.problem is not None:
            answer = await run_in_threadpool(_records_rejected, ctx, received.path, received.problem)
        else:
            answer = await run_in_threadpool(_load_records, ctx, token, received.path, kind, project)
    body, status = answer
    return JSONResponse({**body, "path": shown}, status_code=status)


def _load_records(
    ctx: Context, token: Token, path: Path, kind: SourceKind, project: str | None
) -> tuple[dict[str, Any], int]:
    """Validate as the command line does, check every row's project against the token, then load."""
    try:
        parsed = parse_records(read_file(path, max_file_bytes()), str(path), kind, project)
        projects = sorted({r.project for r in parsed.records})
        odd = [p for p in projects if not valid_project(p)]
        if odd:
            raise Rejected(f"project name {odd[0]!r} is not taken over the API ('/'-separated parts of letters, "
                           "digits, '.', '_', '-')")  # fmt: skip
    except Rejected as e:
        return _records_rejected(ctx, path, str(e))
    token.require_projects(projects)
    with ctx.gate.slot(), ctx.gate.turn():
        outcome = load_records(ctx.store, path, kind, project)
    return outcome.as_dict(), 200 if outcome.already_loaded else 201


def _records_rejected(ctx: Context, path: Path, reason: str) -> tuple[dict[str, Any], int]:
    with ctx.gate.turn():
        record_rejection(ctx.store, str(path), None, reason)
    return {"path": str(path), "status": "rejected", "reason": reason}, 422
