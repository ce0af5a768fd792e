"""The settings of normalising that are not per file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.settings import Settings
from core.severity import Severity


@dataclass(frozen=True, slots=True)
class Options:
    """Settings that are not per file."""

    extra_prefixes: tuple[str, ...] = ()
    # (tool, rule_id or "*") → severity: the user's overrides (docs/definitions.md §3, config.toml)
    severity_overrides: Mapping[tuple[str, str], Severity] = field(default_factory=dict)
    max_future_skew_s: float = 24 * 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        """The ingest-time settings: severity overrides and extra path prefixes (config.toml)."""
        return cls(extra_prefixes=settings.strip_prefixes, severity_overrides=dict(settings.severity_overrides))
