"""Periods (SPEC §8): day, ISO week, month, quarter (UTC) or sprint (config), as SQL expressions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from analytics.filters import QueryError
from store.settings import Settings

PERIODS = ("day", "week", "month", "quarter", "sprint")


def period_start_sql(period: str, column: str, settings: Settings) -> tuple[str, dict[str, object]]:
    """SQL for the start (a TIMESTAMP) of the period holding ``column``, and its named parameters
    (the SQL twin of ``calendar.align``; sprints use ``$sprint_start`` and ``$sprint_days``)."""
    if period in ("day", "week", "month", "quarter"):
        return f"date_trunc('{period}', {column})", {}
    if period == "sprint":
        start = datetime.combine(settings.sprint_start, datetime.min.time())
        return (
            f"($sprint_start::TIMESTAMP + to_days(CAST(floor(date_diff('day', $sprint_start::TIMESTAMP, {column})"
            " / $sprint_days::DOUBLE) AS INTEGER) * $sprint_days::INTEGER))",
            {"sprint_start": start, "sprint_days": settings.sprint_days},
        )
    raise QueryError(f"unknown period {period!r}; choose from {', '.join(PERIODS)}")


def period_label(period: str, start: datetime | date, settings: Settings) -> str:
    """Human label of a period: 2026-03-02, 2026-W10, 2026-03, 2026-Q1, sprint 5."""
    d = start.date() if isinstance(start, datetime) else start
    if period == "day":
        return d.isoformat()
    if period == "week":
        iso = d.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period == "month":
        return f"{d.year}-{d.month:02d}"
    if period == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if period == "sprint":
        number = sprint_number(d, settings)
        return f"sprint {number}" if number >= 1 else f"sprint of {sprint_start_of(d, settings).isoformat()}"
    raise QueryError(f"unknown period {period!r}")


def sprint_number(d: date, settings: Settings) -> int:
    """Sprint 1 starts on the configured start date; earlier dates get 0, -1, … — never shown:
    sprints before the start are labelled by their start date (``period_label``)."""
    return (d - settings.sprint_start).days // settings.sprint_days + 1


def sprint_start_of(d: date, settings: Settings) -> date:
    return settings.sprint_start + timedelta(days=(sprint_number(d, settings) - 1) * settings.sprint_days)
