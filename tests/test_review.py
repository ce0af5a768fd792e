"""The sprint review's action list and coverage panel (analytics.review) on a small history whose
answers are worked out by hand.

Sprints (default calendar: sprint 1 starts 2026-01-05, 14 days): sprint 2 = [01-19, 02-02),
sprint 3 = [02-02, 02-16). Window: since 01-19, until 02-16 → the report holds sprints 2 and 3;
sprint 3 is reviewed, sprint 2 is "before". SLA: critical 7 days, high 30 (from first detection).

Stream shop/sem, scans s0 01-10, s1 01-20, s2 01-27, s3 02-03, s4 02-10 (10:00 UTC):

| finding | sev  | s0 s1 s2 s3 s4 | episodes                                 | due (first seen + SLA) |
|---------|------|----------------|------------------------------------------|------------------------|
| C4      | crit | x  x  .  x  x  | 01-10..01-27 fixed; 02-03.. open (reopen)| 01-17 10:00            |
| H0      | high | x  x  x  x  x  | 01-10.. open                             | 02-09 10:00            |
| C1      | crit | .  x  x  x  x  | 01-20.. open                             | 01-27 10:00            |
| C3      | crit | .  x  .  .  .  | 01-20..01-27 fixed                       | 01-27 10:00            |
| H2      | high | .  x  x  .  .  | 01-20..02-03 fixed                       | 02-19 10:00            |
| M1      | med  | .  .  x  x  .  | 01-27..02-10 fixed                       |                        |
| C2      | crit | .  .  .  x  x  | 02-03.. open                             | 02-10 10:00            |
| L3      | low  | .  .  .  x  .  | 02-03..02-10 fixed                       |                        |
| H3      | high | .  .  .  .  x  | 02-10.. open                             | 03-12 10:00            |
| K1, K2  | low  | .  .  .  x  .  | 02-03..02-10 fixed (rule K, infra/main.tf, snippets k1, k2) |     |
| K3, K4  | low  | .  .  .  .  x  | 02-10.. open     (rule K, infra/main.tf, snippets k3, k4)   |     |

Other streams: shop/old scanned once, 01-20 10:00 (one low); api/sem once, 01-21 10:00 (one
medium); a file given without project or scan time, in folder ``guessdir`` (tool lint, modified
2026-02-05 12:00): project ``guessdir`` from the folder, scan time from the file (one low, open).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics import review as rv
from analytics import sprints
from analytics.filters import Filters
from core.errors import QueryError
from core.settings import Settings
from ingest.cli import main as ingest_main
from store.db import Store
from tests.conftest import new_database, result, sarif_log

pytestmark = pytest.mark.engines

WINDOW = Filters(since=datetime(2026, 1, 19), until=datetime(2026, 2, 16))
SCORE = {"C": "9.5", "H": "8.0", "M": "5.0", "L": "2.0", "K": "2.0"}
SCANS = {
    "2026-01-10T10:00:00Z": ["C4", "H0"],
    "2026-01-20T10:00:00Z": ["C4", "H0", "C1", "C3", "H2"],
    "2026-01-27T10:00:00Z": ["H0", "C1", "H2", "M1"],
    "2026-02-03T10:00:00Z": ["C4", "H0", "C1", "M1", "C2", "L3", "K1", "K2"],
    "2026-02-10T10:00:00Z": ["C4", "H0", "C1", "C2", "H3", "K3", "K4"],
}


def finding(name: str) -> dict[str, Any]:
    """Rule R-<name> in src/<name>.py; the K findings share rule K and infra/main.tf and differ only by
    their snippet (the identity), as a block scanner whose context changed."""
    kind = name[0]
    rule, path = ("K", "infra/main.tf") if kind == "K" else (f"R-{name}", f"src/{name}.py")
    r = result(rule, path, 1, properties={"security-severity": SCORE[kind]})
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": f"code_{name}()"}
    return r


def ingest(db: Path | str, path: Path, *args: str) -> None:
    assert ingest_main(["sarif", str(path), "--db", str(db), *args]) == 0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Store:
    tmp = tmp_path_factory.mktemp("review")
    db = new_database(engine, tmp, request)
    for i, (when, names) in enumerate(SCANS.items()):
        path = tmp / f"sem-{i}.sarif"
        path.write_text(json.dumps(sarif_log([finding(n) for n in names], tool="sem")))
        ingest(db, path, "--project", "shop", "--scanned-at", when)
    for project, tool, when, name in (
        ("shop", "old", "2026-01-20T10:00:00Z", "L1"),
        ("api", "sem", "2026-01-21T10:00:00Z", "M2"),
    ):
        path = tmp / f"{project}-{tool}.sarif"
        path.write_text(json.dumps(sarif_log([finding(name)], tool=tool)))
        ingest(db, path, "--project", project, "--scanned-at", when)
    guessed = tmp / "guessdir" / "lint.sarif"
    guessed.parent.mkdir()
    guessed.write_text(json.dumps(sarif_log([finding("L2")], tool="lint")))
    mtime = datetime(2026, 2, 5, 12, tzinfo=UTC).timestamp()
    os.utime(guessed, (mtime, mtime))
    ingest(db, guessed)
    return Store(db)


def names(df: Any) -> list[str]:
    """R-C1 → C1; the K rule by its snippet's finding is not needed (K findings are never urgent)."""
    return [str(r).removeprefix("R-") for r in df["rule_id"]]


def test_action_list_counts_deltas_and_lists(store: Store) -> None:
    """Sprint 3 against sprint 2, critical/high only for the first two sections:

    * new critical/high = first episodes opened in the sprint: sprint 3 C2 (02-03), H3 (02-10) = 2
      (C4's second episode is a reopening, not new); sprint 2 C1, C3, H2 (01-20) = 3 → Δ −1.
    * past SLA at the sprint's end (open and due before it): at 02-16 00:00 C4 (due 01-17 10:00,
      reopened 02-03), C1 (due 01-27 10:00), C2 (due 02-10 10:00), H0 (due 02-09 10:00) = 4
      (H3 is due 03-12); at 02-02 only C1 (C4 was fixed 01-27, not yet back; H0, H2 not due) = 1
      → Δ +3.
    * expiring acceptances: nothing recorded → 0, no previous count.
    * fixed (every severity) in sprint 3: H2 (02-03), M1, L3, K1, K2 (02-10) = 5; in sprint 2: C4's
      first episode and C3 (01-27) = 2 → Δ +3.
    """
    r = rv.review(store, WINDOW, Settings(), "sprint 3")
    assert (r.sprint.label, r.sprint.start, r.sprint.end) == ("sprint 3", datetime(2026, 2, 2), datetime(2026, 2, 16))
    assert r.previous is not None and r.previous.label == "sprint 2"
    a = r.actions
    assert (a.new.count.now, a.new.count.before, a.new.count.delta) == (2, 3, -1)
    assert names(a.new.rows) == ["C2", "H3"]  # critical first, then high
    assert (a.past_sla.count.now, a.past_sla.count.before, a.past_sla.count.delta) == (4, 1, 3)
    assert (a.expiring.count.now, a.expiring.count.delta, a.expiring.recorded, len(a.expiring.rows)) == (
        0,
        None,
        False,
        0,
    )
    assert a.expiring.empty_text == "No risk decisions recorded."
    assert (a.fixed.count.now, a.fixed.count.before, a.fixed.count.delta) == (5, 2, 3)
    assert sorted(a.fixed.rows["severity"]) == ["high", "low", "low", "low", "medium"]
    # every list is as long as its count, and the counts are the sprint report's
    for section in (a.new, a.past_sla, a.fixed):
        assert len(section.rows) == section.count.now, section.key
    report = sprints.sprint_report(store, WINDOW, Settings())
    assert report["fixed"].tolist() == [2, 5] and r.headline["fixed"] == 5


def test_past_sla_is_ordered_by_severity_then_days_overdue(store: Store) -> None:
    """Days overdue at 02-16 00:00: C4 since 01-17 10:00 = 29 d 14 h = 29.583; C1 since 01-27
    10:00 = 19.583; C2 since 02-10 10:00 = 5.583; H0 since 02-09 10:00 = 6.583. Critical first (most
    overdue first), then high: C4, C1, C2, H0 — H0, more overdue than C2, still comes after it."""
    rows = rv.review(store, WINDOW, Settings(), "sprint 3").actions.past_sla.rows
    assert names(rows) == ["C4", "C1", "C2", "H0"]
    assert [round(d, 3) for d in rows["days_overdue"]] == [29.583, 19.583, 5.583, 6.583]


def test_coverage_stale_guessed_and_churn(store: Store) -> None:
    """At sprint 3's end (02-16 00:00), stale_days 14 → stale when the last scan is at or before 02-02:
    project/tool last scans: shop/sem 02-10, shop/old 01-20 10:00, api/sem 01-21 10:00, guessdir/lint
    02-05. Project shop (02-10) is not stale, but its tool old is: 26 d 14 h = 26.583 days; project
    api is: 25.583 days. Oldest first. Guessed metadata in sprint 3: guessdir's one scan (scan time
    and project). Churn in sprint 3: at 02-10, rule K in infra/main.tf 2 fixed (K1, K2) and 2 opened
    (K3, K4)."""
    cov = rv.review(store, WINDOW, Settings(), "sprint 3").coverage
    assert (cov.at, cov.stale_days) == (datetime(2026, 2, 16), 14)
    stale = [(r.kind, r.project, r.tool, round(r.days_since, 3)) for r in cov.stale.itertuples()]
    assert stale == [("tool", "shop", "old", 26.583), ("project", "api", "", 25.583)]
    guessed = [
        tuple(r)
        for r in cov.guessed[["project", "tool", "scans", "guessed_time", "guessed_project"]].itertuples(index=False)
    ]
    assert guessed == [("guessdir", "lint", 1, 1, 1)]
    assert [(r.rule_id, r.path, int(r.fixed), int(r.opened)) for r in cov.churn.itertuples()] == [
        ("K", "infra/main.tf", 2, 2)
    ]


def test_stale_days_is_configurable(store: Store) -> None:
    """stale_days 26 → cutoff 01-21 00:00: shop/old (01-20 10:00) still stale, api (01-21 10:00) not;
    30 → nothing."""
    s26 = rv.review(store, WINDOW, Settings(stale_days=26), "sprint 3").coverage.stale
    assert [(r.kind, r.project, r.tool) for r in s26.itertuples()] == [("tool", "shop", "old")]
    assert rv.review(store, WINDOW, Settings(stale_days=30), "sprint 3").coverage.stale.empty


def test_sprint_2_has_no_previous_and_nothing_guessed(store: Store) -> None:
    """Sprint 2 is the window's first: counts without a change. At its end (02-02 00:00) the
    oldest latest scan is shop/old's at 01-20 10:00, 12.583 days old (< 14) → nothing stale; no
    guessed scan and no churn in [01-19, 02-02)."""
    r = rv.review(store, WINDOW, Settings(), "sprint 2")
    assert r.previous is None
    a = r.actions
    assert (a.new.count.now, a.new.count.delta, a.past_sla.count.now, a.fixed.count.now) == (3, None, 1, 2)
    assert r.coverage.stale.empty and r.coverage.guessed.empty and r.coverage.churn.empty


def test_filters_narrow_every_part(store: Store) -> None:
    """--project shop: the same action list (every critical and high finding is in shop), no stale
    project, shop's old tool still stale, nothing guessed (guessdir is another project). --tool old:
    below. --severity
    medium: no critical or high is selected, so both urgent sections are 0, and fixed is M1 alone."""
    shop = rv.review(store, replace(WINDOW, projects=("shop",)), Settings(), "sprint 3")
    assert (shop.actions.new.count.now, shop.actions.past_sla.count.now, shop.actions.fixed.count.now) == (2, 4, 5)
    assert [(r.kind, r.project, r.tool) for r in shop.coverage.stale.itertuples()] == [("tool", "shop", "old")]
    assert shop.coverage.guessed.empty
    # --tool old: its only finding is low (nothing urgent, nothing fixed); among the scans of that
    # tool, project shop's latest is 01-20 10:00 → the project itself is stale, 26.583 days
    old = rv.review(store, replace(WINDOW, tools=("old",)), Settings(), "sprint 3")
    assert (old.actions.new.count.now, old.actions.past_sla.count.now, old.actions.fixed.count.now) == (0, 0, 0)
    assert [(r.kind, r.project, round(r.days_since, 3)) for r in old.coverage.stale.itertuples()] == [
        ("project", "shop", 26.583)
    ]
    medium = rv.review(store, replace(WINDOW, severities=("medium",)), Settings(), "sprint 3")
    assert (medium.actions.new.count.now, medium.actions.past_sla.count.now) == (0, 0)
    assert names(medium.actions.fixed.rows) == ["M1"]


def test_a_sprint_outside_the_window_is_an_error(store: Store) -> None:
    with pytest.raises(QueryError, match="sprint 9 is not in the window"):
        rv.review(store, WINDOW, Settings(), "sprint 9")
    latest = rv.review(store, WINDOW, Settings())
    assert latest.sprint.label == "sprint 3"


def test_every_list_is_as_long_as_its_count_on_the_demo(demo: dict[str, Any]) -> None:
    """On the demo history (many projects, scanners, reopenings), for its last six sprints: each
    list has as many rows as its count says, the counts are the sprint report's, and the past-SLA
    list is in its order (severity, then the most overdue)."""
    from core.severity import rank

    store = Store(demo["db"])
    with store.session():
        report = sprints.sprint_report(store, Filters(), Settings())
        for label in report["sprint"].tail(6):
            r = rv.review(store, Filters(), Settings(), label, report)
            a = r.actions
            assert [len(s.rows) for s in (a.new, a.past_sla, a.fixed)] == [
                a.new.count.now, a.past_sla.count.now, a.fixed.count.now,
            ], label  # fmt: skip
            assert a.fixed.count.now == r.headline["fixed"]
            assert a.past_sla.count.now <= r.headline["overdue_open"]  # critical/high among all overdue
            order = [
                (rank(s), -d) for s, d in zip(a.past_sla.rows["severity"], a.past_sla.rows["days_overdue"], strict=True)
            ]
            assert order == sorted(order), label


def test_acceptances_expiring_before_the_next_review(
    tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest
) -> None:
    """Stream shop/sem scanned 01-20 and 02-10 with C1, C2, C3, H0 (all open). Decisions:

    * C1 accepted 02-01 → 02-20; H0 accepted 02-01 → 04-01; C2 accepted 02-01 → 02-25, revoked 02-10;
    * rule R-C3 in src/* accepted 02-05 → 02-28 (a scope decision: it covers C3);
    * H0 also marked a false positive 02-01 (not an acceptance: never listed).
    Sprint 3 ends 02-16, the next review is 03-02: in force then and expiring by 03-02 are C1
    (02-20) and C3 (02-28) → 2, soonest first; H0's expires after, C2's was revoked. Sprint 2 ends
    02-02, its next review 02-16: C1 (in force, expires 02-20 > 02-16) is not counted, C3 not yet
    decided → 0."""
    from ingest.decisions import Scope, decide, revoke

    tmp = tmp_path_factory.mktemp("expiring")
    db = new_database(engine, tmp, request)
    for i, when in enumerate(("2026-01-20T10:00:00Z", "2026-02-10T10:00:00Z")):
        path = tmp / f"s{i}.sarif"
        path.write_text(json.dumps(sarif_log([finding(n) for n in ("C1", "C2", "C3", "H0")], tool="sem")))
        ingest(db, path, "--project", "shop", "--scanned-at", when)
    store = Store(db)
    before = rv.review(store, WINDOW, Settings(), "sprint 3").actions.expiring
    assert (before.recorded, before.count.now, before.empty_text) == (False, 0, "No risk decisions recorded.")
    ids = dict(zip(names(store_findings(store)), store_findings(store)["finding_id"], strict=True))
    d = datetime(2026, 2, 1)

    def accept(name: str, until: datetime) -> str:
        return decide(store, "accepted", Scope(ids[name]), "r", "lead", expires_at=until, at=d).decision_id

    accept("C1", datetime(2026, 2, 20))
    accept("H0", datetime(2026, 4, 1))
    revoke(store, accept("C2", datetime(2026, 2, 25)), "r", "lead", at=datetime(2026, 2, 10))
    scope = Scope(project="shop", tool="sem", rule_id="R-C3", path_glob="src/*")
    decide(store, "accepted", scope, "r", "lead", expires_at=datetime(2026, 2, 28), at=datetime(2026, 2, 5))
    decide(store, "false_positive", Scope(ids["H0"]), "r", "lead", at=d)
    out = rv.review(store, WINDOW, Settings(), "sprint 3").actions.expiring
    assert out.recorded and (out.count.now, out.count.before) == (2, 0)
    assert names(out.rows) == ["C1", "C3"]
    assert [str(t)[:10] for t in out.rows["expires_at"]] == ["2026-02-20", "2026-02-28"]
    assert out.title == "Acceptances expiring before the next review (2026-03-02)"


def store_findings(store: Store) -> Any:
    from analytics import tables

    return tables.findings(store, Filters(show_decided=True))
