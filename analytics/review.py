"""The sprint review (docs/review.md): what needs action this sprint, and how far the scans can be
trusted — pure functions of the store, the filters and the settings.

Every number comes from the definitions the rest uses: the sprint calendar and the per-sprint
counts are ``sprints.sprint_report``'s rows (its ``new``, ``fixed`` and ``overdue_open``), the
past-SLA list is ``remediation.overdue`` at the sprint's end (the same rule as the ``overdue``
export, in its order: severity, then the most overdue), identity churn is
``quality.identity_churn``. The lists behind the counts select their episodes with the predicates
of ``analytics.definitions``, so that a list is as long as its count.

The action list has four sections, each a count with its change from the previous sprint:

* **new critical/high**: critical and high findings that appeared in the sprint for the first
  time (the sprint report's ``new`` of those severities);
* **critical/high past SLA**: open at the sprint's end past their SLA due date;
* **acceptances expiring before the next review**: open findings under a risk acceptance in force
  at the sprint's end that expires by the next sprint's end (``expiring_acceptances``; while the
  store holds no decision at all, the section says so instead of showing a zero);
* **fixed**: episodes of every selected severity fixed in the sprint.

The coverage panel warns where the numbers rest on thin data: projects, or tools of a project, not
scanned for ``[review] stale_days`` days before the sprint's end; streams with scans in the sprint
whose scan time or project was guessed (docs/definitions.md §2 fallbacks); and identity churn in
the sprint (a data-quality warning beside the numbers, never remediation).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from analytics import quality, remediation, sprints
from analytics.definitions import SCOPE_MATCH, episodes_cte, fixed_in, opened_in, rank_sql, run
from analytics.filters import Filters
from analytics.teams import team_params
from core.errors import QueryError
from core.settings import Settings
from core.severity import Severity
from store.db import Store

URGENT = (Severity.CRITICAL.value, Severity.HIGH.value)

# Episodes that opened the finding's life in [start, end) (the sprint report's ``new``).
NEW_SQL = f"""
WITH {{cte}}
SELECT ep.finding_id, ep.severity, ep.project, ep.branch, ep.tool, ep.rule_id, ep.cwe, ep.path, ep.start_line,
       ep.message, ep.opened_at, ep.due_at
FROM ep
WHERE ep.seq = 1 AND {opened_in("ep", "$start", "$end")}
ORDER BY {rank_sql("ep.severity")}, ep.opened_at, ep.finding_id
"""

# Episodes fixed in [start, end) (the sprint report's ``fixed``).
FIXED_SQL = f"""
WITH {{cte}}
SELECT ep.finding_id, ep.severity, ep.project, ep.branch, ep.tool, ep.rule_id, ep.cwe, ep.path, ep.start_line,
       ep.message, ep.opened_at, ep.closed_at, ep.days, ep.closed_at <= ep.due_at AS within_sla
FROM ep
WHERE {fixed_in("ep", "$start", "$end")}
ORDER BY {rank_sql("ep.severity")}, ep.closed_at, ep.finding_id
"""

# The latest scan before $at of each project and tool (project, branch and tool filters).
LAST_SCANS_SQL = """
SELECT s.project, s.tool, max(s.scanned_at) AS last_scanned_at
FROM scans s
WHERE {where} AND s.scanned_at < $at
GROUP BY s.project, s.tool
ORDER BY s.project, s.tool
"""

# Streams with scans in [start, end) whose scan time was the file's modification time or whose
# project was the folder's name (the warnings ingest stored with the file; per file, not per run).
GUESSED_SQL = """
SELECT * FROM (
    SELECT s.project, s.branch, s.tool, s.category, count(*) AS scans,
           count(*) FILTER (WHERE s.scanned_at_source = 'file-mtime') AS guessed_time,
           count(*) FILTER (WHERE array_to_string(fl.warnings, ' ') LIKE '%using the folder name%') AS guessed_project,
           max(s.scanned_at) AS last_scanned_at
    FROM scans s JOIN files fl USING (file_key)
    WHERE {where} AND s.scanned_at >= $start AND s.scanned_at < $end
    GROUP BY s.project, s.branch, s.tool, s.category
) g
WHERE guessed_time > 0 OR guessed_project > 0
ORDER BY project, branch, tool, category
"""

EXPIRING_COLUMNS = ["finding_id", "severity", "project", "tool", "rule_id", "path", "decision", "expires_at", "by"]

# Open findings under a risk acceptance in force at $at (decided, neither expired nor revoked by
# then) that expires by $next: the finding's own acceptance or its rule's in a matching path
# (``SCOPE_MATCH``); the earliest expiry when several cover it. Soonest first, then most severe.
EXPIRING_SQL = f"""
WITH rev AS (SELECT revokes, min(decided_at) AS at FROM decisions WHERE kind = 'revoke' GROUP BY revokes),
acc AS (
    SELECT f.finding_id, d.expires_at, d.decided_by
    FROM decisions d JOIN findings f ON (f.finding_id = d.finding_id OR {SCOPE_MATCH})
    LEFT JOIN rev r ON r.revokes = d.decision_id
    WHERE d.kind = 'accepted' AND d.decided_at <= $at AND d.expires_at > $at AND d.expires_at <= $next
      AND (r.at IS NULL OR r.at > $at)
),
soonest AS (
    SELECT finding_id, expires_at, decided_by FROM acc
    QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY expires_at, decided_by) = 1
)
SELECT f.finding_id, f.severity, f.project, f.tool, f.rule_id, f.path, 'accepted' AS decision,
       a.expires_at, a.decided_by AS by
FROM soonest a JOIN findings f USING (finding_id)
WHERE {{where}} AND f.status = 'open'
ORDER BY a.expires_at, {rank_sql("f.severity")}, f.finding_id
"""
ANY_DECISION_SQL = "SELECT count(*) AS n FROM decisions"


@dataclass(frozen=True)
class Sprint:
    """One sprint of the calendar, cut by the window: [start, end)."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Change:
    """A count this sprint and in the previous one (None: no previous sprint in the window)."""

    now: int
    before: int | None

    @property
    def delta(self) -> int | None:
        return None if self.before is None else self.now - self.before


@dataclass(frozen=True, eq=False)
class Section:
    """One item of the action list: its count with the change, and the rows behind the count."""

    key: str
    title: str
    count: Change
    rows: pd.DataFrame
    empty_text: str  # what to say when there is nothing
    recorded: bool = True  # False: the store holds nothing this section could be built from


@dataclass(frozen=True, eq=False)
class ActionList:
    new: Section
    past_sla: Section
    expiring: Section
    fixed: Section

    def sections(self) -> tuple[Section, ...]:
        return (self.new, self.past_sla, self.expiring, self.fixed)


@dataclass(frozen=True, eq=False)
class Coverage:
    """Warnings about the data: stale projects and tools at ``at``, guessed metadata and identity
    churn in the sprint."""

    at: datetime
    stale_days: int
    stale: pd.DataFrame  # kind (project | tool), project, tool, last_scanned_at, days_since
    guessed: pd.DataFrame  # project, branch, tool, category, scans, guessed_time, guessed_project, last_scanned_at
    churn: pd.DataFrame  # quality.identity_churn's columns


@dataclass(frozen=True, eq=False)
class Review:
    sprint: Sprint
    previous: Sprint | None
    headline: dict[str, Any]  # the sprint report's row of the sprint
    history: pd.DataFrame  # the sprint report up to and including the sprint
    actions: ActionList
    coverage: Coverage
    filters: Filters
    settings: Settings = field(repr=False)


def urgent_filters(filters: Filters) -> Filters | None:
    """The filters narrowed to critical and high; None when the filters leave neither."""
    chosen = tuple(s for s in URGENT if not filters.severities or s in filters.severities)
    return replace(filters, severities=chosen) if chosen else None


def pick_sprint(report: pd.DataFrame, label: str | None) -> int:
    """The row of the sprint called ``label`` (default: the latest of the window)."""
    if report.empty:
        raise QueryError("no sprint in this window")
    if label is None:
        return len(report) - 1
    hits = report.index[report["sprint"] == label].tolist()
    if not hits:
        first, last = report["sprint"].iloc[0], report["sprint"].iloc[-1]
        raise QueryError(f"{label} is not in the window (it holds {first} .. {last})")
    return int(hits[0])


def _sprint(row: pd.Series) -> Sprint:
    return Sprint(
        str(row["sprint"]), pd.Timestamp(row["start"]).to_pydatetime(), pd.Timestamp(row["end"]).to_pydatetime()
    )


def _episodes(store: Store, sql: str, filters: Filters, settings: Settings, sprint: Sprint) -> pd.DataFrame:
    cte, params = episodes_cte(filters, settings)
    return run(store, sql.format(cte=cte), params | {"start": sprint.start, "end": sprint.end})


def _count(report: pd.DataFrame, label: str, column: str) -> Change:
    """``column`` of the sprint ``label`` of ``report`` and of the row before it."""
    i = pick_sprint(report, label)
    return Change(int(report[column].iloc[i]), int(report[column].iloc[i - 1]) if i > 0 else None)


def _previous(report: pd.DataFrame, sprint: Sprint) -> Sprint | None:
    """The sprint before ``sprint`` in ``report``, or None for the window's first."""
    i = pick_sprint(report, sprint.label)
    return _sprint(report.iloc[i - 1]) if i > 0 else None


def _urgent_report(store: Store, filters: Filters, settings: Settings, report: pd.DataFrame) -> pd.DataFrame:
    """The sprint report of critical and high over the same sprints as ``report`` (the window made
    explicit, so that a selection whose first critical finding came later keeps the calendar)."""
    urgent = urgent_filters(filters)
    if urgent is None:
        return report.assign(new=0, overdue_open=0)
    window = replace(urgent, since=pd.Timestamp(report["start"].iloc[0]).to_pydatetime(),
                     until=pd.Timestamp(report["end"].iloc[-1]).to_pydatetime())  # fmt: skip
    return sprints.sprint_report(store, window, settings)


def new_urgent(store: Store, filters: Filters, settings: Settings, urgent: pd.DataFrame, sprint: Sprint) -> Section:
    """Critical and high findings new in the sprint; ``urgent``: their sprint report."""
    title, chosen = "New critical/high findings", urgent_filters(filters)
    rows = _episodes(store, NEW_SQL, chosen, settings, sprint) if chosen else pd.DataFrame()
    return Section("new", title, _count(urgent, sprint.label, "new"), rows, "No new critical or high finding.")


def past_sla(store: Store, filters: Filters, settings: Settings, urgent: pd.DataFrame, sprint: Sprint) -> Section:
    """Critical and high findings open past their SLA due date at the sprint's end, most severe
    first, then the most overdue (``remediation.overdue``); ``urgent``: their sprint report."""
    title, chosen = "Critical/high past SLA", urgent_filters(filters)
    rows = remediation.overdue(store, replace(chosen, until=sprint.end), settings) if chosen else pd.DataFrame()
    count = _count(urgent, sprint.label, "overdue_open")
    return Section("past_sla", title, count, rows, "Nothing critical or high is past its SLA.")


def _expiring(store: Store, filters: Filters, settings: Settings, at: datetime) -> pd.DataFrame:
    where, params = filters.finding_where("f")
    params = params | team_params(settings) | {"at": at, "next": at + timedelta(days=settings.sprint_days)}
    return run(store, EXPIRING_SQL.format(where=where), params).reindex(columns=EXPIRING_COLUMNS)


def expiring_acceptances(
    store: Store, filters: Filters, settings: Settings, sprint: Sprint, previous: Sprint | None = None
) -> Section:
    """Open findings whose risk acceptance, in force at the sprint's end, expires before the next
    review (the end of the next sprint); the change is against the same count at the previous
    sprint's end. ``recorded=False`` while the store holds no risk decision at all."""
    next_review = sprint.end + timedelta(days=settings.sprint_days)
    title = f"Acceptances expiring before the next review ({next_review:%Y-%m-%d})"
    if not int(run(store, ANY_DECISION_SQL, {})["n"].iloc[0]):
        return Section(
            "expiring", title, Change(0, None), pd.DataFrame(columns=EXPIRING_COLUMNS), "No risk decisions recorded.",
            recorded=False,
        )  # fmt: skip
    rows = _expiring(store, filters, settings, sprint.end)
    before = len(_expiring(store, filters, settings, previous.end)) if previous else None
    return Section("expiring", title, Change(len(rows), before), rows, "No acceptance expires before the next review.")


def fixed(store: Store, filters: Filters, settings: Settings, report: pd.DataFrame, sprint: Sprint) -> Section:
    """Episodes of every selected severity fixed in the sprint (the sprint report's ``fixed``)."""
    rows = _episodes(store, FIXED_SQL, filters, settings, sprint)
    return Section("fixed", "Fixed", _count(report, sprint.label, "fixed"), rows, "Nothing was fixed in this sprint.")


def action_list(store: Store, filters: Filters, settings: Settings, report: pd.DataFrame, sprint: Sprint) -> ActionList:
    """The four sections for ``sprint``, a row of ``report`` (``sprints.sprint_report(store,
    filters, settings)``)."""
    urgent = _urgent_report(store, filters, settings, report)
    return ActionList(
        new=new_urgent(store, filters, settings, urgent, sprint),
        past_sla=past_sla(store, filters, settings, urgent, sprint),
        expiring=expiring_acceptances(store, filters, settings, sprint, _previous(report, sprint)),
        fixed=fixed(store, filters, settings, report, sprint),
    )


# ------------------------------------------------------------------------------------ coverage
def _scan_where(filters: Filters, settings: Settings) -> tuple[str, dict[str, Any]]:
    """Scans of the selected projects, branches and tools: the filters without those a scan does
    not have (severity, CWE, rule) or that each part applies itself (the window). A scan has no
    team: with a team filter, the scans of the projects where the team owns a finding."""
    scans = replace(filters, severities=(), cwes=(), rules=(), teams=(), since=None, until=None)
    where, params = scans.finding_where("s")
    if filters.teams:
        team_where, team_in = Filters(teams=filters.teams).finding_where("tf")
        where += f" AND s.project IN (SELECT tf.project FROM findings tf WHERE {team_where})"
        params = params | team_in | team_params(settings)
    return where, params


def stale(store: Store, filters: Filters, settings: Settings, at: datetime, days: int) -> pd.DataFrame:
    """Projects whose latest scan (any tool) before ``at`` is ``days`` days or more old; and, of the
    other projects, the tools whose latest scan of that project is. A project or tool never scanned
    before ``at`` is not listed (nothing expected it). Oldest first.

    Columns: kind (``project`` or ``tool``), project, tool (empty for a project), last_scanned_at,
    days_since (fractional days from the last scan to ``at``)."""
    where, params = _scan_where(filters, settings)
    last = run(store, LAST_SCANS_SQL.format(where=where), params | {"at": at})
    cols = ["kind", "project", "tool", "last_scanned_at", "days_since"]
    if last.empty:
        return pd.DataFrame(columns=cols)
    last["last_scanned_at"] = pd.to_datetime(last["last_scanned_at"])
    cutoff = pd.Timestamp(at) - pd.Timedelta(days=days)
    by_project = last.groupby("project", as_index=False)["last_scanned_at"].max()
    stale_projects = by_project[by_project["last_scanned_at"] <= cutoff].assign(kind="project", tool="")
    tools = last[~last["project"].isin(stale_projects["project"]) & (last["last_scanned_at"] <= cutoff)]
    out = pd.concat([stale_projects, tools.assign(kind="tool")], ignore_index=True)
    out["days_since"] = (pd.Timestamp(at) - out["last_scanned_at"]) / pd.Timedelta(days=1)
    return out.reindex(columns=cols).sort_values(["last_scanned_at", "project", "tool"]).reset_index(drop=True)


def guessed(store: Store, filters: Filters, settings: Settings, start: datetime, end: datetime) -> pd.DataFrame:
    """Streams with scans in [start, end) whose scan time (``guessed_time``: the file's
    modification time) or project (``guessed_project``: the folder's name) was a fallback."""
    where, params = _scan_where(filters, settings)
    return run(store, GUESSED_SQL.format(where=where), params | {"start": start, "end": end})


def coverage(store: Store, filters: Filters, settings: Settings, sprint: Sprint) -> Coverage:
    in_sprint = replace(filters, since=sprint.start, until=sprint.end)
    return Coverage(
        at=sprint.end,
        stale_days=settings.stale_days,
        stale=stale(store, filters, settings, sprint.end, settings.stale_days),
        guessed=guessed(store, filters, settings, sprint.start, sprint.end),
        churn=quality.identity_churn(store, in_sprint),
    )


# ---------------------------------------------------------------------------------- the review
def review(
    store: Store, filters: Filters, settings: Settings, sprint: str | None = None, report: pd.DataFrame | None = None
) -> Review:
    """The review of the sprint labelled ``sprint`` ("sprint 12"; default: the window's latest);
    a QueryError when the window holds no such sprint. ``report``: ``sprints.sprint_report`` of
    the same arguments, when the caller has it already."""
    report = sprints.sprint_report(store, filters, settings) if report is None else report
    i = pick_sprint(report, sprint)
    chosen = _sprint(report.iloc[i])
    return Review(
        sprint=chosen,
        previous=_sprint(report.iloc[i - 1]) if i > 0 else None,
        headline=report.iloc[i].to_dict(),
        history=report.iloc[: i + 1].reset_index(drop=True),
        actions=action_list(store, filters, settings, report, chosen),
        coverage=coverage(store, filters, settings, chosen),
        filters=filters,
        settings=settings,
    )
