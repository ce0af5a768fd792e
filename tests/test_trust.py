"""Numbers a lead can trust: one definition per number, windows people really type,
read commands that do not invent a store, honest labels.

Fixture "window": one stream (project p, tool demo), scans at 01-01, 01-11, 01-21, 02-10 (2026).
    A present 01-01            → fixed 01-11, 10 days
    B present 01-01..01-21     → fixed 02-10, 40 days
    C present in every scan    → open
    S suppressed from its first scan (01-11) on: never opens an episode
Window 2026-01-05 .. 2026-02-01: A's fix (01-11) is inside it, B's fix (02-10) is after it.
So: fixed 1, MTTR 10 d; open at the window's end: B and C = 2; suppressed 1 (S, first seen inside).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics import remediation as rem
from analytics import sprints
from analytics.cli import main as analytics_main
from analytics.filters import Filters
from analytics.summary import summary
from core.errors import QueryError
from core.periods import period_label
from core.settings import Settings
from store.db import Store
from tests.conftest import new_database, result
from tests.test_remediation import _finding, _suppressed, build

pytestmark = pytest.mark.engines

SCANS = [
    ("2026-01-01T00:00:00Z", ["A", "B", "C"]),
    ("2026-01-11T00:00:00Z", ["B", "C", "S"]),
    ("2026-01-21T00:00:00Z", ["B", "C", "S"]),
    ("2026-02-10T00:00:00Z", ["C", "S"]),
]
WINDOW = Filters(since=datetime(2026, 1, 5), until=datetime(2026, 2, 1))


def _results(names: list[str]) -> list[dict[str, Any]]:
    return [_suppressed(n) if n == "S" else _finding(n) for n in names]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Store:
    tmp = tmp_path_factory.mktemp("window")
    return build(new_database(engine, tmp, request), tmp, [(when, _results(names)) for when, names in SCANS])


def cli_db(store: Store) -> str:
    """The store as ``--db`` takes it: a file's URL or the server's (with its password)."""
    return store.url.render_as_string(hide_password=False)


def test_summary_counts_only_fixes_inside_the_window(store: Store) -> None:
    """B's fix (02-10) is after the window and must not count."""
    s = summary(store, WINDOW)
    assert (s.episodes.fixed, s.mttr_mean_days, s.mttr_median_days) == (1, 10.0, 10.0)
    mttr = rem.mttr(store, WINDOW).iloc[0]
    assert (int(mttr["closed"]), mttr["mean_days"]) == (1, 10.0)
    assert s.episodes.open == int(mttr["open"]) == 2


def test_summary_counts_findings_suppressed_from_their_first_scan(store: Store) -> None:
    """S never opens an episode; it is still a suppressed finding."""
    assert summary(store).episodes.suppressed == 1
    assert summary(store, WINDOW).episodes.suppressed == 1
    later = summary(store, Filters(since=datetime(2026, 1, 25)))  # S was first seen before this window
    assert later.episodes.suppressed == 0
    assert summary(store).per_tool["demo"].episodes.suppressed == 1


def test_summary_and_export_agree_on_the_cli(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--db", cli_db(store), "--since", "2026-01-05", "--until", "2026-01-31"]
    assert analytics_main(["summary", "--json", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert analytics_main(["export", "mttr", "-o", "-", *args]) == 0
    header, row = capsys.readouterr().out.splitlines()[:2]
    mttr = dict(zip(header.split(","), row.split(","), strict=True))
    assert data["episodes"]["fixed"] == int(mttr["closed"]) == 1
    assert data["mttr_mean_days"] == float(mttr["mean_days"]) == 10.0


# ---------------------------------------------------------------------------- windows people type
def test_reversed_window_is_an_error_everywhere(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    """From > To is a clear error (exit 2), never rows of nonsense."""
    reversed_ = Filters(since=datetime(2026, 2, 1), until=datetime(2026, 1, 1))
    for call in (
        lambda: rem.mttr(store, reversed_),
        lambda: rem.flow(store, reversed_, (), "week"),
        lambda: sprints.sprint_report(store, reversed_),
        lambda: summary(store, reversed_),
    ):
        with pytest.raises(QueryError, match="reversed"):
            call()
    for kind in ("mttr", "flow", "sprint-report", "findings"):
        code = analytics_main(
            ["export", kind, "-o", "-", "--db", cli_db(store), "--since", "2026-02-01", "--until", "2026-01-01"]
        )
        assert code == 2
        assert "error: the window is reversed" in capsys.readouterr().err


@pytest.mark.parametrize("period", [None, "day", "week", "sprint"])
@pytest.mark.parametrize(
    "window",
    [
        ("--since", "2030-01-01"),  # future, without an end
        ("--since", "2030-01-01", "--until", "2030-12-31"),  # future
        ("--since", "2020-01-01", "--until", "2020-12-31"),  # before the first scan
        ("--since", "2026-01-05T00:00:00", "--until", "2026-01-05T00:00:00"),  # empty
    ],
)
def test_windows_without_data_give_headers_and_no_traceback(
    store: Store, capsys: pytest.CaptureFixture[str], period: str | None, window: tuple[str, ...]
) -> None:
    """`export flow --period week --since 2030-01-01` was a traceback."""
    for kind in ("mttr", "flow", "sla", "backlog", "survival", "aging", "sprint-report", "dora", "scans"):
        args = ["export", kind, "-o", "-", "--db", cli_db(store), *window]
        assert analytics_main(args + (["--period", period] if period else [])) == 0, kind
        out = capsys.readouterr().out
        assert out.splitlines()[0], kind  # the header is there
    assert analytics_main(["summary", "--db", cli_db(store), *window]) == 0


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1969-12-31", "2101-01-01"])
def test_absurd_dates_are_usage_errors(store: Store, capsys: pytest.CaptureFixture[str], value: str) -> None:
    for flag in ("--since", "--until"):
        with pytest.raises(SystemExit) as e:
            analytics_main(["summary", "--db", cli_db(store), flag, value])
        assert e.value.code == 2
        assert "outside 1970–2100" in capsys.readouterr().err


# -------------------------------------------------------------------------- stores and filter typos
def test_read_commands_refuse_a_store_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`summary --db typo.duckdb` made an empty 800 KB store and printed zeros."""
    typo = tmp_path / "typo.duckdb"
    assert analytics_main(["summary", "--db", str(typo)]) == 2
    assert analytics_main(["export", "mttr", "-o", "-", "--db", str(typo)]) == 2
    err = capsys.readouterr().err
    assert f"no database at {typo}" in err
    assert not typo.exists()


def test_a_filter_that_matches_nothing_names_the_closest_values(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["summary", "--db", cli_db(store), "--project", "q", "--tool", "dmeo", "--rule", "R-Z"]
    assert analytics_main(args) == 0
    err = capsys.readouterr().err
    assert "warning: --tool 'dmeo' matches nothing; closest: demo" in err
    assert "warning: --project 'q' matches nothing" in err
    assert "warning: --rule 'R-Z' matches nothing; closest: R-" in err
    assert analytics_main(["summary", "--db", cli_db(store), "--project", "p", "--cwe", "79"]) == 0
    err = capsys.readouterr().err  # --cwe 79 is read as CWE-79; the fixture has no CWE at all
    assert "--project" not in err
    assert "warning: --cwe 'CWE-79' matches nothing; no cwe is loaded" in err


# ------------------------------------------------------------------------------------ sprints
def test_no_sprint_number_below_one() -> None:
    """docs/definitions.md §8: sprints before the configured start are labelled by their start."""
    settings = Settings(sprint_start=date(2026, 1, 5), sprint_days=14)
    assert period_label("sprint", date(2026, 1, 5), settings) == "sprint 1"
    assert period_label("sprint", date(2026, 1, 19), settings) == "sprint 2"
    assert period_label("sprint", date(2026, 1, 4), settings) == "sprint of 2025-12-22"
    assert period_label("sprint", date(2025, 10, 6), settings) == "sprint of 2025-09-29"


def test_sprint_report_before_the_start_has_no_negative_numbers(store: Store) -> None:
    late = Settings(sprint_start=date(2026, 3, 2), sprint_days=14)
    report = sprints.sprint_report(store, Filters(until=datetime(2026, 2, 11)), late)
    assert not report["sprint"].str.contains(r"sprint -|sprint 0\b").any()
    assert report["sprint"].iloc[0] == "sprint of 2025-12-22"
    flow = rem.flow(store, Filters(until=datetime(2026, 2, 11)), (), "sprint", late)
    assert flow["period"].tolist() == report["sprint"].tolist()


# ------------------------------------------------------------------------------------- help text
def test_help_text_is_spelled_and_states_the_window_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        analytics_main(["export", "--help"])
    text = capsys.readouterr().out
    for wrong in ("branchs", "severitys", "cwes"):
        assert wrong not in text
    assert "includes that whole day" in " ".join(text.split())


def test_a_mistyped_flag_prints_its_subcommands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        analytics_main(["export", "mttr", "-o", "-", "--projct", "x"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m analytics export" in err
    assert "unrecognized arguments: --projct x" in err


# ------------------------------------------------------------------------------- data quality
def _block(snippet: str) -> dict[str, Any]:
    r = result("CKV_X", "main.tf", 1, properties={"security-severity": "5.0"})
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": snippet}
    return r


def test_summary_warns_about_identity_churn(tmp_path: Path, db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two findings of one rule in one file 'fixed' and two 'new' at the same
    scan (their snippets changed) are a data-quality warning beside the numbers."""
    store = build(
        db,
        tmp_path,
        [
            ("2026-01-01T00:00:00Z", [_block("a = 1"), _block("b = 1")]),
            ("2026-01-02T00:00:00Z", [_block("a = 2"), _block("b = 2")]),
        ],
    )
    capsys.readouterr()
    assert analytics_main(["summary", "--json", "--db", cli_db(store)]) == 0
    dq = json.loads(capsys.readouterr().out)["data_quality"]
    assert dq == {"identity_churn_scans": 1, "identity_churn_fixed": 2, "lead_time_negative": 0}
    assert analytics_main(["summary", "--db", cli_db(store)]) == 0
    assert "data quality: 2 'fixed' finding(s) in 1 scan(s)" in capsys.readouterr().out
