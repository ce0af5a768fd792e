"""The definitions every number is built from, each written once (README: "What the numbers mean").

Every metric — the CLI summary, the Overview headline, the sprint report, every export and every
page — selects its episodes with these predicates and these windows, so that two views of one
number cannot disagree:

* the **window** is ``[since, until)``: ``since`` inclusive (default: the selection's first
  episode), ``until`` exclusive (default: now; a bare date given as ``--until`` or "To" includes
  that day). A window with ``since > until`` is an error; one outside 1970–2100 too.
* a **span** is the window, or one period of it cut by the window's edges (a week that starts
  before ``since`` counts only from ``since``);
* an episode is **opened in** a span when ``opened_at`` falls inside it, **closed in** it when
  ``closed_at`` does, **fixed in** it when it is closed in it as fixed (not suppressed);
* it is **open at** ``t`` (in the backlog at the end of a span that ends at ``t``) when
  ``opened_at < t`` and it was not closed before ``t``;
* it is **due by** ``t`` when its SLA due date (first detection + the severity's days) is before
  ``t``; **overdue at** ``t`` = open at ``t`` and due by ``t``; **fixed within SLA** when
  ``closed_at <= due_at``;
* it was **found by its stream's first scan** when it is the finding's first episode and opened at
  the first scan of its stream: a backlog found, not new work;
* **risk decisions** (accepted, false positive, won't fix) take the decided time out of the
  episodes, here and only here (``DECIDED_CTES``): an episode is cut where a decision starts (that
  part closes with the decision's kind as its status: not fixed, not suppressed) and resumes where
  the decision ends while it is still open (``resumed`` when an earlier part of it was counted:
  then neither new nor reopened; the SLA clock may restart there, ``on_expiry``). An acceptance
  during which the episode was fixed does not cut it: a fixed finding counts as fixed.
  ``Filters.show_decided`` turns this off.

Predicates are SQL fragments over an episode relation (the ``ep`` CTE below, or any relation with
its columns); ``start``, ``end`` and ``t`` are SQL expressions (named parameters or columns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from analytics.filters import Filters, group_exprs
from analytics.teams import SLA_RULES_CTE, has_sla_overrides, sla_join, sla_params, sla_pick, team_params
from core.errors import QueryError
from core.periods import PERIODS, periods
from core.settings import Settings
from core.severity import ORDER
from core.times import EARLIEST, LATEST, TIME_RANGE
from store.db import Store, query_df

BEGINNING = datetime(1, 1, 1)  # "no start": before anything a store can hold


# ------------------------------------------------------------------------------------ predicates
def opened_in(ep: str, start: str, end: str) -> str:
    return f"({ep}.opened_at >= {start} AND {ep}.opened_at < {end})"


def closed_in(ep: str, start: str, end: str) -> str:
    return f"({ep}.closed_at >= {start} AND {ep}.closed_at < {end})"


def fixed_in(ep: str, start: str, end: str) -> str:
    return f"({ep}.status = 'fixed' AND {closed_in(ep, start, end)})"


def suppressed_in(ep: str, start: str, end: str) -> str:
    return f"({ep}.status = 'suppressed' AND {closed_in(ep, start, end)})"


def reopened(ep: str) -> str:
    """A later episode of its finding (the part after a decision ended is not a reopening)."""
    return f"({ep}.seq > 1 AND NOT {ep}.resumed)"


def reopened_in(ep: str, start: str, end: str) -> str:
    return f"({reopened(ep)} AND {opened_in(ep, start, end)})"


DECISION_KINDS = ("accepted", "false_positive", "wont_fix")


def decided_in(ep: str, kind: str, start: str, end: str) -> str:
    """The part of an episode that a decision of ``kind`` ended inside [start, end)."""
    if kind not in DECISION_KINDS:
        raise ValueError(kind)
    return f"({ep}.status = '{kind}' AND {closed_in(ep, start, end)})"


def overlaps(ep: str, start: str, end: str) -> str:
    """Open at some time inside [start, end): opened before its end, not closed before its start."""
    return f"({ep}.opened_at < {end} AND ({ep}.closed_at IS NULL OR {ep}.closed_at >= {start}))"


def open_at(ep: str, t: str) -> str:
    return f"({ep}.opened_at < {t} AND ({ep}.closed_at IS NULL OR {ep}.closed_at >= {t}))"


def due_by(ep: str, t: str) -> str:
    return f"({ep}.due_at < {t})"


def overdue_at(ep: str, t: str) -> str:
    return f"({open_at(ep, t)} AND {due_by(ep, t)})"


def breached_in(ep: str, start: str, end: str) -> str:
    """Its SLA due date fell inside [start, end) while it was open (it was not fixed by then)."""
    return (
        f"({ep}.due_at >= {start} AND {ep}.due_at < {end} AND {ep}.opened_at <= {ep}.due_at"
        f" AND ({ep}.closed_at IS NULL OR {ep}.closed_at > {ep}.due_at))"
    )


def within_sla(ep: str) -> str:
    return f"({ep}.closed_at <= {ep}.due_at)"


# Each stream's first scan; an episode (``ep``) joined to it as ``fs`` USING (stream_id).
FIRST_SCAN_CTE = "first_scan AS (SELECT stream_id, min(scanned_at) AS at FROM scans GROUP BY stream_id)"


def at_first_scan(ep: str = "ep", fs: str = "fs") -> str:
    return f"({ep}.seq = 1 AND {ep}.opened_at = {fs}.at)"  # a resumed part never opens at the first scan


def days(start: str, end: str) -> str:
    """Fractional days from ``start`` to ``end`` (SQL)."""
    return f"(date_diff('second', {start}, {end}) / 86400.0)"


# ------------------------------------------------------------------------------ risk decisions
# The one place that says what a risk decision does to the numbers (docs/definitions.md §6, "Risk
# decisions"). A decision is in force on a finding from ``decided_at`` until it expires or is
# revoked (``dc_on``; a scope decision covers every finding of its project, tool and rule whose
# path matches its pattern); decisions of one finding that overlap are one stretch (``dc_i``,
# the kind of its earliest decision); an episode is cut by the stretches that overlap it
# (``dc_cut``), except an acceptance that its fix falls in. Every metric reads ``ep``, so they all
# agree; none tests a decision row by row.
FOREVER = "CAST('9999-12-31' AS TIMESTAMP)"


def _resumed(start: str) -> str:
    """A part starting at ``start`` is resumed when an earlier part of its episode was counted: the
    episode's own start was not decided (``first_s`` after it), or an earlier part followed the
    first decided stretch (``start`` after its end ``first_e``)."""
    return f"({start} > e.opened_at AND (c.first_s > e.opened_at OR {start} > c.first_e))"


# A scope decision (``d``, finding_id empty) covers a finding (``f``) of its project, tool and rule
# whose path matches its pattern (stored by the writer as a LIKE pattern).
SCOPE_MATCH = (
    "(d.finding_id IS NULL AND f.project = d.project AND f.tool = d.tool AND f.rule_id = d.rule_id"
    " AND f.path LIKE d.path_like ESCAPE '\\')"
)
DECIDED_CTES = f"""
dc_rev AS (SELECT revokes, min(decided_at) AS at FROM decisions WHERE kind = 'revoke' GROUP BY revokes),
dc_on AS (
    SELECT d.decision_id, d.kind, f.finding_id, d.decided_at AS s, coalesce(least(d.expires_at, r.at), {FOREVER}) AS e
    FROM decisions d JOIN findings f ON f.finding_id = d.finding_id LEFT JOIN dc_rev r ON r.revokes = d.decision_id
    WHERE d.kind <> 'revoke'
    UNION ALL
    SELECT d.decision_id, d.kind, f.finding_id, d.decided_at, coalesce(least(d.expires_at, r.at), {FOREVER})
    FROM decisions d
    JOIN findings f ON {SCOPE_MATCH}
    LEFT JOIN dc_rev r ON r.revokes = d.decision_id
    WHERE d.kind <> 'revoke'
),
dc_o AS (
    SELECT *, max(e) OVER (PARTITION BY finding_id ORDER BY s, decision_id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM dc_on WHERE e > s
),
dc_n AS (
    SELECT *, sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
              OVER (PARTITION BY finding_id ORDER BY s, decision_id ROWS UNBOUNDED PRECEDING) AS island
    FROM dc_o
),
dc_k AS (
    SELECT finding_id, island, s, e,
           first_value(kind) OVER (PARTITION BY finding_id, island ORDER BY s, decision_id) AS kind
    FROM dc_n
),
dc_i AS (SELECT finding_id, min(kind) AS kind, min(s) AS s, max(e) AS e FROM dc_k GROUP BY finding_id, island),
dc_cut AS (
    SELECT e.finding_id, e.seq, i.kind, i.s, i.e,
           lag(i.e) OVER (PARTITION BY e.finding_id, e.seq ORDER BY i.s) AS prev_e,
           min(i.s) OVER (PARTITION BY e.finding_id, e.seq) AS first_s,
           first_value(i.e) OVER (PARTITION BY e.finding_id, e.seq ORDER BY i.s) AS first_e,
           row_number() OVER (PARTITION BY e.finding_id, e.seq ORDER BY i.s DESC) AS from_last
    FROM episodes e JOIN dc_i i ON i.finding_id = e.finding_id
     AND i.s < coalesce(e.closed_at, {FOREVER}) AND i.e > e.opened_at
     AND NOT (i.kind = 'accepted' AND e.status = 'fixed' AND i.e > e.closed_at)
),
dc_parts AS (
    SELECT e.finding_id, e.stream_id, e.seq, e.opened_at, e.closed_at, e.status, e.first_seen_at,
           e.opened_scan_id, e.closed_scan_id, e.opened_at AS episode_opened_at, FALSE AS resumed
    FROM episodes e
    WHERE NOT EXISTS (SELECT 1 FROM dc_cut c WHERE c.finding_id = e.finding_id AND c.seq = e.seq)
    UNION ALL
    SELECT e.finding_id, e.stream_id, e.seq, greatest(e.opened_at, coalesce(c.prev_e, e.opened_at)), c.s, c.kind,
           e.first_seen_at, e.opened_scan_id, NULL, e.opened_at,
           {_resumed("greatest(e.opened_at, coalesce(c.prev_e, e.opened_at))")}
    FROM dc_cut c JOIN episodes e ON e.finding_id = c.finding_id AND e.seq = c.seq
    WHERE c.s > greatest(e.opened_at, coalesce(c.prev_e, e.opened_at))
    UNION ALL
    SELECT e.finding_id, e.stream_id, e.seq, c.e, e.closed_at, e.status, e.first_seen_at,
           e.opened_scan_id, e.closed_scan_id, e.opened_at, {_resumed("c.e")}
    FROM dc_cut c JOIN episodes e ON e.finding_id = c.finding_id AND e.seq = c.seq
    WHERE c.from_last = 1 AND c.e < coalesce(e.closed_at, {FOREVER})
)"""

# What is in force on each finding at $at: the decision's kind, and when the latest one ended
# (the SLA clock's restart with ``on_expiry = "restart"``). For the findings table and page.
DECIDED_NOW_CTE = """
dc_now AS (
    SELECT finding_id, min(kind) FILTER (WHERE s <= $at AND e > $at) AS decision,
           max(e) FILTER (WHERE e <= $at) AS decision_ended_at
    FROM dc_i GROUP BY finding_id
)"""


# --------------------------------------------------------------------------------- the episodes
# Episodes — or, with risk decisions, the parts of them outside decided time — with the attributes
# of their finding, restricted by the finding filters, with their time to remediate (``days``, from
# the episode's opening: decided time included), SLA due date (``due_at``; with ``on_expiry =
# "restart"`` the clock of a part that starts when a decision ended starts there) and the SLA that
# set it (``sla_days``, ``sla_source``: ``analytics.teams``).
EPISODES_CTE = """{sla_rules},
ep AS (
    SELECT e.finding_id, e.stream_id, e.seq, e.opened_at, e.closed_at, e.status, e.first_seen_at,
           e.opened_scan_id, e.closed_scan_id, {resumed} AS resumed,
           f.project, f.branch, f.tool, f.category, f.severity, f.cwe, f.rule_id, f.path, f.start_line, f.message,
           {days} AS days,
           {clock} + to_days(sla.sla_days) AS due_at, sla.sla_days, sla.sla_source
    FROM {source} e
    JOIN {findings} f USING (finding_id)
    {sla_join}
    WHERE {where}
)
"""


def findings_with_sla(settings: Settings) -> str:
    """``findings``, or with per-team or per-project SLA tables the findings with the rank of the SLA
    row that applies to each (``sla_rank``; ``analytics.teams.sla_join`` joins it)."""
    if not has_sla_overrides(settings):
        return "findings"
    return f"(SELECT fs.*, {sla_pick('fs', settings)} AS sla_rank FROM findings fs)"


def episodes_cte(filters: Filters, settings: Settings) -> tuple[str, dict[str, Any]]:
    """``(the ep CTE, its parameters)`` for the finding filters (the window is each metric's).
    Unless ``filters.show_decided``, the CTE is preceded by the risk-decision CTEs (``dc_…``)."""
    where, params = filters.finding_where("f")
    params = params | team_params(settings) | sla_params(settings)
    common = {
        "sla_rules": SLA_RULES_CTE.strip(),
        "where": where,
        "findings": findings_with_sla(settings),
        "sla_join": sla_join("f", settings),
    }
    if filters.show_decided:
        cte = EPISODES_CTE.format(
            **common, source="episodes", resumed="FALSE", clock="e.first_seen_at",
            days=days("e.opened_at", "e.closed_at"),
        )  # fmt: skip
        return cte, params
    restart = "CASE WHEN e.opened_at > e.episode_opened_at THEN e.opened_at ELSE e.first_seen_at END"
    clock = restart if settings.on_expiry == "restart" else ""
    cte = EPISODES_CTE.format(
        **common, source="dc_parts", resumed="e.resumed", clock=clock or "e.first_seen_at",
        days=days("e.episode_opened_at", "e.closed_at"),
    )  # fmt: skip
    return f"{DECIDED_CTES},\n{cte}", params


_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def bound(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The named parameters the statement uses (DuckDB refuses extra ones)."""
    used = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in used}


def run(store: Store, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """The one way analytics runs a statement: named parameters only, those it uses bound."""
    with store.read() as conn:
        return query_df(conn, sql, bound(sql, params))


# ------------------------------------------------------------------------------------- windows
def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def check_time(t: datetime, what: str) -> None:
    """A QueryError for times nobody means (before 1970, from 2100 on)."""
    if not EARLIEST <= t <= LATEST:
        raise QueryError(f"{what} {t:%Y-%m-%d} is outside {TIME_RANGE}")


def check_window(filters: Filters) -> None:
    """A QueryError for a window nobody can mean: reversed, or outside 1970–2100."""
    if filters.since is not None:
        check_time(filters.since, "the window's start")
    if filters.until is not None:
        check_time(filters.until, "the window's end")
    if filters.since is not None and filters.until is not None and filters.since > filters.until:
        raise QueryError(
            f"the window is reversed: from {filters.since:%Y-%m-%d %H:%M} is after to {filters.until:%Y-%m-%d %H:%M}"
        )


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime


def window(store: Store, filters: Filters, settings: Settings) -> Window:
    """The filters' window with its defaults: the selection's first episode opening .. now. The
    first opening is remembered for the duration of a ``store.session()`` (a page render asks many
    times). An empty selection gives an empty window at its end."""
    check_window(filters)
    until = filters.window_end()
    if filters.since is not None:
        return Window(filters.since, until)
    memo = store.session_memo()
    teams = (settings.team_rules, tuple(settings.team_owners.items()))  # a team filter's rules
    key = ("first_opened", replace(filters, since=None, until=None), teams)
    if memo is not None and key in memo:
        first = memo[key]
    else:
        cte, params = episodes_cte(filters, settings)
        first = run(store, f"WITH {cte} SELECT min(opened_at) AS t FROM ep", params)["t"].iloc[0]
        if memo is not None:
            memo[key] = first
    since = until if pd.isna(first) else pd.Timestamp(first).to_pydatetime()
    return Window(min(since, until), until)


# ------------------------------------------------------------------------------------ calendars
# The spans of a window: one row per period, ``period_start`` its calendar start (for labels and
# charts), ``span_start``/``span_end`` the part of it inside the window (what every count uses).
CALENDAR_CTE = """
cal AS (SELECT unnest($cal_start::TIMESTAMP[]) AS period_start, unnest($cal_from::TIMESTAMP[]) AS span_start,
               unnest($cal_end::TIMESTAMP[]) AS span_end, unnest($cal_label::VARCHAR[]) AS period)
"""


def calendar(w: Window, period: str | None, settings: Settings) -> dict[str, Any]:
    """The calendar parameters: the window's periods cut by the window, or the window as one span
    when there is no period. An empty window has no periods."""
    if not period:
        return {"cal_start": [w.since], "cal_from": [w.since], "cal_end": [w.until], "cal_label": ["window"]}
    cal = periods(w.since, w.until, period, settings) if w.since < w.until else []
    return {
        "cal_start": [c[0] for c in cal],
        "cal_from": [max(c[0], w.since) for c in cal],
        "cal_end": [min(c[1], w.until) for c in cal],
        "cal_label": [c[2] for c in cal],
    }


# ------------------------------------------------------------------------- periods, severities
def period_start_sql(period: str, column: str, settings: Settings) -> tuple[str, dict[str, object]]:
    """SQL for the start (a TIMESTAMP) of the period holding ``column``, and its named parameters
    (the SQL twin of ``core.periods.align``; sprints use ``$sprint_start`` and ``$sprint_days``)."""
    if period in ("day", "week", "month", "quarter"):
        return f"date_trunc('{period}', {column})", {}
    if period == "sprint":
        start = datetime.combine(settings.sprint_start, datetime.min.time())
        return (
            f"($sprint_start::TIMESTAMP + to_days(CAST(floor(date_diff('day', $sprint_start::TIMESTAMP, {column})"
            " / $sprint_days::DOUBLE) AS INTEGER) * $sprint_days::INTEGER))",
            {"sprint_start": start, "sprint_days": settings.sprint_days},
        )
    raise QueryError(f"unknown period {period!r}; choose from {', '.join(PERIODS)}")


def rank_sql(column: str) -> str:
    """SQL for ``rank`` of a severity column (portable: a CASE, no engine-specific list function)."""
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(ORDER))
    return f"(CASE {column} {whens} ELSE {len(ORDER)} END)"


# -------------------------------------------------------------------------- grouping and spans
PERIOD_KEYS = ["period_start", "period"]


def group_select(by: Sequence[str]) -> tuple[list[str], str]:
    """(names, select list with trailing comma) for grouping on the ep CTE by user columns."""
    exprs = group_exprs(by, "ep")
    return [n for n, _ in exprs], "".join(f"{sql} AS {name}, " for name, sql in exprs)


def span_params(store: Store, filters: Filters, period: str | None, settings: Settings) -> dict[str, Any]:
    """The ep CTE's parameters, the window and its calendar (one span without a period)."""
    w = window(store, filters, settings)
    _, params = episodes_cte(filters, settings)
    return params | calendar(w, period, settings) | {"since": w.since, "until": w.until}
