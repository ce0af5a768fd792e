"""Periods (docs/definitions.md §8): day, ISO week, month, quarter (UTC) or sprint (config): their
labels, and calendars of them aligned in Python (few rows; SQL joins them to episodes)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.errors import QueryError
from core.settings import Settings

PERIODS = ("day", "week", "month", "quarter", "sprint")


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


def align(t: datetime, period: str, settings: Settings) -> datetime:
    """Start of the period holding ``t``."""
    day = datetime(t.year, t.month, t.day)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return datetime(t.year, t.month, 1)
    if period == "quarter":
        return datetime(t.year, (t.month - 1) // 3 * 3 + 1, 1)
    if period == "sprint":
        origin = datetime.combine(settings.sprint_start, datetime.min.time())
        n = (day - origin).days // settings.sprint_days
        return origin + timedelta(days=n * settings.sprint_days)
    raise QueryError(f"unknown period {period!r}; choose from {', '.join(PERIODS)}")


def next_start(start: datetime, period: str, settings: Settings) -> datetime:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period in ("month", "quarter"):
        months = 1 if period == "month" else 3
        y, m = divmod(start.month - 1 + months, 12)
        return datetime(start.year + y, m + 1, 1)
    if period == "sprint":
        return start + timedelta(days=settings.sprint_days)
    raise QueryError(f"unknown period {period!r}")


MAX_PERIODS = 5000


def periods(since: datetime, until: datetime, period: str, settings: Settings) -> list[tuple[datetime, datetime, str]]:
    """``[(start, end, label)]`` covering [since, until)."""
    out: list[tuple[datetime, datetime, str]] = []
    start = align(since, period, settings)
    while start < until:
        end = next_start(start, period, settings)
        out.append((start, end, period_label(period, start, settings)))
        start = end
        if len(out) > MAX_PERIODS:
            raise QueryError(f"more than {MAX_PERIODS} {period}s in the window; choose a longer period")
    return out
