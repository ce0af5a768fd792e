"""Risk decisions (docs/decisions.md, docs/definitions.md §6 "Risk decisions"), worked out by hand.

Fixture "triage": one stream, every finding critical (SLA 7 days: due 01-08), scans at 2026-01-01,
01-11, 01-21 and 01-31 (00:00 UTC); window 2026-01-01 .. 2026-02-01.

    A  present in every scan; accepted 01-05, expiring 01-15   → parts [01-01, 01-05) accepted,
                                                                  [01-15, open) resumed
    B  present in every scan; false positive 01-05 01:00        → part  [01-01, 01-05 01:00) false_positive
    C  present 01-01, 01-11, gone 01-21; accepted 01-05 02:00 until 02-15: fixed while accepted, so the
       acceptance does not cut it                               → [01-01, 01-21) fixed, 20 days
    D  present 01-01 .. 01-21, gone 01-31, no decision           → [01-01, 01-31) fixed, 30 days
    E  present in every scan, no decision                       → [01-01, open)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from analytics import decisions as decision_reads
from analytics import remediation as rem
from analytics import sprints, summary, tables
from analytics.exports import Request, export
from analytics.filters import Filters
from core.errors import UsageError
from core.settings import Settings
from ingest import decisions
from ingest.cli import main as ingest_main
from store.db import Store
from tests.conftest import new_database, result, sarif_log

pytestmark = pytest.mark.engines

WINDOW = Filters(since=datetime(2026, 1, 1), until=datetime(2026, 2, 1))
SHOWN = Filters(since=datetime(2026, 1, 1), until=datetime(2026, 2, 1), show_decided=True)
PRESENT = {
    "2026-01-01T00:00:00Z": "ABCDE",
    "2026-01-11T00:00:00Z": "ABCDE",
    "2026-01-21T00:00:00Z": "ABDE",
    "2026-01-31T00:00:00Z": "ABE",
}


def _finding(name: str) -> dict[str, object]:
    r = result(f"R-{name}", f"src/{name}.py", 1, properties={"security-severity": "9.5"})
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": f"code_{name}()"}  # type: ignore[index]
    return r


@pytest.fixture(scope="module")
def triage(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Store:
    tmp = tmp_path_factory.mktemp("triage")
    db = new_database(engine, tmp, request)
    for i, (when, names) in enumerate(PRESENT.items()):
        path = tmp / f"scan-{i}.sarif"
        path.write_text(json.dumps(sarif_log([_finding(n) for n in names], tool="demo")))
        assert ingest_main(["sarif", str(path), "--db", str(db), "--project", "p", "--scanned-at", when]) == 0
    store = Store(db)
    ids = _ids(store)
    at = datetime(2026, 1, 5)
    decisions.decide(store, "accepted", decisions.Scope(ids["A"]), "fix next quarter", "alice", at=at,
                     expires_at=datetime(2026, 1, 15))  # fmt: skip
    decisions.decide(store, "false_positive", decisions.Scope(ids["B"]), "test code", "bob", at=at.replace(hour=1))
    decisions.decide(store, "accepted", decisions.Scope(ids["C"]), "mitigated", "alice", at=at.replace(hour=2),
                     expires_at=datetime(2026, 2, 15))  # fmt: skip
    return store


def _ids(store: Store) -> dict[str, str]:
    f = tables.findings(store, Filters())
    return {str(r.rule_id)[-1]: str(r.finding_id) for r in f.itertuples()}


def test_summary_headline(triage: Store) -> None:
    """Open at 02-01: A's resumed part and E = 2 (B is a false positive). Fixed in the window: C
    (20 days, fixed while accepted) and D (30 days) = 2, mean = median = 25. Taken out by a
    decision: A on 01-05 (accepted), B on 01-05 (false positive). Reopened 0: A's part from 01-15
    is a resumption. Overdue at 02-01 (due 01-08, clock kept): A and E = 2; SLA: 0 of 2 fixes in time."""
    s = summary.summary_with_extras(triage, WINDOW)
    e = s["episodes"]
    assert (e["open"], e["fixed"], e["suppressed"], e["reopened"]) == (2, 2, 0, 0)
    assert (e["accepted"], e["false_positive"], e["wont_fix"]) == (1, 1, 0)
    assert (s["mttr_mean_days"], s["mttr_median_days"]) == (25.0, 25.0)
    assert s["sla"] == {"compliance": 0.0, "overdue_open": 2}
    # shown as if nothing were decided: A, B, E open and overdue; C and D fixed as before
    shown = summary.summary_with_extras(triage, SHOWN)
    assert (shown["episodes"]["open"], shown["episodes"]["fixed"], shown["episodes"]["accepted"]) == (3, 2, 0)
    assert shown["sla"]["overdue_open"] == 3


def test_mttr_export(triage: Store) -> None:
    """closed 2 (C 20 d, D 30 d): mean 25, median 25, p90 = 20 + 0.9·(30 − 20) = 29. Kaplan–Meier
    over the parts opened in the window: A 4 d and B 4.04 d censored (decided), A's resumed part 17 d
    censored (01-15 → 02-01), C 20 d event, D 30 d event, E 31 d censored: at 20 d 3 at risk →
    S = 2/3; at 30 d 2 at risk → S = 1/3 ≤ 1/2, so the median is 30. Open at the end 2 (A, E);
    accepted 1 (A), false_positive 1 (B), wont_fix 0."""
    row = rem.mttr(triage, WINDOW).iloc[0]
    assert (row["closed"], row["mean_days"], row["median_days"]) == (2, 25.0, 25.0)
    assert row["p90_days"] == pytest.approx(29.0)
    assert row["km_median_days"] == pytest.approx(30.0)
    assert (row["open"], row["accepted"], row["false_positive"], row["wont_fix"]) == (2, 1, 1, 0)


def test_flow_export(triage: Store) -> None:
    """Inflow 6: A's two parts, B, C, D, E; first_scan 5 (all but A's resumed part, which opened on
    01-15). Outflow 4 = fixed 2 (C, D) + accepted 1 (A) + false_positive 1 (B); net 6 − 4 = 2 = the
    backlog at the end. Reopened 0, reopen rate 0/4."""
    row = rem.flow(triage, WINDOW, period=None).iloc[0]
    got = {k: row[k] for k in ("inflow", "first_scan", "outflow", "net", "fixed", "suppressed", "accepted",
                               "false_positive", "wont_fix", "reopened", "reopen_rate")}  # fmt: skip
    assert got == {"inflow": 6, "first_scan": 5, "outflow": 4, "net": 2, "fixed": 2, "suppressed": 0,
                   "accepted": 1, "false_positive": 1, "wont_fix": 0, "reopened": 0, "reopen_rate": 0.0}  # fmt: skip


def test_sprint_report(triage: Store) -> None:
    """Sprints of 14 days from 2026-01-05, cut by the window:
    - "sprint of 2025-12-22" [01-01, 01-05): new 5 (all on the first scan), still open 5, none
      overdue yet (due 01-08);
    - sprint 1 [01-05, 01-19): A accepted and B false positive on 01-05; A resumes on 01-15 (not
      new); still open A, C, D, E = 4, all past 01-08: overdue 4; breaches (due in the sprint while
      open): C, D, E = 3 (A's resumed part opened after its due date, B closed before it);
    - sprint 2 [01-19, 02-01): C fixed 01-21 (20 d), D fixed 01-31 (30 d): mean 25; still open and
      overdue: A, E = 2."""
    df = sprints.sprint_report(triage, WINDOW, Settings())
    cols = ["new", "first_scan", "reopened", "fixed", "suppressed", "accepted", "false_positive", "wont_fix",
            "still_open", "sla_breaches", "overdue_open"]  # fmt: skip
    assert list(df["sprint"]) == ["sprint of 2025-12-22", "sprint 1", "sprint 2"]
    assert df[cols].values.tolist() == [
        [5, 5, 0, 0, 0, 0, 0, 0, 5, 0, 0],
        [0, 0, 0, 0, 0, 1, 1, 0, 4, 3, 4],
        [0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 2],
    ]
    assert df["fixed_mean_days"].iloc[2] == 25.0


def test_findings_overdue_and_decision_columns(triage: Store) -> None:
    """Findings at 02-01: A open, its acceptance expired → no decision, overdue; B open, false
    positive → not overdue; C fixed (its acceptance no longer shows: fixed counts as fixed); D
    fixed; E open, overdue. The overdue list: A and E."""
    f = tables.findings(triage, WINDOW).set_index("rule_id")
    assert f["decision"].fillna("").to_dict() == {
        "R-A": "", "R-B": "false_positive", "R-C": "", "R-D": "", "R-E": "",
    }  # fmt: skip
    assert f["overdue"].to_dict() == {"R-A": True, "R-B": False, "R-C": False, "R-D": False, "R-E": True}
    assert sorted(rem.overdue(triage, WINDOW)["rule_id"]) == ["R-A", "R-E"]
    assert sorted(rem.overdue(triage, SHOWN)["rule_id"]) == ["R-A", "R-B", "R-E"]


def test_restart_clock_on_expiry(triage: Store) -> None:
    """``on_expiry = "restart"``: A's clock restarts when its acceptance ended (01-15): due 01-22.
    Sprint 1 then ends (01-19) with C, D, E overdue (3), not A; at 02-01 A is overdue again."""
    restart = Settings(on_expiry="restart")
    f = tables.findings(triage, WINDOW, restart).set_index("rule_id")
    assert pd.Timestamp(f.loc["R-A", "sla_due_at"]) == pd.Timestamp("2026-01-22")
    assert pd.Timestamp(f.loc["R-E", "sla_due_at"]) == pd.Timestamp("2026-01-08")
    df = sprints.sprint_report(triage, WINDOW, restart)
    assert list(df["overdue_open"]) == [0, 3, 2]


def test_decisions_export_and_history(triage: Store) -> None:
    """Three decisions, oldest first; a revocation is a row of its own, kept in the finding's history."""
    log = export(triage, "decisions", Request(WINDOW))
    assert list(log["kind"]) == ["accepted", "false_positive", "accepted"]
    assert list(log["decided_by"]) == ["alice", "bob", "alice"]
    ids = _ids(triage)
    hist = decision_reads.finding_decisions(triage, ids["B"], at=datetime(2026, 1, 20))
    assert list(hist["kind"]) == ["false_positive"] and bool(hist["in_force"].iloc[0])
    assert decision_reads.decision_in_force(triage, ids["B"], at=datetime(2026, 1, 20)) == "false_positive"
    assert decision_reads.decision_in_force(triage, ids["A"], at=datetime(2026, 1, 20)) is None


def test_scope_decision_and_revocation(tmp_path: Path, db: Path) -> None:
    """A decision on a rule in a path pattern covers every matching finding, and a revocation ends
    it: src/a/x.py and src/a/b/y.py match ``src/a/*``, src/b.py does not."""
    path = tmp_path / "s.sarif"
    paths = ("src/a/x.py", "src/a/b/y.py", "src/b.py")
    results = [result("R1", p, 1, properties={"security-severity": "9.5"}) for p in paths]
    path.write_text(json.dumps(sarif_log(results, tool="demo")))
    assert ingest_main(["sarif", str(path), "--db", str(db), "--project", "p", "--scanned-at", "2026-01-01"]) == 0
    store = Store(db)
    w = Filters(since=datetime(2026, 1, 1), until=datetime(2026, 3, 1))
    scope = decisions.Scope(project="p", tool="demo", rule_id="R1", path_glob="src/a/*")
    d = decisions.decide(store, "wont_fix", scope, "legacy module", "carol", at=datetime(2026, 1, 2))
    assert sorted(rem.overdue(store, w)["path"]) == ["src/b.py"]
    assert rem.flow(store, w, period=None).iloc[0]["wont_fix"] == 2
    decisions.revoke(store, d.decision_id, "module rewritten", "carol", at=datetime(2026, 1, 20))
    assert len(rem.overdue(store, w)) == 3
    with pytest.raises(UsageError, match="already revoked"):
        decisions.revoke(store, d.decision_id, "again", "carol")
    with pytest.raises(UsageError, match="reason"):
        decisions.decide(store, "accepted", decisions.Scope(project="p", tool="demo", rule_id="R1"), " ", "carol")
    assert list(decision_reads.decision_log(store, Filters())["kind"]) == ["wont_fix", "revoke"]


def test_triage_command_line(triage: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``python -m ingest triage``: a decision needs a reason (argparse: exit 2) and a known finding
    (exit 2); accept → the finding leaves the overdue list of a window after it; revoke → back.
    ``analytics export decisions`` lists both rows; ``--show-decided`` counts it as undecided."""
    from analytics.cli import main as analytics_main

    db = triage.url.render_as_string(hide_password=False) if triage.is_server else str(triage.path)
    e = _ids(triage)["E"]
    with pytest.raises(SystemExit) as missing:
        ingest_main(["triage", "accept", e, "--db", db])
    assert missing.value.code == 2
    assert ingest_main(["triage", "wont-fix", "nope", "--reason", "x", "--by", "dan", "--db", db]) == 2
    assert "no finding 'nope'" in capsys.readouterr().err
    code = ingest_main(["triage", "accept", e, "--reason", "vendor patch due", "--by", "dan", "--json", "--db", db])
    row = json.loads(capsys.readouterr().out)
    assert code == 0 and row["kind"] == "accepted" and row["decided_by"] == "dan" and row["expires_at"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()  # the acceptance is in force then
    later = ["--since", "2026-01-01", "--until", tomorrow, "--db", db]
    assert analytics_main(["export", "overdue", "-o", "-", *later]) == 0
    assert e not in capsys.readouterr().out
    assert analytics_main(["export", "overdue", "--show-decided", "-o", "-", *later]) == 0
    assert e in capsys.readouterr().out
    assert ingest_main(["triage", "revoke", row["decision_id"], "--reason", "patch slipped", "--by", "dan",
                        "--db", db]) == 0  # fmt: skip
    assert "revoked" in capsys.readouterr().out
    assert analytics_main(["export", "overdue", "-o", "-", *later]) == 0
    assert e in capsys.readouterr().out
    assert analytics_main(["export", "decisions", "--rule", "R-E", "-o", "-", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[2] for line in lines[1:]] == ["accepted", "revoke"]


def test_a_decision_survives_a_reopening(tmp_path: Path, db: Path) -> None:
    """X (critical, due 01-08) present 01-01, gone 01-11, back 01-21 and 01-31; accepted 01-05 until
    02-15. Episode 1 [01-01, 01-11) was fixed while accepted: fixed, 10 days. Episode 2 reopened on
    01-21 under the acceptance: it enters the backlog only when the acceptance ends (02-15), then as
    a reopening (no earlier part of it was counted), with its first-detection clock (overdue) or,
    with ``restart``, due 02-15 + 7 = 02-22.
    - window to 02-01: fixed 1, open 0, inflow 1, reopened 0, overdue 0;
    - window to 03-01: fixed 1, open 1, inflow 2, reopened 1, overdue 1 (restart: 1, past 02-22);
    - window to 02-20: overdue 1 with the clock kept, 0 restarted."""
    for i, when in enumerate(("2026-01-01", "2026-01-11", "2026-01-21", "2026-01-31")):
        path = tmp_path / f"x{i}.sarif"
        results = [] if when == "2026-01-11" else [_finding("X")]
        path.write_text(json.dumps(sarif_log(results, tool="demo")))
        assert ingest_main(["sarif", str(path), "--db", str(db), "--project", "p", "--scanned-at", when]) == 0
    store = Store(db)
    (fid,) = _ids(store).values()
    decisions.decide(store, "accepted", decisions.Scope(fid), "r", "alice", at=datetime(2026, 1, 5),
                     expires_at=datetime(2026, 2, 15))  # fmt: skip

    def numbers(until: datetime, settings: Settings | None = None) -> tuple[int, ...]:
        settings = settings or Settings()
        w = Filters(since=datetime(2026, 1, 1), until=until)
        fl = rem.flow(store, w, period=None, settings=settings).iloc[0]
        s = summary.summary(store, w, settings).episodes
        return s.fixed, s.open, int(fl["inflow"]), int(fl["reopened"]), len(rem.overdue(store, w, settings))

    assert numbers(datetime(2026, 2, 1)) == (1, 0, 1, 0, 0)
    assert numbers(datetime(2026, 3, 1)) == (1, 1, 2, 1, 1)
    assert numbers(datetime(2026, 3, 1), Settings(on_expiry="restart")) == (1, 1, 2, 1, 1)
    assert numbers(datetime(2026, 2, 20))[-1] == 1
    assert numbers(datetime(2026, 2, 20), Settings(on_expiry="restart"))[-1] == 0
    assert rem.mttr(store, Filters(since=datetime(2026, 1, 1), until=datetime(2026, 2, 1))).iloc[0]["mean_days"] == 10
