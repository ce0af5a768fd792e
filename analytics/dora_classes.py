"""The DORA 2023 classes (docs/definitions.md §7): pure functions from a number to elite, high,
medium or low, and how many projects fall in each class. No SQL: ``analytics.dora`` computes the
numbers, this module names them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

ELITE, HIGH, MEDIUM, LOW = "elite", "high", "medium", "low"
CLASSES = (ELITE, HIGH, MEDIUM, LOW)
CLASS_COLUMNS = ("deployment_frequency_class", "lead_time_class", "change_failure_class", "recovery_class")
DAYS_PER_MONTH = 365.25 / 12
LEAD_TIME_DAYS = (1.0, 7.0, 30.0)  # < elite, < high, < medium
CHANGE_FAILURE_RATE = (0.05, 0.10, 0.15)  # ≤ elite, ≤ high, ≤ medium
RECOVERY_HOURS = (1.0, 24.0, 168.0)  # < elite, < high, < medium


def _band(value: Any, limits: tuple[float, float, float], inclusive: bool) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    for limit, name in zip(limits, (ELITE, HIGH, MEDIUM), strict=True):
        if value < limit or (inclusive and value <= limit):
            return name
    return LOW


def lead_time_class(median_days: float | None) -> str | None:
    """< 1 day elite, < 1 week high, < 1 month (30 days) medium, else low (DORA 2023)."""
    return _band(median_days, LEAD_TIME_DAYS, inclusive=False)


def change_failure_class(rate: float | None) -> str | None:
    """≤ 5 % elite, ≤ 10 % high, ≤ 15 % medium, else low (DORA 2023)."""
    return _band(rate, CHANGE_FAILURE_RATE, inclusive=True)


def recovery_class(median_hours: float | None) -> str | None:
    """< 1 hour elite, < 1 day high, < 1 week medium, else low (DORA 2023)."""
    return _band(median_hours, RECOVERY_HOURS, inclusive=False)


def deployments_per_month(deployments: int, window_days: float) -> float | None:
    """The window's deployments per month on average (a month = 365.25 / 12 days); None for an
    empty window."""
    if window_days <= 0:
        return None
    return deployments / (window_days / DAYS_PER_MONTH)


def deployment_frequency_class(
    deploy_days_per_week_median: float | None, deployments: int, window_days: float
) -> str | None:
    """Median deploy days per week ≥ 5 elite, ≥ 1 high; else ≥ 1 deployment per month on average
    over the window medium; else low. None when the window is empty."""
    if deploy_days_per_week_median is None or math.isnan(deploy_days_per_week_median) or window_days <= 0:
        return None
    if deploy_days_per_week_median >= 5:
        return ELITE
    if deploy_days_per_week_median >= 1:
        return HIGH
    per_month = deployments_per_month(deployments, window_days)
    if per_month is not None and per_month >= 1:
        return MEDIUM
    return LOW


@dataclass(frozen=True)
class ClassSpread:
    """How many projects are in each DORA class of one key (``counts`` in CLASSES order, zeros
    included), how many have no class (nothing to compute), and how many projects in all."""

    counts: tuple[tuple[str, int], ...]
    unclassified: int
    projects: int

    def text(self) -> str:
        """For example ``elite 2 · high 3 · medium 2 · low 1 of 8 projects``: classes with no project
        left out, ``no data n`` for projects without a class, ``no projects`` when there are none."""
        if self.projects == 0:
            return "no projects"
        parts = [f"{name} {n}" for name, n in self.counts if n]
        if self.unclassified:
            parts.append(f"no data {self.unclassified}")
        return f"{' · '.join(parts)} of {self.projects} project{'s' if self.projects != 1 else ''}"


def class_spread(per_project: pd.DataFrame, column: str) -> ClassSpread:
    """The spread of one class column (``CLASS_COLUMNS``) of a ``dora`` frame without period: one
    row per project."""
    if column not in CLASS_COLUMNS:
        raise ValueError(f"{column!r} is not a DORA class column; choose from {', '.join(CLASS_COLUMNS)}")
    values = [None if pd.isna(v) else str(v) for v in per_project[column]]
    return ClassSpread(
        counts=tuple((name, values.count(name)) for name in CLASSES),
        unclassified=sum(v not in CLASSES for v in values),
        projects=len(values),
    )
