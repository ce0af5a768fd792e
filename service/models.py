"""The shapes of the API's answers, for the OpenAPI document (and so for the tests that check
every response against it). The objects themselves come from the command line's own reports:
``ingest sarif --json``, ``ingest deployments --json`` and ``analytics summary --json``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FileStatus = Literal[
    "loaded",
    "already loaded",
    "rejected",
    "not loaded (store busy)",
    "not loaded (database unavailable)",
    "not loaded (interrupted)",
]


class FileReport(BaseModel):
    path: str = Field(description="the file name the client gave (filename=), else upload.sarif")
    status: FileStatus
    scans: int
    occurrences: int
    reason: str | None
    warnings: list[str]


class Totals(BaseModel):
    files: int
    loaded: int
    already_loaded: int
    rejected: int
    busy: int
    unavailable: int
    interrupted: int
    scans: int
    occurrences: int
    warnings: int


class ScanReport(BaseModel):
    """The report of ``python -m ingest sarif --json`` for the one uploaded file."""

    files: list[FileReport]
    totals: Totals


class RecordsReport(BaseModel):
    """The report of ``python -m ingest deployments|incidents --json``."""

    path: str
    kind: Literal["deployments", "incidents"]
    status: Literal["loaded", "already_loaded"]
    source_key: str
    rows: int
    projects: list[str]
    commits_new: int
    deployments: int
    warnings: list[str]


class RecordsRejected(BaseModel):
    path: str
    status: Literal["rejected"]
    reason: str


class Problem(BaseModel):
    """Why a request was refused (4xx) or could not be served now (503)."""

    detail: str


class Health(BaseModel):
    status: Literal["ok", "busy", "unavailable"] = Field(
        description="ok: the store answered; busy: another process holds the DuckDB file; unavailable: not usable"
    )
    engine: Literal["duckdb", "postgresql"]
    schema_version: int | None


class Summary(BaseModel):
    """The object ``python -m analytics summary --json`` prints."""

    model_config = ConfigDict(extra="allow")

    files: int
    scans: int
    findings: int


def problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}
