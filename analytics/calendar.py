"""Calendars of periods, aligned in Python (few rows) and joined to episodes in SQL (many rows)."""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.filters import QueryError
from analytics.periods import PERIODS, period_label
from store.settings import Settings


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
