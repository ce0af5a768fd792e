"""A first look at the store: counts, lifecycle states and time to remediate, total and per tool."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from store.db import Store, query_rows

TOTALS_SQL = """
SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM scans), (SELECT count(*) FROM occurrences),
       (SELECT count(*) FROM findings)
"""

# Per tool (NULL tool = the grand total, via GROUPING SETS).
PER_TOOL_SQL = """
WITH sc AS (SELECT tool, count(*) AS scans FROM scans GROUP BY GROUPING SETS ((tool), ())),
oc AS (SELECT s.tool, count(*) AS occurrences FROM occurrences o JOIN scans s USING (scan_id)
       GROUP BY GROUPING SETS ((s.tool), ())),
fi AS (SELECT tool, count(*) AS findings FROM findings GROUP BY GROUPING SETS ((tool), ())),
ep AS (
    SELECT f.tool,
           count(*) FILTER (WHERE e.status = 'open') AS open,
           count(*) FILTER (WHERE e.status = 'fixed') AS fixed,
           count(*) FILTER (WHERE e.status = 'suppressed') AS suppressed,
           count(*) FILTER (WHERE e.seq > 1) AS reopened,
           avg(e.days) FILTER (WHERE e.status = 'fixed') AS mean_days,
           median(e.days) FILTER (WHERE e.status = 'fixed') AS median_days
    FROM (SELECT *, date_diff('second', opened_at, closed_at) / 86400.0 AS days FROM episodes) e
    JOIN findings f USING (finding_id)
    GROUP BY GROUPING SETS ((f.tool), ())
)
SELECT sc.tool, sc.scans, coalesce(oc.occurrences, 0), coalesce(fi.findings, 0),
       coalesce(ep.open, 0), coalesce(ep.fixed, 0), coalesce(ep.suppressed, 0), coalesce(ep.reopened, 0),
       ep.mean_days, ep.median_days
FROM sc
LEFT JOIN oc ON oc.tool IS NOT DISTINCT FROM sc.tool
LEFT JOIN fi ON fi.tool IS NOT DISTINCT FROM sc.tool
LEFT JOIN ep ON ep.tool IS NOT DISTINCT FROM sc.tool
ORDER BY sc.tool NULLS FIRST
"""


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

    def as_dict(self) -> dict[str, Any]:
        def ep(e: EpisodeCounts) -> dict[str, int]:
            return {"open": e.open, "fixed": e.fixed, "suppressed": e.suppressed, "reopened": e.reopened}

        return {
            "files": self.files,
            "scans": self.scans,
            "occurrences": self.occurrences,
            "findings": self.findings,
            "episodes": ep(self.episodes),
            "mttr_mean_days": self.mttr_mean_days,
            "mttr_median_days": self.mttr_median_days,
            "per_tool": {
                tool: {
                    "scans": t.scans,
                    "occurrences": t.occurrences,
                    "findings": t.findings,
                    "episodes": ep(t.episodes),
                    "mttr_mean_days": t.mttr_mean_days,
                    "mttr_median_days": t.mttr_median_days,
                }
                for tool, t in self.per_tool.items()
            },
        }


def _num(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else round(f, 6)


def summary(store: Store) -> Summary:
    with store.read() as conn:
        files, scans, occurrences, findings = query_rows(conn, TOTALS_SQL)[0]
        rows = query_rows(conn, PER_TOOL_SQL)
    total = ToolSummary(0, 0, 0, EpisodeCounts(), None, None)
    per_tool: dict[str, ToolSummary] = {}
    for tool, n_scans, n_occ, n_find, op, fx, sup, reo, mean, median in rows:
        item = ToolSummary(n_scans, n_occ, n_find, EpisodeCounts(op, fx, sup, reo), _num(mean), _num(median))
        if tool is None:
            total = item
        else:
            per_tool[tool] = item
    return Summary(
        files=files,
        scans=scans,
        occurrences=occurrences,
        findings=findings,
        episodes=total.episodes,
        mttr_mean_days=total.mttr_mean_days,
        mttr_median_days=total.mttr_median_days,
        per_tool=per_tool,
    )


def render_text(s: Summary) -> str:
    def fmt(x: float | None) -> str:
        return "—" if x is None else f"{x:.1f}"

    lines = [
        f"files {s.files}  scans {s.scans}  occurrences {s.occurrences}  findings {s.findings}",
        f"episodes: open {s.episodes.open}, fixed {s.episodes.fixed}, suppressed {s.episodes.suppressed}, "
        f"reopened {s.episodes.reopened}",
        f"time to remediate (fixed episodes): mean {fmt(s.mttr_mean_days)} d, median {fmt(s.mttr_median_days)} d",
        "",
        f"{'tool':<28} {'scans':>6} {'occurr.':>8} {'findings':>8} {'open':>6} {'fixed':>6} {'suppr.':>6} "
        f"{'reopen':>6} {'mean d':>7} {'median d':>8}",
    ]
    for tool, t in s.per_tool.items():
        e = t.episodes
        lines.append(
            f"{tool[:28]:<28} {t.scans:>6} {t.occurrences:>8} {t.findings:>8} {e.open:>6} {e.fixed:>6} "
            f"{e.suppressed:>6} {e.reopened:>6} {fmt(t.mttr_mean_days):>7} {fmt(t.mttr_median_days):>8}"
        )
    return "\n".join(lines)
