"""Filters shared by every metric, and the one builder that turns them into SQL.

All values are bound as parameters; identifiers never come from users (grouping columns are
checked against a fixed list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from analytics.teams import team_sql
from core.errors import QueryError

# Columns a user may group by, mapped to SQL on a relation with the finding's columns ({a}: its alias).
GROUP_COLUMNS: dict[str, str] = {
    "project": "{a}.project",
    "branch": "{a}.branch",
    "tool": "{a}.tool",
    "category": "{a}.category",
    "severity": "{a}.severity",
    "cwe": "coalesce({a}.cwe, '')",
    "rule": "{a}.rule_id",
    "team": team_sql("{a}"),  # the owning team (analytics.teams; needs the team_params)
}


@dataclass(frozen=True)
class Filters:
    """What to look at. Empty tuples mean "all"; times are naive UTC."""

    projects: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    cwes: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    teams: tuple[str, ...] = ()  # owning teams ("unowned" too); resolved by analytics.teams
    show_decided: bool = False  # True: risk decisions are ignored (docs/definitions.md §6, "Risk decisions")

    def window_end(self) -> datetime:
        """The window's end, or now."""
        return self.until or datetime.now(UTC).replace(tzinfo=None)

    def finding_where(self, alias: str = "f") -> tuple[str, dict[str, Any]]:
        """``(sql, named params)`` restricting findings (no date window: each metric applies its own)."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        for column, values in (
            ("project", self.projects),
            ("branch", self.branches),
            ("tool", self.tools),
            ("severity", self.severities),
            ("cwe", self.cwes),
            ("rule_id", self.rules),
        ):
            if values:
                clauses.append(f"{alias}.{column} IN (SELECT unnest(${column}_in))")
                params[f"{column}_in"] = list(values)
        if self.teams:
            clauses.append(f"{team_sql(alias)} IN (SELECT unnest($team_in))")
            params["team_in"] = list(self.teams)
        return (" AND ".join(clauses) or "TRUE"), params


def group_exprs(by: Sequence[str], alias: str = "f") -> list[tuple[str, str]]:
    """``[(name, sql on alias)]`` for validated grouping columns (``period`` is handled by the caller)."""
    out = []
    for name in by:
        if name == "period":
            continue
        if name not in GROUP_COLUMNS:
            raise QueryError(f"cannot group by {name!r}; choose from {', '.join([*GROUP_COLUMNS, 'period'])}")
        out.append((name, GROUP_COLUMNS[name].format(a=alias)))
    return out


def split_list(values: Sequence[str] | None) -> tuple[str, ...]:
    """CLI/URL values: repeated and/or comma-separated → a clean tuple."""
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(dict.fromkeys(out))
