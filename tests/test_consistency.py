"""Every view of a number comes from one definition (docs/definitions.md): for random windows, periods and
filters, the CLI summary, the Overview headline, the sprint report and the CSV exports agree with
each other and with a plain-Python recomputation from the ``episodes`` table.

Stores: a small demo (seed 3, scale 0.2: weekly scans of 4 projects over a year, reopenings,
suppressions, first-scan backlogs) and the small real history in ``samples/`` (ruff + bandit over
eight commits of a toy shop). The recomputation below is written from docs/definitions.md §6,
not from the SQL: a window is [since, until); fixed in it = closed as fixed inside it; open at t =
opened before t and not closed before t; overdue at t = open at t and due before t.
"""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import overview, remediation, sprints, summary, tables
from analytics.filters import Filters
from core.settings import Settings
from ingest import decisions
from ingest.cli import main as ingest_main
from store.db import Store, query_rows
from tests import decided_model
from tests.test_demo import run_demo

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(sprint_start=date(2026, 1, 5), sprint_days=14)


@dataclass(frozen=True)
class Ep:
    finding_id: str
    seq: int
    project: str
    tool: str
    severity: str
    opened_at: datetime
    closed_at: datetime | None
    status: str
    first_seen_at: datetime
    first_scan_at: datetime  # the first scan of its stream
    resumed: bool = False  # the part after a risk decision ended (tests/decided_model.py)
    episode_opened_at: datetime | None = None  # the whole episode's opening, when this is a part

    @property
    def days(self) -> float:
        """From the episode's opening (decided time included)."""
        assert self.closed_at is not None
        return (self.closed_at - (self.episode_opened_at or self.opened_at)).total_seconds() / 86400

    @property
    def reopened(self) -> bool:
        return self.seq > 1 and not self.resumed

    def due(self, sla: dict[str, int]) -> datetime | None:
        d = sla.get(self.severity)
        return self.first_seen_at + timedelta(days=d) if d else None


@dataclass(frozen=True)
class History:
    store: Store
    episodes: list[Ep]
    never_opened: list[tuple[str, str, str, datetime]]  # (project, tool, severity, first_seen_at)
    start: datetime
    end: datetime
    projects: tuple[str, ...]
    tools: tuple[str, ...]


def _load(db: Path) -> History:
    store = Store(db)
    with store.read() as conn:
        rows = query_rows(
            conn,
            """SELECT e.finding_id, e.seq, f.project, f.tool, f.severity, e.opened_at, e.closed_at, e.status,
                      e.first_seen_at, fs.at
               FROM episodes e JOIN findings f USING (finding_id)
               JOIN (SELECT stream_id, min(scanned_at) AS at FROM scans GROUP BY ALL) fs
                 ON fs.stream_id = e.stream_id""",
        )
        never = query_rows(conn, "SELECT project, tool, severity, first_seen_at FROM findings WHERE episodes = 0")
        start, end = query_rows(conn, "SELECT min(scanned_at), max(scanned_at) FROM scans")[0]
    eps = _decided([Ep(*r) for r in rows], store)
    return History(
        store,
        eps,
        [tuple(r) for r in never],  # type: ignore[misc]
        start,
        end,
        tuple(sorted({e.project for e in eps})),
        tuple(sorted({e.tool for e in eps})),
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("consistency-demo")
    code, _, err = run_demo("--seed", "3", "--scale", "0.2", "--out", str(root / "f"), "--db", str(root / "d.duckdb"))
    assert code == 0, err
    return _load(root / "d.duckdb")


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> History:
    db = tmp_path_factory.mktemp("consistency-samples") / "s.duckdb"
    assert ingest_main(["manifest", str(ROOT / "samples" / "manifest.csv"), "--db", str(db)]) == 0
    return _load(db)


def _decided(eps: list[Ep], store: Store) -> list[Ep]:
    """The episodes cut by the store's risk decisions (tests/decided_model.py)."""
    with store.read() as conn:
        rows = query_rows(conn, f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions")
        found = query_rows(conn, "SELECT finding_id, project, tool, rule_id, path FROM findings")
    if not rows:
        return eps
    decisions = [decided_model.Decision(*r) for r in rows]
    findings = {r[0]: dict(zip(("finding_id", "project", "tool", "rule_id", "path"), r, strict=True)) for r in found}
    spans = {fid: decided_model.stretches(decisions, f) for fid, f in findings.items()}
    return [p for e in eps for p in decided_model.cut(replace(e, episode_opened_at=e.opened_at), spans[e.finding_id])]


DECISION_COLUMNS = [
    "decision_id", "kind", "finding_id", "project", "tool", "rule_id", "path_glob", "decided_at", "expires_at",
    "revokes",
]  # fmt: skip


# ----------------------------------------------------------------------- the plain recomputation
def _select(h: History, f: Filters) -> list[Ep]:
    return [
        e
        for e in h.episodes
        if (not f.projects or e.project in f.projects)
        and (not f.tools or e.tool in f.tools)
        and (not f.severities or e.severity in f.severities)
    ]


def fixed_in(eps: Iterable[Ep], a: datetime, b: datetime) -> list[Ep]:
    return [e for e in eps if e.status == "fixed" and e.closed_at is not None and a <= e.closed_at < b]


def opened_in(eps: Iterable[Ep], a: datetime, b: datetime) -> list[Ep]:
    return [e for e in eps if a <= e.opened_at < b]


def open_at(eps: Iterable[Ep], t: datetime) -> list[Ep]:
    return [e for e in eps if e.opened_at < t and (e.closed_at is None or e.closed_at >= t)]


def overdue_at(eps: Iterable[Ep], t: datetime, sla: dict[str, int]) -> list[Ep]:
    return [e for e in open_at(eps, t) if (d := e.due(sla)) is not None and d < t]


def _mean(xs: list[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def close(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and pd.isna(a)):
        return b is None or (isinstance(b, float) and pd.isna(b))
    return b is not None and abs(float(a) - float(b)) < 1e-6


SLA = {s.value: d for s, d in SETTINGS.sla_days.items() if d}


# --------------------------------------------------------------------------------- the windows
def windows(h_start: datetime, h_end: datetime) -> st.SearchStrategy[tuple[datetime, datetime]]:
    """Windows a person types: inside the history, overlapping its edges, or wholly outside it."""
    lo, hi = h_start - timedelta(days=60), h_end + timedelta(days=60)
    span = int((hi - lo).total_seconds() // 3600)
    hours = st.integers(0, span)
    return st.tuples(hours, hours).map(lambda p: (lo + timedelta(hours=min(p)), lo + timedelta(hours=max(p))))


def filters_for(h: History) -> st.SearchStrategy[Filters]:
    def make(w: tuple[datetime, datetime], projects: list[str], tools: list[str], severities: list[str]) -> Filters:
        return Filters(
            projects=tuple(projects), tools=tuple(tools), severities=tuple(severities), since=w[0], until=w[1]
        )

    return st.builds(
        make,
        windows(h.start, h.end),
        st.lists(st.sampled_from(h.projects), max_size=2, unique=True),
        st.lists(st.sampled_from(h.tools), max_size=2, unique=True),
        st.lists(st.sampled_from(["critical", "high", "medium", "low"]), max_size=2, unique=True),
    )


# ------------------------------------------------------------------------------------- the checks
def check_window_numbers(h: History, f: Filters) -> None:
    """summary, mttr, sla, flow (no period) and the plain recomputation over the window."""
    assert f.since is not None and f.until is not None
    eps = _select(h, f)
    fixed = fixed_in(eps, f.since, f.until)
    days = [e.days for e in fixed]
    open_end = open_at(eps, f.until)
    overdue = overdue_at(eps, f.until, SLA)
    with_sla = [e for e in fixed if e.due(SLA) is not None]
    within = [e for e in with_sla if e.closed_at <= e.due(SLA)]  # type: ignore[operator]
    reopened = [e for e in opened_in(eps, f.since, f.until) if e.reopened]
    decided = {k: [e for e in eps if e.status == k and e.closed_at and f.since <= e.closed_at < f.until]
               for k in ("accepted", "false_positive", "wont_fix")}  # fmt: skip
    suppressed = [e for e in eps if e.status == "suppressed" and e.closed_at and f.since <= e.closed_at < f.until]
    never = [
        n
        for n in h.never_opened
        if (not f.projects or n[0] in f.projects)
        and (not f.tools or n[1] in f.tools)
        and (not f.severities or n[2] in f.severities)
        and f.since <= n[3] < f.until
    ]

    s = summary.summary(h.store, f, SETTINGS)
    assert (s.episodes.fixed, s.episodes.open, s.episodes.reopened) == (len(fixed), len(open_end), len(reopened))
    assert s.episodes.suppressed == len(suppressed) + len(never)
    assert (s.episodes.accepted, s.episodes.false_positive, s.episodes.wont_fix) == tuple(
        len(x) for x in decided.values()
    )
    assert close(s.mttr_mean_days, _mean(days) and round(_mean(days) or 0, 6))
    assert close(s.mttr_median_days, _median(days) and round(_median(days) or 0, 6))

    m = remediation.mttr(h.store, f, (), None, SETTINGS).iloc[0]
    assert (int(m["closed"]), int(m["open"])) == (len(fixed), len(open_end))
    assert close(m["mean_days"], _mean(days)) and close(m["median_days"], _median(days))

    sla = remediation.sla(h.store, f, (), None, SETTINGS).iloc[0]
    assert int(sla["closed_with_sla"]) == len(with_sla)
    assert int(sla["closed_within_sla"]) == len(within)
    assert int(sla["overdue_open"]) == len(overdue)

    fl = remediation.flow(h.store, f, (), None, SETTINGS).iloc[0]
    assert int(fl["inflow"]) == len(opened_in(eps, f.since, f.until))
    assert int(fl["fixed"]) == len(fixed) and int(fl["reopened"]) == len(reopened)
    assert int(fl["outflow"]) == int(fl["fixed"]) + int(fl["suppressed"]) + sum(len(x) for x in decided.values())
    assert [int(m[k]) for k in decided] == [int(fl[k]) for k in decided] == [len(x) for x in decided.values()]

    backlog = remediation.backlog(h.store, f, (), None, SETTINGS)
    assert int(backlog["open"].sum()) == len(open_end)


def check_periods(h: History, f: Filters, period: str) -> None:
    """Per period (cut by the window): flow, mttr, sla and backlog against the recomputation, and
    their sums against the window's numbers."""
    assert f.since is not None and f.until is not None
    eps = _select(h, f)
    flow = remediation.flow(h.store, f, (), period, SETTINGS)
    mttr = remediation.mttr(h.store, f, (), period, SETTINGS)
    backlog = remediation.backlog(h.store, f, (), period, SETTINGS)
    assert flow["period"].tolist() == mttr["period"].tolist() == backlog["period"].tolist()
    starts = [max(pd.Timestamp(t).to_pydatetime(), f.since) for t in flow["period_start"]]
    ends = [*starts[1:], f.until] if starts else []
    for row, m, b, a, z in zip(flow.itertuples(), mttr.itertuples(), backlog.itertuples(), starts, ends, strict=True):
        assert row.inflow == len(opened_in(eps, a, z))
        assert row.fixed == m.closed == len(fixed_in(eps, a, z))
        assert m.open == b.open == len(open_at(eps, z))
    assert int(flow["fixed"].sum()) == len(fixed_in(eps, f.since, f.until))
    assert int(flow["inflow"].sum()) == len(opened_in(eps, f.since, f.until))
    assert not flow["period"].astype(str).str.contains("sprint -").any()


def check_sprint_report(h: History, f: Filters) -> None:
    assert f.since is not None and f.until is not None
    eps = _select(h, f)
    report = sprints.sprint_report(h.store, f, SETTINGS)
    for r in report.itertuples():
        a, z = r.start.to_pydatetime(), r.end.to_pydatetime()
        new = opened_in(eps, a, z)
        assert r.fixed == len(fixed_in(eps, a, z))
        assert r.new + r.reopened == len([e for e in new if not e.resumed])
        assert r.reopened == len([e for e in new if e.reopened])
        assert r.first_scan == len([e for e in new if e.seq == 1 and e.opened_at == e.first_scan_at])
        assert r.still_open == len(open_at(eps, z))
        assert r.overdue_open == len(overdue_at(eps, z, SLA))
        days = [e.days for e in fixed_in(eps, a, z)]
        assert close(r.fixed_mean_days, _mean(days))
    assert int(report["fixed"].sum()) == len(fixed_in(eps, f.since, f.until))


def check_headline(h: History, f: Filters, period: str) -> None:
    """The headline's two spans against the exports for exactly those spans, and the recomputation."""
    head = overview.headline(h.store, f, period, SETTINGS)
    eps = _select(h, f)
    for span, pick in ((head.current, 0), (head.previous, 1)):

        def side(d: overview.Delta, pick: int = pick) -> Any:
            return d.current if pick == 0 else d.previous

        fixed = fixed_in(eps, span.start, span.end)
        assert side(head.fixed) == len(fixed)
        assert close(side(head.mttr_mean_days), _mean([e.days for e in fixed]))
        assert side(head.open_total) == len(open_at(eps, span.end))
        assert side(head.overdue_open) == len(overdue_at(eps, span.end, SLA))
        opened = opened_in(eps, span.start, span.end)
        first = [e for e in opened if e.seq == 1 and e.opened_at == e.first_scan_at]
        assert side(head.new) == len([e for e in opened if e.seq == 1 and not e.resumed]) - len(first)
        if span.start < span.end:
            same = replace(f, since=span.start, until=span.end)
            m = remediation.mttr(h.store, same, (), None, SETTINGS).iloc[0]
            assert int(m["closed"]) == side(head.fixed)
            assert close(m["mean_days"], side(head.mttr_mean_days))
            sla = remediation.sla(h.store, same, (), None, SETTINGS).iloc[0]
            assert int(sla["closed_with_sla"]) == side(head.sla_fixed_with_sla)
            assert close(sla["compliance"], side(head.sla_compliance))


PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def decided(demo: History, tmp_path_factory: pytest.TempPathFactory) -> History:
    """The demo with risk decisions: every 6th finding (by id) gets one, in turn accepted for 30
    days, a false positive, won't fix for 60 days, accepted with the default expiry; made 3 to 42
    days after its first detection (3 hours past it); every 5th of them revoked 10 days on; and one
    scope decision (won't fix, no expiry) on a rule's findings under a path pattern."""
    db = tmp_path_factory.mktemp("consistency-decided") / "d.duckdb"
    assert demo.store.path is not None
    shutil.copyfile(demo.store.path, db)
    store = Store(db)
    found = tables.findings(store, Filters()).sort_values("finding_id")
    kinds = [("accepted", 30), ("false_positive", None), ("wont_fix", 60), ("accepted", None)]
    for i, r in enumerate(found.iloc[::6].itertuples()):
        kind, days = kinds[i % 4]
        at = pd.Timestamp(r.first_seen_at).to_pydatetime() + timedelta(days=3 + i % 40, hours=3)
        expires = at + timedelta(days=days) if days else None
        d = decisions.decide(store, kind, decisions.Scope(str(r.finding_id)), "test", "t", at=at, expires_at=expires)
        if i % 5 == 0:
            decisions.revoke(store, d.decision_id, "test", "t", at=at + timedelta(days=10))
    top = found.groupby(["project", "tool", "rule_id"]).size().idxmax()
    scope = decisions.Scope(project=top[0], tool=top[1], rule_id=top[2], path_glob="*")
    decisions.decide(store, "wont_fix", scope, "legacy", "t", at=demo.start + timedelta(days=100, hours=5))
    return _load(db)


@pytest.mark.parametrize("history", ["demo", "samples", "decided"])
def test_views_agree_on_random_windows_and_filters(history: str, request: pytest.FixtureRequest) -> None:
    h: History = request.getfixturevalue(history)

    @PROPERTY
    @given(f=filters_for(h), period=st.sampled_from(["day", "week", "month", "sprint"]))
    def run(f: Filters, period: str) -> None:
        check_window_numbers(h, f)
        long = f.until - f.since > timedelta(days=60)  # type: ignore[operator]
        check_periods(h, f, "week" if period == "day" and long else period)
        check_sprint_report(h, f)
        check_headline(h, f, period)

    run()


def test_the_decided_history_has_every_kind_of_part(decided: History) -> None:
    """Guards the decided run: parts of each decision kind, resumed parts (some of them fixed
    later), and fewer open parts than without decisions."""
    statuses = {e.status for e in decided.episodes}
    assert {"accepted", "false_positive", "wont_fix"} <= statuses
    assert any(e.resumed for e in decided.episodes)
    assert any(e.resumed and e.status == "fixed" for e in decided.episodes)


def test_the_demo_history_is_what_the_property_assumes(demo: History) -> None:
    """Guards the property test from passing on an empty store: the demo has fixes, reopenings,
    suppressions and first-scan backlogs over most of a year."""
    statuses = {e.status for e in demo.episodes}
    assert statuses == {"open", "fixed", "suppressed"}
    assert any(e.seq > 1 for e in demo.episodes)
    assert any(e.opened_at == e.first_scan_at for e in demo.episodes)
    assert demo.end - demo.start > timedelta(days=300)
