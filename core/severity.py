"""Severities: the five normalised values, worst first (docs/definitions.md §3), and their order
for every sort, table, legend and axis (risk first)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """Normalised severity (docs/definitions.md §3), ordered from worst to least."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @classmethod
    def from_security_severity(cls, score: float) -> Severity:
        """CVSS-like 0–10 score → severity: ≥9 critical, ≥7 high, ≥4 medium, >0 low, 0 info."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.INFO

    @classmethod
    def from_level(cls, level: str) -> Severity:
        """SARIF level → severity: error high, warning medium, note low, none info."""
        return _LEVEL_SEVERITY.get(level, cls.MEDIUM)


_LEVEL_SEVERITY = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.INFO,
}

LEVELS = frozenset(_LEVEL_SEVERITY)
ORDER: tuple[str, ...] = tuple(s.value for s in Severity)


def rank(severity: object) -> int:
    """0 for critical … 4 for info; unknown values last."""
    return ORDER.index(severity) if severity in ORDER else len(ORDER)
