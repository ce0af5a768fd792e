"""Which team owns a finding, and which SLA table applies to it: resolved in SQL at query time.

This is the one place both are said. ``team_sql(alias)`` is an SQL expression for the team of
the finding (or episode) row ``alias`` (it needs its ``project`` and ``path``): the first rule,
most specific first (``core.teams``), whose project and path patterns match, else ``unowned``.
The rules come from the configuration as parameters (``team_params``), so that editing
``[teams]`` changes every number at once, without loading anything again, and from the
``codeowners`` table (``python -m ingest codeowners``), whose owners ``[team_owners]`` maps to teams. Every metric that
groups or filters by team uses this expression: the team filter (``Filters.finding_where``), the
``team`` grouping column and the SLA choice below.

``SLA_RULES_CTE`` is the SLA table as a relation, one row per (rule, severity): the team's own
days (``[sla.teams.T]``), then the most specific project pattern's (``[sla.projects."p"]``), then
the global ``[sla]``; ``sla_rank`` orders them and ``sla_source`` names them (``team:T``,
``project:p``, ``global``). ``sla_pick(alias)`` is the rank of the row that applies to a finding.
Without team or project tables the join is by severity alone, as it has always been.
"""

from __future__ import annotations

from typing import Any

from core.settings import Settings
from core.severity import Severity
from core.teams import UNOWNED, Rule, project_regex

# The rules: the config's (``src`` 0, in config order) and the CODEOWNERS imports' (``src`` 1, a
# later line first, as GitHub reads the file), a line's owner mapped by [team_owners]. The first
# rule in (kind, literals desc, src, ord) order that matches wins: path rules (kind 0) before
# project rules (kind 1), then more literal characters, then the config before imports.
TEAM_RULES = (
    "(SELECT unnest($team_rule_team::VARCHAR[]) AS team, unnest($team_rule_project::VARCHAR[]) AS project_re,"
    " unnest($team_rule_path::VARCHAR[]) AS path_re, unnest($team_rule_kind::INTEGER[]) AS kind,"
    " unnest($team_rule_literals::INTEGER[]) AS literals, 0 AS src, unnest($team_rule_order::INTEGER[]) AS ord"
    " UNION ALL"
    f" SELECT coalesce(m.team, nullif(ltrim(c.owner, '@'), ''), '{UNOWNED}'), c.project_re, c.path_re, 0,"
    " c.literals, 1, -c.line_no FROM codeowners c"
    " LEFT JOIN (SELECT unnest($team_owner::VARCHAR[]) AS owner, unnest($team_owner_team::VARCHAR[]) AS team) m"
    " ON m.owner = c.owner)"
)


def team_sql(alias: str) -> str:
    """The team of row ``alias`` (SQL; parameters: ``team_params``)."""
    return (
        f"coalesce((SELECT tr.team FROM {TEAM_RULES} tr WHERE regexp_matches({alias}.project, tr.project_re)"
        f" AND (tr.path_re = '' OR regexp_matches({alias}.path, tr.path_re))"
        f" ORDER BY tr.kind, tr.literals DESC, tr.src, tr.ord LIMIT 1), '{UNOWNED}')"
    )


def team_params(settings: Settings) -> dict[str, Any]:
    """The configured ownership rules and owner → team map, as the parameters of ``team_sql``."""
    rules: tuple[Rule, ...] = settings.team_rules
    regexes = [r.regexes() for r in rules]
    return {
        "team_rule_team": [r.team for r in rules],
        "team_rule_project": [p for p, _ in regexes],
        "team_rule_path": [x for _, x in regexes],
        "team_rule_kind": [r.specificity()[0] for r in rules],
        "team_rule_literals": [-r.specificity()[1] for r in rules],
        "team_rule_order": [r.order for r in rules],
        "team_owner": list(settings.team_owners),
        "team_owner_team": list(settings.team_owners.values()),
    }


SLA_RULES_CTE = """
sla_rules AS (
    SELECT unnest($sla_rule_rank::INTEGER[]) AS sla_rank, unnest($sla_rule_sev::VARCHAR[]) AS severity,
           unnest($sla_rule_team::VARCHAR[]) AS sla_team, unnest($sla_rule_project::VARCHAR[]) AS sla_project_re,
           unnest($sla_rule_days::INTEGER[]) AS sla_days, unnest($sla_rule_source::VARCHAR[]) AS sla_source
)"""


def has_sla_overrides(settings: Settings) -> bool:
    return bool(settings.sla_teams or settings.sla_projects)


def sla_pick(alias: str, settings: Settings) -> str:
    """SQL: the ``sla_rank`` of the SLA row that applies to finding row ``alias`` (NULL: none)."""
    team = team_sql(alias) if settings.sla_teams else "NULL"
    return (
        "(SELECT min(s.sla_rank) FROM sla_rules s WHERE s.severity = "
        f"{alias}.severity AND (s.sla_team = '' OR s.sla_team = {team})"
        f" AND (s.sla_project_re = '' OR regexp_matches({alias}.project, s.sla_project_re)))"
    )


def sla_join(alias: str, settings: Settings) -> str:
    """``LEFT JOIN sla_rules sla ON …``: the SLA row of finding row ``alias``."""
    if not has_sla_overrides(settings):
        return f"LEFT JOIN sla_rules sla ON sla.severity = {alias}.severity"
    return f"LEFT JOIN sla_rules sla ON sla.sla_rank = {alias}.sla_rank"


def sla_params(settings: Settings) -> dict[str, Any]:
    """The SLA tables as rows, in the order they are tried: teams, project patterns (most literal
    characters first, then file order), the global table. A severity a table leaves out is not
    one of its rows (it falls through); one it sets to 0 is a row without days (no SLA)."""
    rows: list[tuple[str, str, str, int | None, str]] = []
    for team, table in settings.sla_teams.items():
        rows += [(sev.value, team, "", days, f"team:{team}") for sev, days in table.items()]
    by_literals = sorted(
        enumerate(settings.sla_projects), key=lambda item: (-sum(ch not in "*?" for ch in item[1][0]), item[0])
    )
    for _, (pattern, table) in by_literals:
        rows += [(sev.value, "", project_regex(pattern), days, f"project:{pattern}") for sev, days in table.items()]
    rows += [(sev.value, "", "", settings.sla_days.get(sev), "global") for sev in Severity]
    return {
        "sla_rule_rank": list(range(len(rows))),
        "sla_rule_sev": [r[0] for r in rows],
        "sla_rule_team": [r[1] for r in rows],
        "sla_rule_project": [r[2] for r in rows],
        "sla_rule_days": [r[3] for r in rows],
        "sla_rule_source": [r[4] for r in rows],
    }
