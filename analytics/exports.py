"""The export kinds: one function per kind, shared by ``python -m analytics export`` and the
dashboard's download buttons, so that screen and file always agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from analytics import catalog, decisions, dora, remediation, sprints, survival, tables
from analytics.filters import Filters
from core.errors import QueryError
from core.settings import Settings
from store.db import Store


@dataclass(frozen=True)
class Request:
    filters: Filters
    by: tuple[str, ...] = ()
    period: str | None = None
    settings: Settings = field(default_factory=Settings)


def _findings(store: Store, r: Request) -> pd.DataFrame:
    return tables.findings(store, r.filters, r.settings)


def _episodes(store: Store, r: Request) -> pd.DataFrame:
    return tables.episodes(store, r.filters, r.settings)


def _mttr(store: Store, r: Request) -> pd.DataFrame:
    return remediation.mttr(store, r.filters, r.by, r.period, r.settings)


def _survival(store: Store, r: Request) -> pd.DataFrame:
    return survival.survival(store, r.filters, r.by, r.period, r.settings)


def _sla(store: Store, r: Request) -> pd.DataFrame:
    return remediation.sla(store, r.filters, r.by, r.period, r.settings)


def _backlog(store: Store, r: Request) -> pd.DataFrame:
    return remediation.backlog(store, r.filters, r.by or ("severity",), r.period, r.settings)


def _flow(store: Store, r: Request) -> pd.DataFrame:
    return remediation.flow(store, r.filters, r.by, r.period, r.settings)


def _aging(store: Store, r: Request) -> pd.DataFrame:
    return remediation.aging(store, r.filters, r.by, r.settings)


def _capacity(store: Store, r: Request) -> pd.DataFrame:
    return remediation.capacity(store, r.filters, r.by, r.settings)


def _overdue(store: Store, r: Request) -> pd.DataFrame:
    return remediation.overdue(store, r.filters, r.settings)


def _scans(store: Store, r: Request) -> pd.DataFrame:
    return catalog.scans(store, r.filters)


def _dora(store: Store, r: Request) -> pd.DataFrame:
    return dora.dora(store, r.filters, r.period, r.settings)


def _sprint_report(store: Store, r: Request) -> pd.DataFrame:
    return sprints.sprint_report(store, r.filters, r.settings)


def _decisions(store: Store, r: Request) -> pd.DataFrame:
    return decisions.decision_log(store, r.filters)


KINDS: dict[str, Callable[[Store, Request], pd.DataFrame]] = {
    "findings": _findings,
    "episodes": _episodes,
    "mttr": _mttr,
    "survival": _survival,
    "sla": _sla,
    "backlog": _backlog,
    "flow": _flow,
    "aging": _aging,
    "capacity": _capacity,
    "dora": _dora,
    "sprint-report": _sprint_report,
    "overdue": _overdue,
    "scans": _scans,
    "decisions": _decisions,
}


def export(store: Store, kind: str, request: Request) -> pd.DataFrame:
    if kind not in KINDS:
        raise QueryError(f"unknown export {kind!r}; choose from {', '.join(KINDS)}")
    return KINDS[kind](store, request)
