"""A first look at the store: counts, lifecycle states and time to remediate, total, per tool and
per project."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from analytics import dora, quality, remediation
from analytics.definitions import BEGINNING, episodes_cte, run, window
from analytics.filters import Filters
from analytics.remediation import EPISODE_COUNTS_SQL
from core.settings import Settings
from store.db import Store

# Filters: project/branch/tool apply to scans; all finding filters to occurrences, findings and
# episodes; the window [since, until) to scan times, to the findings seen in it, and to episodes
# by the definitions in ``analytics.definitions`` (``remediation.EPISODE_COUNTS_SQL``: open at the
# window's end; fixed, suppressed, reopened in it; MTTR of the episodes fixed in it). Findings
# suppressed from their first scan never open an episode: they count as suppressed in the window
# that holds their first scan.
TOTALS_SQL = """
WITH sel_scans AS (SELECT * FROM scans s WHERE {scan_where} AND s.scanned_at >= $since AND s.scanned_at < $until)
SELECT (SELECT count(*) FROM files fl
        WHERE fl.file_key IN (SELECT file_key FROM sel_scans) OR (fl.scans = 0 AND $unfiltered)),
       (SELECT count(*) FROM sel_scans),
       (SELECT count(*) FROM occurrences o JOIN sel_scans USING (scan_id) WHERE {occ_where}),
       (SELECT count(*) FROM findings f WHERE {where} AND f.first_seen_at < $until AND f.last_seen_at >= $since)
"""

# Per tool or per project ({col}; NULL = the grand total, via GROUPING SETS).
PER_GROUP_SQL = f"""
WITH {{cte}},
sel_scans AS (SELECT * FROM scans s WHERE {{scan_where}} AND s.scanned_at >= $since AND s.scanned_at < $until),
sc AS (SELECT {{col}}, count(*) AS scans FROM sel_scans GROUP BY GROUPING SETS (({{col}}), ())),
oc AS (SELECT s.{{col}}, count(*) AS occurrences FROM occurrences o JOIN sel_scans s USING (scan_id)
       WHERE {{occ_where}} GROUP BY GROUPING SETS ((s.{{col}}), ())),
fi AS (SELECT {{col}}, count(*) AS findings,
              count(*) FILTER (WHERE f.episodes = 0 AND f.first_seen_at >= $since) AS never_opened
       FROM findings f
       WHERE {{where}} AND f.first_seen_at < $until AND f.last_seen_at >= $since
       GROUP BY GROUPING SETS (({{col}}), ())),
epc AS (SELECT ep.{{col}}, {EPISODE_COUNTS_SQL} FROM ep GROUP BY GROUPING SETS ((ep.{{col}}), ())),
keys AS (SELECT {{col}} FROM sc UNION SELECT {{col}} FROM fi UNION SELECT {{col}} FROM epc)
SELECT k.{{col}}, coalesce(sc.scans, 0), coalesce(oc.occurrences, 0), coalesce(fi.findings, 0),
       coalesce(epc.open, 0), coalesce(epc.fixed, 0), coalesce(epc.suppressed, 0) + coalesce(fi.never_opened, 0),
       coalesce(epc.reopened, 0), epc.mean_days, epc.median_days,
       coalesce(epc.accepted, 0), coalesce(epc.false_positive, 0), coalesce(epc.wont_fix, 0)
FROM keys k
LEFT JOIN sc ON sc.{{col}} IS NOT DISTINCT FROM k.{{col}}
LEFT JOIN oc ON oc.{{col}} IS NOT DISTINCT FROM k.{{col}}
LEFT JOIN fi ON fi.{{col}} IS NOT DISTINCT FROM k.{{col}}
LEFT JOIN epc ON epc.{{col}} IS NOT DISTINCT FROM k.{{col}}
WHERE k.{{col}} IS NULL OR coalesce(sc.scans, 0) + coalesce(fi.findings, 0) + coalesce(epc.open, 0)
                          + coalesce(epc.fixed, 0) + coalesce(epc.suppressed, 0) + coalesce(epc.accepted, 0)
                          + coalesce(epc.false_positive, 0) + coalesce(epc.wont_fix, 0) > 0
ORDER BY k.{{col}} NULLS FIRST
"""
GROUPS = ("tool", "project")  # the only values {col} takes


@dataclass(frozen=True, slots=True)
class EpisodeCounts:
    open: int = 0
    fixed: int = 0
    suppressed: int = 0
    reopened: int = 0
    accepted: int = 0  # taken out of the backlog in the window by a risk decision, by kind
    false_positive: int = 0
    wont_fix: int = 0


@dataclass(frozen=True, slots=True)
class ToolSummary:
    scans: int
    occurrences: int
    findings: int
    episodes: EpisodeCounts
    mttr_mean_days: float | None
    mttr_median_days: float | None


@dataclass(frozen=True, slots=True)
class Summary:
    files: int
    scans: int
    occurrences: int
    findings: int
    episodes: EpisodeCounts
    mttr_mean_days: float | None
    mttr_median_days: float | None
    per_tool: dict[str, ToolSummary] = field(default_factory=dict)
    per_project: dict[str, ToolSummary] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def ep(e: EpisodeCounts) -> dict[str, int]:
            return {
                "open": e.open,
                "fixed": e.fixed,
                "suppressed": e.suppressed,
                "reopened": e.reopened,
                "accepted": e.accepted,
                "false_positive": e.false_positive,
                "wont_fix": e.wont_fix,
            }

        def groups(items: dict[str, ToolSummary]) -> dict[str, dict[str, Any]]:
            return {
                name: {
                    "scans": t.scans,
                    "occurrences": t.occurrences,
                    "findings": t.findings,
                    "episodes": ep(t.episodes),
                    "mttr_mean_days": t.mttr_mean_days,
                    "mttr_median_days": t.mttr_median_days,
                }
                for name, t in items.items()
            }

        return {
            "files": self.files,
            "scans": self.scans,
            "occurrences": self.occurrences,
            "findings": self.findings,
            "episodes": ep(self.episodes),
            "mttr_mean_days": self.mttr_mean_days,
            "mttr_median_days": self.mttr_median_days,
            "per_tool": groups(self.per_tool),
            "per_project": groups(self.per_project),
        }


def _num(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else round(f, 6)


def _sql(
    template: str, filters: Filters, settings: Settings, until: datetime, col: str = "tool"
) -> tuple[str, dict[str, Any]]:
    cte, params = episodes_cte(filters, settings)
    where, _ = filters.finding_where("f")
    scan_only = Filters(projects=filters.projects, branches=filters.branches, tools=filters.tools)
    scan_where, _ = scan_only.finding_where("s")
    occ_where, _ = Filters(severities=filters.severities, cwes=filters.cwes, rules=filters.rules).finding_where("o")
    if filters.teams:  # an occurrence belongs to its finding's team (scans and files are not split by team)
        team_where, _ = Filters(teams=filters.teams).finding_where("tf")
        occ_where += f" AND o.finding_id IN (SELECT tf.finding_id FROM findings tf WHERE {team_where})"
    if col not in GROUPS:
        raise ValueError(f"no summary per {col!r}")
    sql = template.format(cte=cte, where=where, scan_where=scan_where, occ_where=occ_where, col=col)
    params = params | {"since": filters.since or BEGINNING, "until": until, "unfiltered": filters == Filters()}
    return sql, params


def summary(store: Store, filters: Filters | None = None, settings: Settings | None = None) -> Summary:
    """Counts of the window (``analytics.definitions``): open at its end; fixed, suppressed and
    reopened in it; MTTR of the episodes fixed in it. Without a window: everything up to now."""
    filters = filters or Filters()
    settings = settings or Settings()
    until = window(store, filters, settings).until
    with store.session():
        files, scans, occurrences, findings = _rows(store, *_sql(TOTALS_SQL, filters, settings, until))[0]
        total, per_tool = _per_group(_rows(store, *_sql(PER_GROUP_SQL, filters, settings, until, "tool")))
        _, per_project = _per_group(_rows(store, *_sql(PER_GROUP_SQL, filters, settings, until, "project")))
    return Summary(
        files=files,
        scans=scans,
        occurrences=occurrences,
        findings=findings,
        episodes=total.episodes,
        mttr_mean_days=total.mttr_mean_days,
        mttr_median_days=total.mttr_median_days,
        per_tool=per_tool,
        per_project=per_project,
    )


def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    df = run(store, sql, params)
    return [tuple(None if pd.isna(v) else v for v in row) for row in df.itertuples(index=False)]


def _per_group(rows: list[tuple[Any, ...]]) -> tuple[ToolSummary, dict[str, ToolSummary]]:
    """(the grand total, each group's) from ``PER_GROUP_SQL`` rows."""
    total = ToolSummary(0, 0, 0, EpisodeCounts(), None, None)
    out: dict[str, ToolSummary] = {}
    for name, n_scans, n_occ, n_find, op, fx, sup, reo, mean, median, acc, fp, wf in rows:
        counts = EpisodeCounts(op, fx, sup, reo, acc, fp, wf)
        item = ToolSummary(n_scans, n_occ, n_find, counts, _num(mean), _num(median))
        if name is None:
            total = item
        else:
            out[name] = item
    return total, out


def summary_with_extras(
    store: Store, filters: Filters | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """The summary object plus SLA compliance and each project's DORA headline numbers."""
    filters = filters or Filters()
    settings = settings or Settings()
    out = summary(store, filters, settings).as_dict()
    sla = remediation.sla(store, filters, (), None, settings)
    row = sla.iloc[0] if len(sla) else None
    out["sla"] = {
        "compliance": _num(row["compliance"]) if row is not None else None,
        "overdue_open": int(row["overdue_open"]) if row is not None else 0,
    }
    out["dora"] = dora.dora_headline(store, filters, settings)
    out["data_quality"] = data_quality(store, filters, out["dora"], settings)
    out["store"] = store.describe()  # engine, database (no password), schema version
    return out


def data_quality(
    store: Store, filters: Filters, dora_headline: dict[str, dict[str, Any]], settings: Settings | None = None
) -> dict[str, Any]:
    """What makes a number less trustworthy than it looks, counted (empty counts are zeros):
    identity churn (scans where one rule in one file had ≥ 2 fixes and as many new findings: an
    identity that changed, not remediation) and commits dated after their deployment (clock skew,
    left out of the lead time)."""
    churn = quality.identity_churn(store, filters, settings)
    return {
        "identity_churn_scans": int(churn["scan_id"].nunique()) if len(churn) else 0,
        "identity_churn_fixed": int(churn["fixed"].sum()) if len(churn) else 0,
        "lead_time_negative": sum(int(x.get("lead_time_negative") or 0) for x in dora_headline.values()),
    }


def render_text(d: dict[str, Any]) -> str:
    def fmt(x: float | None, unit: str = "") -> str:
        return "—" if x is None else f"{x:.1f}{unit}"

    e = d["episodes"]
    lines = [
        f"files {d['files']}  scans {d['scans']}  occurrences {d['occurrences']}  findings {d['findings']}",
        f"episodes: open {e['open']}, fixed {e['fixed']}, suppressed {e['suppressed']}, reopened {e['reopened']}",
        f"risk decisions: accepted {e.get('accepted', 0)}, false positive {e.get('false_positive', 0)}, "
        f"won't fix {e.get('wont_fix', 0)} (taken out of the open backlog in the window)",
        f"time to remediate (fixed episodes): mean {fmt(d['mttr_mean_days'], ' d')}, "
        f"median {fmt(d['mttr_median_days'], ' d')}",
    ]
    if "sla" in d:
        comp = d["sla"]["compliance"]
        lines.append(
            f"SLA: {'—' if comp is None else f'{100 * comp:.0f}%'} of fixes within SLA; "
            f"{d['sla']['overdue_open']} open finding(s) overdue"
        )
    dq = d.get("data_quality") or {}
    if dq.get("identity_churn_scans"):
        lines.append(
            f"data quality: {dq['identity_churn_fixed']} 'fixed' finding(s) in {dq['identity_churn_scans']} scan(s) "
            "came with as many new ones of the same rule in the same file: an identity that changed, not fixes"
        )
    if dq.get("lead_time_negative"):
        lines.append(
            f"data quality: {dq['lead_time_negative']} commit(s) dated after their deployment (clock skew) are "
            "left out of the lead time"
        )
    for key, label in (("per_tool", "tool"), ("per_project", "project")):
        lines += [
            "",
            f"{label:<28} {'scans':>6} {'occurr.':>8} {'findings':>8} {'open':>6} {'fixed':>6} {'suppr.':>6} "
            f"{'reopen':>6} {'mean d':>7} {'median d':>8}",
        ]
        for name, t in d.get(key, {}).items():
            te = t["episodes"]
            lines.append(
                f"{name[:28]:<28} {t['scans']:>6} {t['occurrences']:>8} {t['findings']:>8} {te['open']:>6} "
                f"{te['fixed']:>6} {te['suppressed']:>6} {te['reopened']:>6} {fmt(t['mttr_mean_days']):>7} "
                f"{fmt(t['mttr_median_days']):>8}"
            )
    if d.get("dora"):
        lines += ["", f"{'project':<28} {'deploys':>7} {'lead time d':>11} {'CFR':>6} {'recovery h':>10}  frequency"]
        for project, x in d["dora"].items():
            cfr = x.get("change_failure_rate")
            lines.append(
                f"{project[:28]:<28} {x.get('deployments') or 0:>7} {fmt(x.get('lead_time_median_days')):>11} "
                f"{'—' if cfr is None else f'{100 * cfr:.0f}%':>6} {fmt(x.get('recovery_median_hours')):>10}  "
                f"{x.get('deployment_frequency_class') or '—'}"
            )
    return "\n".join(lines)
