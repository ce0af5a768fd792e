"""User settings from one TOML file: ``--config FILE``, else ``$FINDINGS_CONFIG``, else
``config.toml`` in the project folder (beside app.py) — never the working directory, so the
dashboard and the command line find the same file wherever they are started (a dashboard started
with ``cd / && streamlit run /path/serve.py`` must not lose its ``[auth]``). Every value has a
default (the constants below), so the file is optional.

```toml
[sla]                     # days allowed per severity; omit or 0 = no SLA for that severity
critical = 7
high = 30
medium = 90
low = 120

[sprints]                 # the sprint calendar: sprint 1 starts on `start`
start = "2026-01-05"
length_days = 14

[severity]                # overrides: "tool" or "tool/rule_id" = severity
"ruff" = "low"
"bandit/B602" = "critical"

[paths]
strip_prefixes = ["/opt/build/checkout/"]   # extra checkout prefixes to strip from paths

[review]
stale_days = 14           # the sprint review's coverage panel: a project or tool not scanned for this long

[teams]                   # team = project patterns, or "project:path" patterns (core/teams.py)
"payments" = ["acme/pay-*", "acme/shop:src/checkout/**"]

[sla.teams.payments]      # a team's own SLA days (severities it leaves out: the global [sla])
critical = 3

[sla.projects."acme/legacy-*"]   # a project pattern's own SLA days (after the team's)
high = 60

[team_owners]             # CODEOWNERS owners (python -m ingest codeowners) → teams
"@acme/payments-devs" = "payments"

[decisions]               # risk decisions (docs/decisions.md)
accept_days = 90          # an acceptance expires after this many days unless given --expires
on_expiry = "keep"        # "keep" the original SLA clock when it expires, or "restart" it then
```
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core.errors import ConfigError
from core.severity import Severity
from core.teams import Rule, parse_rules

ENV_CONFIG = "FINDINGS_CONFIG"
PROJECT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"  # beside app.py
DEFAULT_SLA_DAYS: dict[Severity, int | None] = {
    Severity.CRITICAL: 7,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 120,
    Severity.INFO: None,
}
DEFAULT_SPRINT_START = date(2026, 1, 5)  # a Monday
DEFAULT_SPRINT_DAYS = 14
DEFAULT_STALE_DAYS = 14  # the sprint review's coverage panel
DEFAULT_ACCEPT_DAYS = 90
ON_EXPIRY = ("keep", "restart")


@dataclass(frozen=True)
class Settings:
    sla_days: MappingProxyType[Severity, int | None] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_SLA_DAYS))
    )
    sprint_start: date = DEFAULT_SPRINT_START
    sprint_days: int = DEFAULT_SPRINT_DAYS
    severity_overrides: MappingProxyType[tuple[str, str], Severity] = field(
        default_factory=lambda: MappingProxyType({})
    )
    strip_prefixes: tuple[str, ...] = ()
    stale_days: int = DEFAULT_STALE_DAYS  # [review]: not scanned for this many days = stale
    users_file: str | None = None  # dashboard sign-in (app_pages/auth.py); None = no sign-in
    accept_days: int = DEFAULT_ACCEPT_DAYS  # an acceptance's default life
    on_expiry: str = "keep"  # the SLA clock when a decision ends: "keep" the first detection's, or "restart"
    source: str | None = None
    # [teams] as ownership rules, most specific first; [sla.teams.T] and [sla.projects."pattern"]
    team_rules: tuple[Rule, ...] = ()
    sla_teams: MappingProxyType[str, MappingProxyType[Severity, int | None]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    sla_projects: tuple[tuple[str, MappingProxyType[Severity, int | None]], ...] = ()
    team_owners: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))  # CODEOWNERS

    @property
    def team_names(self) -> tuple[str, ...]:
        """The configured teams in file order (those of [team_owners] after them)."""
        named = [r.team for r in sorted(self.team_rules, key=lambda r: r.order)]
        return tuple(dict.fromkeys([*named, *self.team_owners.values()]))


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity(str(value).strip().lower())
    except ValueError as e:
        choices = ", ".join(s.value for s in Severity)
        raise ConfigError(f"{where}: {value!r} is not a severity ({choices})") from e


def _sla_table(table: Any, where: str) -> dict[Severity, int | None]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table of severity = days")
    out: dict[Severity, int | None] = {}
    for key, value in table.items():
        sev = _severity(key, where)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ConfigError(f"{where} {key}: days must be a whole number ≥ 0, not {value!r}")
        out[sev] = value or None
    return out


def _teams(data: dict[str, Any], where: str) -> tuple[Rule, ...]:
    given = data.get("teams") or {}
    if not isinstance(given, dict):
        raise ConfigError(f"{where} [teams]: must be a table of team = [patterns]")
    teams: dict[str, list[str]] = {}
    for team, patterns in given.items():
        if isinstance(patterns, str):
            patterns = [patterns]
        teams[str(team)] = patterns
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip(": ") for p in patterns):
            raise ConfigError(f'{where} [teams] {team}: must be a list of patterns ("project" or "project:path")')
        if not str(team).strip() or team == "unowned":
            raise ConfigError(f"{where} [teams] {team!r}: not a usable team name")
    return parse_rules(teams)


def _team_owners(data: dict[str, Any], where: str) -> dict[str, str]:
    owners = data.get("team_owners") or {}
    if not isinstance(owners, dict) or not all(isinstance(v, str) and v.strip() for v in owners.values()):
        raise ConfigError(f'{where} [team_owners]: must be a table of "@owner" = "team"')
    return {str(k): v.strip() for k, v in owners.items()}


def parse_settings(data: dict[str, Any], source: str | None = None) -> Settings:
    where = source or "config"
    sla = dict(DEFAULT_SLA_DAYS)
    sla_data = dict(data.get("sla") or {})
    sla_teams_data = sla_data.pop("teams", None) or {}
    sla_projects_data = sla_data.pop("projects", None) or {}
    sla.update(_sla_table(sla_data, f"{where} [sla]"))
    if not isinstance(sla_teams_data, dict) or not isinstance(sla_projects_data, dict):
        raise ConfigError(f"{where} [sla.teams] and [sla.projects]: must be tables of tables")
    sla_teams = {
        str(team): MappingProxyType(_sla_table(t, f"{where} [sla.teams.{team}]")) for team, t in sla_teams_data.items()
    }
    sla_projects = tuple(
        (str(p), MappingProxyType(_sla_table(t, f"{where} [sla.projects.{p!r}]"))) for p, t in sla_projects_data.items()
    )
    sprints = data.get("sprints") or {}
    start = sprints.get("start", DEFAULT_SPRINT_START)
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start)
        except ValueError as e:
            raise ConfigError(f"{where} [sprints] start: {start!r} is not a date (YYYY-MM-DD)") from e
    if not isinstance(start, date):
        raise ConfigError(f"{where} [sprints] start: {start!r} is not a date")
    length = sprints.get("length_days", DEFAULT_SPRINT_DAYS)
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 366:
        raise ConfigError(f"{where} [sprints] length_days: must be 1–366, not {length!r}")
    overrides: dict[tuple[str, str], Severity] = {}
    for key, value in (data.get("severity") or {}).items():
        tool, _, rule = str(key).partition("/")
        overrides[(tool.strip().lower(), rule.strip() or "*")] = _severity(value, f"{where} [severity] {key}")
    prefixes = (data.get("paths") or {}).get("strip_prefixes", [])
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise ConfigError(f"{where} [paths] strip_prefixes: must be a list of strings")
    stale_days = (data.get("review") or {}).get("stale_days", DEFAULT_STALE_DAYS)
    if isinstance(stale_days, bool) or not isinstance(stale_days, int) or not 1 <= stale_days <= 3660:
        raise ConfigError(f"{where} [review] stale_days: must be 1–3660, not {stale_days!r}")
    return Settings(
        sla_days=MappingProxyType(sla),
        sprint_start=start if not hasattr(start, "date") or type(start) is date else start.date(),
        sprint_days=length,
        severity_overrides=MappingProxyType(overrides),
        strip_prefixes=tuple(prefixes),
        stale_days=stale_days,
        users_file=_users_file(data.get("auth") or {}, source),
        **_decisions(data.get("decisions") or {}, where),
        source=source,
        team_rules=_teams(data, where),
        sla_teams=MappingProxyType(sla_teams),
        sla_projects=sla_projects,
        team_owners=MappingProxyType(_team_owners(data, where)),
    )


def _decisions(section: dict[str, Any], where: str) -> dict[str, Any]:
    days = section.get("accept_days", DEFAULT_ACCEPT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise ConfigError(f"{where} [decisions] accept_days: must be 1–3660, not {days!r}")
    on_expiry = section.get("on_expiry", "keep")
    if on_expiry not in ON_EXPIRY:
        raise ConfigError(f"{where} [decisions] on_expiry: must be one of {', '.join(ON_EXPIRY)}, not {on_expiry!r}")
    return {"accept_days": days, "on_expiry": on_expiry}


def _users_file(auth: dict[str, Any], source: str | None) -> str | None:
    value = auth.get("users_file")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source or 'config'} [auth] users_file: must be a file name")
    path = Path(value)
    if not path.is_absolute() and source:
        path = Path(source).parent / path
    return str(path)


def config_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The settings file to read: ``path``, else ``$FINDINGS_CONFIG``, else the project's
    ``config.toml`` when there is one (a dangling link or an unreadable file counts: reading it
    then fails loudly instead of silently dropping its ``[auth]``), else none (the defaults)."""
    explicit = path or os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return PROJECT_CONFIG if os.path.lexists(PROJECT_CONFIG) else None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """``path``, else ``$FINDINGS_CONFIG``, else the project's config.toml if present, else defaults."""
    target = config_path(path)
    if target is None:
        return Settings()
    if not target.exists():
        raise ConfigError(f"{target}: config file not found")
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{target}: {e}") from e
    return parse_settings(data, str(target))
