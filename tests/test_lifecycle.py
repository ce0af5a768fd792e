"""Lifecycle (docs/definitions.md §5) on hand-built streams: each scan is a small SARIF file ingested by the CLI."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.cli import main as ingest_main
from store.db import Store, query_rows
from tests.conftest import new_database, result, sarif_log, scratch_database

pytestmark = pytest.mark.engines

T = [f"2026-01-0{d}T10:00:00Z" for d in range(1, 10)]


def finding(rule: str, snippet: str, **extra: Any) -> dict[str, Any]:
    r = result(rule, "src/app.py", 10, **extra)
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": snippet}
    return r


A = finding("R1", "eval(user_input)")
B = finding("R2", "os.system(cmd)")
A_SUPPRESSED = finding("R1", "eval(user_input)", suppressions=[{"kind": "inSource"}])


def episodes(sql: Callable[..., list[tuple[Any, ...]]], rule: str | None = None) -> list[tuple[Any, ...]]:
    where = "WHERE f.rule_id = ?" if rule else ""
    return sql(
        "SELECT f.rule_id, e.seq, strftime(e.opened_at, '%d'), strftime(e.closed_at, '%d'), e.status "
        f"FROM episodes e JOIN findings f USING (finding_id) {where} ORDER BY 1, 2",
        [rule] if rule else [],
    )


@pytest.fixture
def scan(write_sarif: Callable[..., Path], run_ingest: Callable[..., tuple[int, str, str]]):  # type: ignore[no-untyped-def]
    """scan(day_index, results, **cli) ingests one scan of project p, branch main."""
    counter = itertools.count()

    def do(day: int, results: list[dict[str, Any]], project: str = "p", branch: str = "main", **kw: Any) -> str:
        path = write_sarif(f"scan{next(counter)}.sarif", sarif_log(results))
        args = ["sarif", path, "--project", project, "--branch", branch, "--scanned-at", T[day]]
        for k, v in kw.items():
            args += [f"--{k.replace('_', '-')}", v]
        code, out, err = run_ingest(*args)
        assert code == 0, err
        return out

    return do


def test_open_fixed_reopened(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """A present on days 1,2; absent on 3; back on 4 → episode 1 fixed (1→3), episode 2 open from 4."""
    scan(1, [A, B])
    scan(2, [A, B])
    scan(3, [B])
    scan(4, [A, B])
    assert episodes(sql, "R1") == [("R1", 1, "02", "04", "fixed"), ("R1", 2, "05", None, "open")]
    assert episodes(sql, "R2") == [("R2", 1, "02", None, "open")]
    assert sql("SELECT status, episodes FROM findings WHERE rule_id = 'R1'") == [("open", 2)]


def test_suppressed_ends_episode_and_starts_none(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """A open on day 1, suppressed on days 2–3 → one episode closed as suppressed at day 2, none after."""
    scan(1, [A])
    scan(2, [A_SUPPRESSED])
    scan(3, [A_SUPPRESSED])
    assert episodes(sql) == [("R1", 1, "02", "03", "suppressed")]
    assert sql("SELECT status FROM findings") == [("suppressed",)]


def test_suppressed_first_then_unsuppressed_opens(scan, sql) -> None:  # type: ignore[no-untyped-def]
    scan(1, [A_SUPPRESSED])
    scan(2, [A])
    assert episodes(sql) == [("R1", 1, "03", None, "open")]


def test_streams_do_not_affect_each_other(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """Branch 'dev' of the same project drops A; branch 'main' keeps it open; another project too."""
    scan(1, [A], branch="main")
    scan(1, [A], branch="dev")
    scan(1, [A], project="q")
    scan(2, [], branch="dev")
    rows = sql("SELECT f.project, f.branch, e.status FROM episodes e JOIN findings f USING (finding_id) ORDER BY 1, 2")
    assert rows == [("p", "dev", "fixed"), ("p", "main", "open"), ("q", "main", "open")]


def test_category_and_tool_are_separate_streams(scan, sql, write_sarif, run_ingest) -> None:  # type: ignore[no-untyped-def]
    scan(1, [A], category="backend")
    scan(2, [], category="frontend")
    assert episodes(sql) == [("R1", 1, "02", None, "open")]
    other_tool = write_sarif("other.sarif", sarif_log([], tool="Other Tool"))
    run_ingest("sarif", other_tool, "--project", "p", "--branch", "main", "--scanned-at", T[3], "--category", "backend")
    assert episodes(sql) == [("R1", 1, "02", None, "open")]


def test_late_older_scan_recomputes_stream(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """Days 1 and 3 have A, day 2 (ingested last) lacks it → fixed at 2, reopened at 3."""
    scan(1, [A])
    scan(3, [A])
    assert episodes(sql) == [("R1", 1, "02", None, "open")]
    scan(2, [])
    assert episodes(sql) == [("R1", 1, "02", "03", "fixed"), ("R1", 2, "04", None, "open")]


def test_same_file_twice_changes_nothing(scan, sql, write_sarif, run_ingest) -> None:  # type: ignore[no-untyped-def]
    path = write_sarif("same.sarif", sarif_log([A, B]))
    args = ("sarif", path, "--project", "p", "--scanned-at", T[1])
    assert run_ingest(*args)[0] == 0
    before = (sql("SELECT count(*) FROM occurrences"), episodes(sql))
    code, out, _ = run_ingest(*args)
    assert code == 0 and "already loaded" in out
    assert (sql("SELECT count(*) FROM occurrences"), episodes(sql)) == before
    assert sql("SELECT count(*) FROM files") == [(1,)]


def scan_of(sql: Callable[..., list[tuple[Any, ...]]], rule: str, day: str) -> str:
    """The id of the scan of day ``day`` ('02'…) that holds ``rule``."""
    rows = sql(
        "SELECT DISTINCT s.scan_id FROM scans s JOIN occurrences o USING (scan_id) "
        "WHERE o.rule_id = ? AND strftime(s.scanned_at, '%d') = ?",
        [rule, day],
    )
    assert len(rows) == 1, rows
    return str(rows[0][0])


def test_two_files_at_one_instant_are_one_step_not_fixes(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """Day 1 (the 2nd): file X holds A, file Y holds B, both of stream p/main at
    10:00. They are two parts of one analysis, so A and B are both open from the 2nd and nothing is
    fixed (before: whichever file sorted first "fixed" its findings in 0 days). Day 3 (the 4th): a
    scan with A only → B fixed on the 4th, after 2 days; A still open; nothing else changes."""
    scan(1, [A])
    scan(1, [B])
    assert episodes(sql) == [("R1", 1, "02", None, "open"), ("R2", 1, "02", None, "open")]
    assert sql("SELECT count(*) FROM episodes WHERE status = 'fixed'") == [(0,)]
    scan(3, [A])
    assert episodes(sql) == [("R1", 1, "02", None, "open"), ("R2", 1, "02", "04", "fixed")]
    days = sql("SELECT date_diff('second', opened_at, closed_at) / 86400.0 FROM episodes WHERE status = 'fixed'")
    assert days == [(2.0,)]
    # each episode names the scan it was seen in, and the fix names the scan that saw it gone
    rows = sql(
        "SELECT f.rule_id, e.opened_scan_id, e.last_seen_scan_id, e.closed_scan_id "
        "FROM episodes e JOIN findings f USING (finding_id) ORDER BY 1"
    )
    assert rows == [
        ("R1", scan_of(sql, "R1", "02"), scan_of(sql, "R1", "04"), None),
        ("R2", scan_of(sql, "R2", "02"), scan_of(sql, "R2", "02"), scan_of(sql, "R1", "04")),
    ]
    assert sql("SELECT rule_id, scans_seen, first_seen_at::VARCHAR FROM findings ORDER BY 1") == [
        ("R1", 2, "2026-01-02 10:00:00"),
        ("R2", 1, "2026-01-02 10:00:00"),
    ]


def test_same_finding_in_two_files_at_one_instant_is_one_finding(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """A in both files of one instant (X = [A, B], Y = [A]) is one finding seen at one step: one
    open episode, seen in 1 step (not 2 scans' worth). The next day without A fixes it once."""
    scan(1, [A, B])
    scan(1, [A])
    assert sql("SELECT count(*) FROM scans") == [(2,)]
    assert episodes(sql) == [("R1", 1, "02", None, "open"), ("R2", 1, "02", None, "open")]
    assert sql("SELECT rule_id, scans_seen FROM findings ORDER BY 1") == [("R1", 1), ("R2", 1)]
    scan(2, [B])
    assert episodes(sql) == [("R1", 1, "02", "03", "fixed"), ("R2", 1, "02", None, "open")]


def test_repeats_in_files_of_one_instant_count_as_the_largest_repeat(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """Repeat numbering is per file: X = [A, A] gives A and A#2, Y = [A] gives A. At their common
    instant A and A#2 are present (the most copies any part saw), so a later [A, A] fixes nothing
    and a later [A] fixes A#2 only."""
    scan(1, [A, A])
    scan(1, [A])
    assert sql("SELECT fingerprint LIKE '%#2', scans_seen, status, episodes FROM findings ORDER BY 1") == [
        (False, 1, "open", 1),
        (True, 1, "open", 1),
    ]
    scan(2, [A, A])
    rows = sql("SELECT fingerprint LIKE '%#2', status FROM findings ORDER BY 1")
    assert rows == [(False, "open"), (True, "open")]
    scan(3, [A])
    assert sql("SELECT fingerprint LIKE '%#2', status FROM findings ORDER BY 1") == [(False, "open"), (True, "fixed")]


def test_suppressed_in_one_part_present_in_another_is_present(scan, sql) -> None:  # type: ignore[no-untyped-def]
    """At one instant, X has A suppressed and Y has A unsuppressed: A is present (an unsuppressed
    occurrence is a finding); its later suppression closes it as suppressed, at that scan."""
    scan(1, [A_SUPPRESSED])
    scan(1, [A, B])
    assert episodes(sql, "R1") == [("R1", 1, "02", None, "open")]
    assert sql("SELECT scans_seen FROM findings WHERE rule_id = 'R1'") == [(1,)]
    scan(2, [A_SUPPRESSED, B])
    assert episodes(sql, "R1") == [("R1", 1, "02", "03", "suppressed")]
    closing = sql("SELECT closed_scan_id FROM episodes e JOIN findings f USING (finding_id) WHERE f.rule_id = 'R1'")
    assert closing == [(scan_of(sql, "R2", "03"),)]


def test_multiple_runs_of_one_stream_in_one_file_are_one_scan(write_sarif, run_ingest, sql) -> None:  # type: ignore[no-untyped-def]
    log = sarif_log([A])
    log["runs"].append(json.loads(json.dumps(log["runs"][0])))
    log["runs"][1]["results"] = [B]
    path = write_sarif("two-runs.sarif", log)
    assert run_ingest("sarif", path, "--project", "p", "--scanned-at", T[1])[0] == 0
    assert sql("SELECT count(*), list(run_indexes) FROM scans") == [(1, [[0, 1]])]
    assert [e[4] for e in episodes(sql)] == ["open", "open"]


def test_postgresql_plans_the_recompute_on_statistics_that_know_the_load(  # type: ignore[no-untyped-def]
    engine, write_sarif, run_ingest, sql
) -> None:
    """PostgreSQL plans from table statistics that autovacuum refreshes only a while after a load;
    planned on a just-loaded table it still believes empty, the recompute ran nested loops (a
    minute for 30,000 occurrences). A load that grows the table has it analysed before the
    recompute: the statistics then count every occurrence (3 files of 400)."""
    if engine != "postgresql":
        pytest.skip("DuckDB plans without stored table statistics")
    paths = [write_sarif(f"big{i}.sarif", sarif_log([result(f"R{j}", f"src/{j}.py", i + 1) for j in range(400)]))
             for i in range(3)]  # fmt: skip
    assert run_ingest("sarif", *paths, "--project", "p", "--scanned-at", T[1])[0] == 0
    assert sql("SELECT count(*) FROM occurrences") == [(1200,)]
    assert sql("SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE relname = 'occurrences'") == [(1200,)]


# ------------------------------------------------------------------------ order independence
SCAN_CONTENTS: list[list[dict[str, Any]]] = [
    [A, B],
    [A],
    [A_SUPPRESSED, B],
    [],
    [A, B, finding("R3", "pickle.loads(x)")],
    [B, finding("R3", "pickle.loads(x)")],
]


def _episodes_of(db: Path | str) -> list[tuple[Any, ...]]:
    """The episodes, then the rules with the metadata the store kept (each scan words R1 its own
    way, as a scanner's releases reword their rules: the newest scan's wording must be kept)."""
    with Store(db).read() as conn:
        return query_rows(
            conn,
            "SELECT finding_id, seq, opened_at, closed_at, status, opened_scan_id, closed_scan_id "
            "FROM episodes ORDER BY ALL",
        ) + query_rows(conn, "SELECT tool, rule_id, short_description, seen_at, seen_in FROM rules ORDER BY ALL")


def worded(i: int) -> dict[str, Any]:
    """Scan i's metadata for rule R1."""
    return {"id": "R1", "shortDescription": {"text": f"R1 as worded in scan {i}"}}


@pytest.fixture(scope="module")
def scan_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("scans")
    paths = []
    for i, results in enumerate(SCAN_CONTENTS):
        p = folder / f"s{i}.sarif"
        log = sarif_log(results)
        log["runs"][0]["tool"]["driver"]["rules"] = [worded(i)]
        p.write_text(json.dumps(log))
        paths.append(p)
    return paths


@pytest.fixture(scope="module")
def reference_episodes(
    scan_files: list[Path], tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest
) -> list[tuple[Any, ...]]:
    db = new_database(engine, tmp_path_factory.mktemp("ref"), request)
    for i, p in enumerate(scan_files):
        assert ingest_main(["sarif", str(p), "--db", str(db), "--project", "p", "--scanned-at", T[i]]) == 0
    state = _episodes_of(db)
    # Scan 5 describes R1 too but has no R1 result: a rule is stored from the files citing it, so
    # the newest wording is scan 4's.
    assert [r[:3] for r in state if len(r) == 5 and r[1] == "R1"] == [("demo-tool", "R1", "R1 as worded in scan 4")]
    eps = [e for e in state if len(e) == 7]
    assert len(eps) >= 4  # the fixture really exercises open, fixed, suppressed and reopened
    assert {e[4] for e in eps} == {"open", "fixed", "suppressed"}
    return state


# Each example loads its scans into a database of its own. On PostgreSQL that is a new database
# per example, and the orders explored are the engine's business only through the SQL they run:
# fewer examples there keep the module quick (15 + 10 examples on DuckDB, 6 + 4 on PostgreSQL).
ORDERS = st.permutations(range(len(SCAN_CONTENTS)))


def examples(engine: str, duckdb: int) -> settings:
    return settings(max_examples=duckdb if engine == "duckdb" else max(3, duckdb * 2 // 5), deadline=None)


def episodes_after_loading(order: list[int], times: list[str], scan_files: list[Path], db: Path | str) -> list[Any]:
    for i in order:
        assert (
            ingest_main(["sarif", str(scan_files[i]), "--db", str(db), "--project", "p", "--scanned-at", times[i]]) == 0
        )
    return _episodes_of(db)


def test_any_ingest_order_gives_identical_episodes(
    scan_files: list[Path],
    reference_episodes: list[tuple[Any, ...]],
    tmp_path_factory: pytest.TempPathFactory,
    engine: str,
) -> None:
    @examples(engine, 15)
    @given(order=ORDERS, repeat=st.booleans())
    def holds(order: list[int], repeat: bool) -> None:
        with scratch_database(engine, tmp_path_factory.mktemp("perm")) as db:
            sequence = order + (order[:2] if repeat else [])
            assert episodes_after_loading(sequence, T, scan_files, db) == reference_episodes

    holds()


# Scans 1 and 2, and scans 4 and 5, share their instants: two steps of two parts each.
TIED = [T[0], T[1], T[1], T[2], T[3], T[3]]


@pytest.fixture(scope="module")
def tied_reference(
    scan_files: list[Path], tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest
) -> list[tuple[Any, ...]]:
    """Steps: T0 {A, B}; T1 {A} ∪ {A suppressed, B} = {A, B}; T2 {}; T3 {A, B, R3} ∪ {B, R3}.
    So A and B are fixed at T2 after 2 days and reopened at T3, R3 opens at T3: five episodes,
    none closed at the instant it opened."""
    db = new_database(engine, tmp_path_factory.mktemp("tied"), request)
    for i, p in enumerate(scan_files):
        assert ingest_main(["sarif", str(p), "--db", str(db), "--project", "p", "--scanned-at", TIED[i]]) == 0
    with Store(db).read() as conn:
        summary = query_rows(
            conn,
            "SELECT f.rule_id, e.seq, strftime(e.opened_at, '%d'), strftime(e.closed_at, '%d'), e.status "
            "FROM episodes e JOIN findings f USING (finding_id) ORDER BY ALL",
        )
    assert summary == [
        ("R1", 1, "01", "03", "fixed"),
        ("R1", 2, "04", None, "open"),
        ("R2", 1, "01", "03", "fixed"),
        ("R2", 2, "04", None, "open"),
        ("R3", 1, "04", None, "open"),
    ]
    return _episodes_of(db)


def test_any_ingest_order_gives_identical_episodes_with_tied_scan_times(
    scan_files: list[Path],
    tied_reference: list[tuple[Any, ...]],
    tmp_path_factory: pytest.TempPathFactory,
    engine: str,
) -> None:
    """The same with scans sharing instants: the steps, and the scan ids each episode names, do not
    depend on which part of a step was loaded first."""

    @examples(engine, 10)
    @given(order=ORDERS, repeat=st.booleans())
    def holds(order: list[int], repeat: bool) -> None:
        with scratch_database(engine, tmp_path_factory.mktemp("tperm")) as db:
            sequence = order + (order[:2] if repeat else [])
            assert episodes_after_loading(sequence, TIED, scan_files, db) == tied_reference

    holds()
