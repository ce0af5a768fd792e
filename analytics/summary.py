"""A first look at the store: counts, lifecycle states and time to remediate, total, per tool and
per project."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.filters import Filters
from store.db import Store, native
from store.settings import Settings


def query_rows_named(conn: Any, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return list(native(conn).execute(sql, params).fetchall())


def query_df_row(conn: Any, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(native(conn).execute(sql, params).fetchone())


# Filters: project/branch/tool apply to scans; all finding filters to occurrences, findings and
# episodes; the window [since, until) to scan times, to episodes overlapping it, and to the
# closing time of the episodes MTTR averages.
TOTALS_SQL = """
WITH sel_scans AS (SELECT * FROM scans s WHERE {scan_where} AND s.scanned_at >= $since AND s.scanned_at < $until)
SELECT (SELECT count(*) FROM files fl
        WHERE fl.file_key IN (SELECT file_key FROM sel_scans) OR (fl.scans = 0 AND $unfiltered)),
       (SELECT count(*) FROM sel_scans),
       (SELECT count(*) FROM occurrences o JOIN sel_scans USING (scan_id) WHERE {occ_where}),
       (SELECT count(*) FROM findings f WHERE {where} AND f.first_seen_at < $until AND f.last_seen_at >= $since)
"""

# Per tool or per project ({col}; NULL = the grand total, via GROUPING SETS).
PER_GROUP_SQL = """
WITH sel_scans AS (SELECT * FROM scans s WHERE {scan_where} AND s.scanned_at >= $since AND s.scanned_at < $until),
sc AS (SELECT {col}, count(*) AS scans FROM sel_scans GROUP BY GROUPING SETS (({col}), ())),
oc AS (SELECT s.{col}, count(*) AS occurrences FROM occurrences o JOIN sel_scans s USING (scan_id)
       WHERE {occ_where} GROUP BY GROUPING SETS ((s.{col}), ())),
fi AS (SELECT {col}, count(*) AS findings FROM findings f
       WHERE {where} AND f.first_seen_at < $until AND f.last_seen_at >= $since GROUP BY GROUPING SETS (({col}), ())),
ep AS (
    SELECT f.{col},
           count(*) FILTER (WHERE e.status = 'open') AS open,
           count(*) FILTER (WHERE e.status = 'fixed') AS fixed,
           count(*) FILTER (WHERE e.status = 'suppressed') AS suppressed,
           count(*) FILTER (WHERE e.seq > 1) AS reopened,
           avg(e.days) FILTER (WHERE e.status = 'fixed' AND e.closed_at >= $since) AS mean_days,
           median(e.days) FILTER (WHERE e.status = 'fixed' AND e.closed_at >= $since) AS median_days
    FROM (SELECT *, date_diff('second', opened_at, closed_at) / 86400.0 AS days FROM episodes
          WHERE opened_at < $until AND (closed_at IS NULL OR closed_at >= $since)) e
    JOIN findings f USING (finding_id)
    WHERE {where}
    GROUP BY GROUPING SETS ((f.{col}), ())
)
SELECT sc.{col}, sc.scans, coalesce(oc.occurrences, 0), coalesce(fi.findings, 0),
       coalesce(ep.open, 0), coalesce(ep.fixed, 0), coalesce(ep.suppressed, 0), coalesce(ep.reopened, 0),
       ep.mean_days, ep.median_days
FROM sc
LEFT JOIN oc ON oc.{col} IS NOT DISTINCT FROM sc.{col}
LEFT JOIN fi ON fi.{col} IS NOT DISTINCT FROM sc.{col}
LEFT JOIN ep ON ep.{col} IS NOT DISTINCT FROM sc.{col}
ORDER BY sc.{col} NULLS FIRST
"""
GROUPS = ("tool", "project")  # the only values {col} takes


@dataclass(frozen=True, slots=True)
class EpisodeCounts:
    open: int = 0
    fixed: int = 0
    suppressed: int = 0
    reopened: int = 0


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
            return {"open": e.open, "fixed": e.fixed, "suppressed": e.suppressed, "reopened": e.reopened}

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


def _sql(template: str, filters: Filters, col: str = "tool") -> tuple[str, dict[str, Any]]:
    where, params = filters.finding_where("f")
    scan_only = Filters(projects=filters.projects, branches=filters.branches, tools=filters.tools)
    scan_where, _ = scan_only.finding_where("s")
    occ_where, _ = Filters(severities=filters.severities, cwes=filters.cwes, rules=filters.rules).finding_where("o")
    if col not in GROUPS:
        raise ValueError(f"no summary per {col!r}")
    sql = template.format(where=where, scan_where=scan_where, occ_where=occ_where, col=col)
    params = params | {
        "since": filters.since or datetime(1, 1, 1),
        "until": filters.until or datetime(9999, 1, 1),
        "unfiltered": filters == Filters(),
    }
    return sql, {k: v for k, v in params.items() if f"${k}" in sql}


def summary(store: Store, filters: Filters | None = None) -> Summary:
    filters = filters or Filters()
    with store.read() as conn:
        files, scans, occurrences, findings = query_df_row(conn, *_sql(TOTALS_SQL, filters))
        total, per_tool = _per_group(query_rows_named(conn, *_sql(PER_GROUP_SQL, filters, "tool")))
        _, per_project = _per_group(query_rows_named(conn, *_sql(PER_GROUP_SQL, filters, "project")))
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


def _per_group(rows: list[tuple[Any, ...]]) -> tuple[ToolSummary, dict[str, ToolSummary]]:
    """(the grand total, each group's) from ``PER_GROUP_SQL`` rows."""
    total = ToolSummary(0, 0, 0, EpisodeCounts(), None, None)
    out: dict[str, ToolSummary] = {}
    for name, n_scans, n_occ, n_find, op, fx, sup, reo, mean, median in rows:
        item = ToolSummary(n_scans, n_occ, n_find, EpisodeCounts(op, fx, sup, reo), _num(mean), _num(median))
        if name is None:
            total = item
        else:
            out[name] = item
    return total, out


def summary_with_extras(
    store: Store, filters: Filters | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """The summary object plus SLA compliance and each project's DORA headline numbers."""
    from analytics import dora, remediation

    filters = filters or Filters()
    settings = settings or Settings()
    out = summary(store, filters).as_dict()
    sla = remediation.sla(store, filters, (), None, settings)
    row = sla.iloc[0] if len(sla) else None
    out["sla"] = {
        "compliance": _num(row["compliance"]) if row is not None else None,
        "overdue_open": int(row["overdue_open"]) if row is not None else 0,
    }
    out["dora"] = dora.dora_headline(store, filters, settings)
    return out


def render_text(d: dict[str, Any]) -> str:
    def fmt(x: float | None, unit: str = "") -> str:
        return "—" if x is None else f"{x:.1f}{unit}"

    e = d["episodes"]
    lines = [
        f"files {d['files']}  scans {d['scans']}  occurrences {d['occurrences']}  findings {d['findings']}",
        f"episodes: open {e['open']}, fixed {e['fixed']}, suppressed {e['suppressed']}, reopened {e['reopened']}",
        f"time to remediate (fixed episodes): mean {fmt(d['mttr_mean_days'], ' d')}, "
        f"median {fmt(d['mttr_median_days'], ' d')}",
    ]
    if "sla" in d:
        comp = d["sla"]["compliance"]
        lines.append(
            f"SLA: {'—' if comp is None else f'{100 * comp:.0f}%'} of fixes within SLA; "
            f"{d['sla']['overdue_open']} open finding(s) overdue"
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
