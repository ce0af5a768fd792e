"""``GET /summary``, ``GET /exports/{kind}.csv`` and ``GET /healthz``: the command line's own
analytics (``analytics.summary.summary_with_extras``, ``analytics.exports.export`` written by
``analytics.csvout.to_csv``) on filters read from the query as ``python -m analytics`` reads its
flags, so an export here is byte for byte the file ``analytics export`` writes.

A read token limited to some projects reads only those: a request that names other projects is
403, and one that names none is narrowed to the loaded projects the token allows.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse

from analytics.catalog import options
from analytics.csvout import to_csv
from analytics.exports import KINDS, Request, export
from analytics.filters import GROUP_COLUMNS, Filters, split_list
from analytics.summary import summary_with_extras
from core.errors import StoreBusy, StoreError
from core.periods import PERIODS
from service.auth import Token
from service.context import Context
from service.deps import Ctx, ReadToken
from service.models import Health, Summary, problem
from service.params import MAX_TEXT, QueryFilters
from store.migrations import schema_version

log = logging.getLogger("service")
router = APIRouter()
ExportKind = StrEnum("ExportKind", {k.replace("-", "_"): k for k in KINDS})  # type: ignore[misc]
CSV_STEP = 1 << 16

_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: problem("a filter, grouping, period or window the analytics cannot answer"),
    401: problem("no valid token"),
    403: problem("the token lacks the read scope or a project named"),
    503: problem("the store is busy or unavailable: retry after Retry-After seconds"),
}


def _narrowed(ctx: Context, token: Token, chosen: Filters) -> Filters:
    """The filters, limited to the projects the token may read."""
    if token.all_projects:
        return chosen
    if chosen.projects:
        token.require_projects(chosen.projects)
        return chosen
    allowed = tuple(p for p in options(ctx.store).projects if token.allows(p))
    # No loaded project matches: the patterns themselves select nothing else (a project named like
    # a pattern matches that pattern, so it would have been allowed anyway).
    return dataclasses.replace(chosen, projects=allowed or token.projects)


@router.get("/summary", response_model=Summary, tags=["reads"], responses=_REFUSALS, summary="The summary object")
def get_summary(ctx: Ctx, token: ReadToken, given: QueryFilters) -> JSONResponse:
    """What ``python -m analytics summary --json`` prints, for the same filters."""
    with ctx.store.session():  # one read connection for the request's many queries
        return JSONResponse(summary_with_extras(ctx.store, _narrowed(ctx, token, given), ctx.settings))


By = Annotated[
    str | None,
    Query(max_length=MAX_TEXT, description=f"grouping columns, comma-separated: {', '.join(GROUP_COLUMNS)}"),
]
Period = Annotated[Literal[PERIODS] | None, Query(description="a row per period")]  # type: ignore[valid-type]


@router.get(
    "/exports/{kind}.csv",
    tags=["reads"],
    summary="A CSV export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "the CSV"}, **_REFUSALS},
)
def get_export(
    kind: ExportKind,
    ctx: Ctx,
    token: ReadToken,
    given: QueryFilters,
    by: By = None,
    period: Period = None,
) -> StreamingResponse:
    """The file ``python -m analytics export KIND -o FILE`` writes, byte for byte, for the same filters."""
    with ctx.store.session():
        request = Request(_narrowed(ctx, token, given), split_list([by]) if by else (), period, ctx.settings)
        data = to_csv(export(ctx.store, kind.value, request)).encode("utf-8")
    headers = {"Content-Disposition": f'attachment; filename="{kind.value}.csv"'}
    return StreamingResponse(_chunks(data), media_type="text/csv; charset=utf-8", headers=headers)


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CSV_STEP):
        yield data[start : start + CSV_STEP]


@router.get("/healthz", response_model=Health, tags=["health"], responses={503: {"model": Health}})
def healthz(ctx: Ctx) -> JSONResponse:
    """No token needed: whether the store answers (a DuckDB file another process holds is busy)."""
    engine = "postgresql" if ctx.store.is_server else "duckdb"
    try:
        with ctx.health.read() as conn:
            version = schema_version(conn)
    except StoreBusy:
        return JSONResponse({"status": "busy", "engine": engine, "schema_version": None})
    except StoreError as e:
        log.warning("health check: %s", e)
        return JSONResponse({"status": "unavailable", "engine": engine, "schema_version": None}, status_code=503)
    return JSONResponse({"status": "ok", "engine": engine, "schema_version": version})
