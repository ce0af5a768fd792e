"""Risk first: the one order of severities (critical > high > medium > low > info) for every
sort, table, legend and axis."""

from __future__ import annotations

from ingest.models import Severity

ORDER: tuple[str, ...] = tuple(s.value for s in Severity)


def rank(severity: object) -> int:
    """0 for critical … 4 for info; unknown values last."""
    return ORDER.index(severity) if severity in ORDER else len(ORDER)


def rank_sql(column: str) -> str:
    """SQL for ``rank`` of a severity column (portable: a CASE, no engine-specific list function)."""
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(ORDER))
    return f"(CASE {column} {whens} ELSE {len(ORDER)} END)"
