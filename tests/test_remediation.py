"""Remediation metrics (docs/definitions.md §6) on small streams whose answers are worked out by hand.

Fixture "five": one stream, scans at 2026-01-01, 01-03, 01-06, 01-11, 01-21, 01-31 (00:00 UTC).
    A present on 01-01 only            → fixed 01-03, 2 days    (critical)
    B present 01-01..01-03             → fixed 01-06, 5 days    (critical)
    C present 01-01..01-06             → fixed 01-11, 10 days   (high)
    D present 01-01..01-11             → fixed 01-21, 20 days   (critical)
    E present in every scan            → open                   (critical)
Window: --since 2026-01-01 --until 2026-01-31 (the whole day, so the end is 2026-02-01 00:00).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics import remediation as rem
from analytics import sprints, survival
from analytics.filters import Filters
from core.errors import QueryError
from core.settings import Settings
from ingest.cli import main as ingest_main
from store.db import Store
from tests.conftest import new_database, result, sarif_log

pytestmark = pytest.mark.engines

SINCE, UNTIL = datetime(2026, 1, 1), datetime(2026, 2, 1)
WINDOW = Filters(since=SINCE, until=UNTIL)
SCORES = {"A": "9.5", "B": "9.5", "C": "8.0", "D": "9.5", "E": "9.5"}


def _finding(name: str, score: str = "9.5") -> dict[str, Any]:
    r = result(f"R-{name}", f"src/{name}.py", 1, properties={"security-severity": score})
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": f"code_{name}()"}
    return r


def _suppressed(name: str) -> dict[str, Any]:
    return _finding(name) | {"suppressions": [{"kind": "external", "status": "accepted"}]}


def build(
    db: Path | str, tmp: Path, scans: list[tuple[str, list[dict[str, Any]]]], project: str = "p", tool: str = "demo"
) -> Store:
    """The store ``db`` after ingesting ``scans`` (their SARIF files written in ``tmp``)."""
    for i, (when, results) in enumerate(scans):
        path = tmp / f"{project}-{tool}-{i}.sarif"
        path.write_text(json.dumps(sarif_log(results, tool=tool)))
        assert ingest_main(["sarif", str(path), "--db", str(db), "--project", project, "--scanned-at", when]) == 0
    return Store(db)


@pytest.fixture(scope="module")
def five(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Store:
    present = {
        "2026-01-01T00:00:00Z": "ABCDE",
        "2026-01-03T00:00:00Z": "BCDE",
        "2026-01-06T00:00:00Z": "CDE",
        "2026-01-11T00:00:00Z": "DE",
        "2026-01-21T00:00:00Z": "E",
        "2026-01-31T00:00:00Z": "E",
    }
    scans = [(when, [_finding(n, SCORES[n]) for n in names]) for when, names in present.items()]
    tmp = tmp_path_factory.mktemp("five")
    return build(new_database(engine, tmp, request), tmp, scans)


def test_mttr_mean_median_p90_count_and_km(five: Store) -> None:
    """Fixed durations 2, 5, 10, 20 days: mean 37/4 = 9.25; median (5+10)/2 = 7.5;
    p90 (linear interpolation) at rank 0.9·3 = 2.7 → 10 + 0.7·(20−10) = 17; closed 4; open 1 (E).
    KM over the 5 episodes opened in the window, E censored at 31 days: S(2)=4/5, S(5)=3/5,
    S(10)=2/5 ≤ 0.5 → KM median 10 days."""
    df = rem.mttr(five, WINDOW)
    assert df.to_dict("records") == [
        {"closed": 4, "mean_days": 9.25, "median_days": 7.5, "p90_days": pytest.approx(17.0),
         "km_median_days": 10.0, "open": 1, "accepted": 0, "false_positive": 0, "wont_fix": 0}
    ]  # fmt: skip


def test_mttr_grouped_by_severity(five: Store) -> None:
    """critical: A2, B5, D20 → mean 9, median 5; E open. high: C10 → mean = median = 10, nothing open.
    KM critical: 4 episodes (E censored at 31): S(2)=3/4, S(5)=2/4 ≤ .5 → 5. high: S(10)=0 → 10."""
    df = rem.mttr(five, WINDOW, by=["severity"]).set_index("severity")
    assert df.loc["critical", ["closed", "mean_days", "median_days", "km_median_days", "open"]].tolist() == [
        3, 9.0, 5.0, 5.0, 1
    ]  # fmt: skip
    assert df.loc["high", ["closed", "mean_days", "median_days", "km_median_days", "open"]].tolist() == [
        1, 10.0, 10.0, 10.0, 0
    ]  # fmt: skip


def test_mttr_counts_only_episodes_closed_inside_the_window(five: Store) -> None:
    """Window 01-04 .. 01-15: B (01-06) and C (01-11) closed inside → mean 7.5, E and D open at the end."""
    df = rem.mttr(five, Filters(since=datetime(2026, 1, 4), until=datetime(2026, 1, 15)))
    assert df[["closed", "mean_days", "open"]].to_dict("records") == [{"closed": 2, "mean_days": 7.5, "open": 2}]


def test_mttr_by_week(five: Store) -> None:
    """Weeks (Monday start): 2025-12-29 closes A (2 d); 01-05 closes B, C (5, 10 → 7.5);
    01-12 none; 01-19 closes D (20); 01-26 none. Open at each week's end: 4, 2, 2, 1, 1."""
    df = rem.mttr(five, WINDOW, period="week")
    assert df["period"].tolist() == ["2026-W01", "2026-W02", "2026-W03", "2026-W04", "2026-W05"]
    assert df["closed"].tolist() == [1, 2, 0, 1, 0]
    assert df["mean_days"].tolist()[:2] == [2.0, 7.5] and math.isnan(df["mean_days"][2])
    assert df["open"].tolist() == [4, 2, 2, 1, 1]


def test_survival_curve(five: Store) -> None:
    curve = survival.survival(five, WINDOW)
    assert curve[["days", "at_risk", "events", "censored"]].values.tolist() == [
        [2, 5, 1, 0], [5, 4, 1, 0], [10, 3, 1, 0], [20, 2, 1, 0], [31, 1, 0, 1]
    ]  # fmt: skip
    assert curve["survival"].tolist() == pytest.approx([0.8, 0.6, 0.4, 0.2, 0.2])
    assert curve["fixed_share"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 0.8])
    assert (survival.km_summary(curve).median_days, survival.km_summary(curve).episodes) == (10.0, 5)


@pytest.fixture(scope="module")
def leukemia(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Store:
    """The 6-MP arm of Freireich et al. (1963), the textbook KM example (Kleinbaum & Klein,
    "Survival Analysis", ch. 2; Klein & Moeschberger table 4.1): remission times in weeks
    6, 6, 6, 6+, 7, 9+, 10, 10+, 11+, 13, 16, 17+, 19+, 20+, 22, 23, 25+, 32+, 32+, 34+, 35+
    (+ = censored). Here days stand for weeks: 21 findings open at day 0; an event is a fix on
    that day, a censoring is a suppression on that day (suppressed episodes are censored)."""
    times = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1),
             (17, 0), (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]  # fmt: skip
    days = sorted({0, *(t for t, _ in times)})
    scans = []
    for d in days:
        results = []
        for i, (t, event) in enumerate(times):
            if d < t:
                results.append(_finding(f"P{i}"))
            elif not event:
                results.append(_suppressed(f"P{i}"))
        scans.append(((datetime(2026, 3, 1) + pd.Timedelta(days=d)).isoformat() + "Z", results))
    tmp = tmp_path_factory.mktemp("km")
    return build(new_database(engine, tmp, request), tmp, scans)


def test_kaplan_meier_matches_the_textbook(leukemia: Store) -> None:
    """Published estimates: S(6)=.857, S(7)=.807, S(10)=.753, S(13)=.690, S(16)=.627,
    S(22)=.538, S(23)=.448; median 23."""
    curve = survival.survival(leukemia, Filters(since=datetime(2026, 3, 1), until=datetime(2026, 6, 1)))
    events = curve[curve["events"] > 0].set_index("days")["survival"].round(3).to_dict()
    assert events == {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.69, 16: 0.627, 22: 0.538, 23: 0.448}
    assert survival.km_summary(curve).median_days == 23
    assert curve["at_risk"].tolist()[0] == 21 and curve["censored"].sum() == 12


def test_backlog_per_week(five: Store) -> None:
    """Open at each week's end (Mon 00:00; the last capped at 02-01): B,C,D,E=4; D,E=2; D,E=2; E=1; E=1."""
    df = rem.backlog(five, WINDOW, by=(), period="week")
    assert df["open"].tolist() == [4, 2, 2, 1, 1]
    assert df["at"].iloc[-1] == pd.Timestamp(UNTIL)
    by_sev = rem.backlog(five, WINDOW, by=("severity",), period="week")
    first = by_sev[by_sev["period"] == "2026-W01"].set_index("severity")["open"].to_dict()
    assert first == {"critical": 3, "high": 1}  # B, D, E critical; C high


def test_flow_per_week(five: Store) -> None:
    """Inflow: 5 in week 1. Outflow: A in W01; B, C in W02; D in W04. Net 4, −2, 0, −1, 0."""
    df = rem.flow(five, WINDOW, period="week")
    assert df[["inflow", "outflow", "net", "fixed"]].values.tolist() == [
        [5, 1, 4, 1], [0, 2, -2, 2], [0, 0, 0, 0], [0, 1, -1, 1], [0, 0, 0, 0]
    ]  # fmt: skip
    whole = rem.flow(five, WINDOW, period=None)
    assert whole[["inflow", "outflow", "net"]].values.tolist() == [[5, 4, 1]]


def test_flow_tells_the_first_scans_backlog_from_new_findings(tmp_path: Path, db: Path | str) -> None:
    """Stream demo: A, B at its first scan (01-05, W02); C new on 01-13 (W03); B fixed on 01-20 and
    back on 01-27 (W05, a reopening). Stream other: X at its first scan on 01-20 (W04), Y new on
    01-27. First-scan backlog: A, B in W02 and X in W04; everything else is new inflow."""
    scans = [
        ("demo", "2026-01-05T00:00:00Z", "AB"),
        ("demo", "2026-01-13T00:00:00Z", "ABC"),
        ("demo", "2026-01-20T00:00:00Z", "AC"),
        ("other", "2026-01-20T00:00:00Z", "X"),
        ("demo", "2026-01-27T00:00:00Z", "ABC"),
        ("other", "2026-01-27T00:00:00Z", "XY"),
    ]
    for i, (tool, when, names) in enumerate(scans):
        path = tmp_path / f"{i}.sarif"
        path.write_text(json.dumps(sarif_log([_finding(n) for n in names], tool=tool)))
        assert ingest_main(["sarif", str(path), "--db", str(db), "--project", "p", "--scanned-at", when]) == 0
    store = Store(db)
    df = rem.flow(store, WINDOW, period="week").set_index("period")
    got = df.loc[["2026-W02", "2026-W03", "2026-W04", "2026-W05"], ["inflow", "first_scan", "reopened"]]
    assert got.values.tolist() == [[2, 2, 0], [1, 0, 0], [1, 1, 0], [2, 0, 1]]
    whole = rem.flow(store, WINDOW, period=None)
    assert whole[["inflow", "first_scan"]].values.tolist() == [[6, 3]]
    # the sprint report (sprint 1 = 01-05..01-19, sprint 2 = 01-19..02-02): sprint 1 new A, B, C of
    # which A, B first-scan; sprint 2 new X, Y (B is a reopening, not new) of which X first-scan
    report = sprints.sprint_report(store, Filters(since=datetime(2026, 1, 5), until=datetime(2026, 2, 2)), Settings())
    assert report[["sprint", "new", "first_scan", "reopened"]].values.tolist() == [
        ["sprint 1", 3, 2, 0], ["sprint 2", 2, 1, 1]
    ]  # fmt: skip


def test_aging_and_debt(five: Store) -> None:
    """At 02-01 only E is open, aged 31 days → bucket 31–60; no security debt."""
    df = rem.aging(five, WINDOW)
    row = df.iloc[0].to_dict()
    assert {k: row[k] for k in ("open", "d0_30", "d31_60", "d61_90", "d91_180", "d180_plus", "security_debt")} == {
        "open": 1, "d0_30": 0, "d31_60": 1, "d61_90": 0, "d91_180": 0, "d180_plus": 0, "security_debt": 0
    }  # fmt: skip
    assert row["oldest_days"] == 31.0
    later = rem.aging(five, Filters(until=datetime(2027, 1, 2)))
    assert later["security_debt"].tolist() == [1] and later["d180_plus"].tolist() == [1]


def test_sla_compliance_and_overdue(five: Store) -> None:
    """Critical SLA 7 days: A (2 d) and B (5 d) within, D (20 d) late; high 30 days: C (10 d) within
    → 3 of 4 = 0.75. E (critical) is due 01-08 and still open on 02-01 → 1 overdue."""
    df = rem.sla(five, WINDOW)
    assert df[["closed_with_sla", "closed_within_sla", "compliance", "overdue_open"]].values.tolist() == [
        [4, 3, 0.75, 1]
    ]
    od = rem.overdue(five, WINDOW)
    assert od["rule_id"].tolist() == ["R-E"]
    assert od["due_at"].iloc[0] == pd.Timestamp("2026-01-08") and od["days_overdue"].iloc[0] == 24.0
    lenient = rem.sla(five, WINDOW, settings=_sla_settings(critical=30))  # D's 20 days are now within
    assert lenient["compliance"].tolist() == [1.0]


def _sla_settings(**days: int) -> Settings:
    from types import MappingProxyType

    from core.severity import Severity

    base = dict(Settings().sla_days)
    base.update({Severity(k): v for k, v in days.items()})
    return Settings(sla_days=MappingProxyType(base))


def test_capacity_per_month(five: Store) -> None:
    """January: nothing open at the start, 5 opened, 4 closed → 4 / (0 + 5) = 0.8."""
    df = rem.capacity(five, WINDOW)
    assert df[["period", "open_at_start", "opened", "closed", "capacity"]].values.tolist() == [
        ["2026-01", 0, 5, 4, 0.8]
    ]


def test_reopen_rate(tmp_path: Path, db: Path | str) -> None:
    """X open 01-01, gone 01-02 (fixed), back 01-03 (reopened), gone 01-04 (fixed again); Y open
    01-01, gone 01-02. Whole window: closed 3, reopened 1 → rate 1/3."""
    x, y = _finding("X"), _finding("Y")
    store = build(db, tmp_path, [("2026-01-01T00:00:00Z", [x, y]), ("2026-01-02T00:00:00Z", []),
                             ("2026-01-03T00:00:00Z", [x]), ("2026-01-04T00:00:00Z", [])])  # fmt: skip
    df = rem.flow(store, Filters(since=datetime(2026, 1, 1), until=datetime(2026, 1, 5)), period=None)
    assert df[["outflow", "reopened"]].values.tolist() == [[3, 1]]
    assert df["reopen_rate"].iloc[0] == pytest.approx(1 / 3)


def test_filters_change_the_numbers(five: Store) -> None:
    high = Filters(since=SINCE, until=UNTIL, severities=("high",))
    assert rem.mttr(five, high)[["closed", "mean_days"]].values.tolist() == [[1, 10.0]]
    assert rem.mttr(five, Filters(since=SINCE, until=UNTIL, projects=("nope",)))["closed"].tolist() == [0]
    assert rem.mttr(five, Filters(since=SINCE, until=UNTIL, rules=("R-D",)))["mean_days"].tolist() == [20.0]


def test_bad_grouping_is_a_clear_error(five: Store) -> None:
    with pytest.raises(QueryError, match="cannot group by 'colour'"):
        rem.mttr(five, WINDOW, by=["colour"])
