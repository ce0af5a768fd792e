"""What the dashboard shows a lead in a sprint review: windows people type on every
page, defaults that follow the data, like-with-like comparisons with their counts, risk first,
readable charts and no silent caps. Streamlit AppTest on the sample history (scans 2026-06-01 ..
2026-08-10, so "now" is months after the data ends) and on a small demo (~900 scans)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from analytics import catalog
from analytics.filters import Filters
from store.db import Store
from tests.conftest import new_database, seed_samples_with_deployments
from tests.test_demo import run_demo

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = [
    "app_pages/overview.py",
    "app_pages/remediation.py",
    "app_pages/velocity.py",
    "app_pages/findings.py",
    "app_pages/sprint_review.py",
    "app_pages/scans.py",
]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The sample history with deployments: a DuckDB file, or (tests marked ``engines``) a
    PostgreSQL URL too."""
    tmp = tmp_path_factory.mktemp("app-trust")
    db: Path = new_database(engine, tmp, request)  # type: ignore[assignment]
    seed_samples_with_deployments(db, tmp)
    mp = pytest.MonkeyPatch()
    mp.setenv("FINDINGS_DB", str(db))
    mp.chdir(tmp)
    yield db
    mp.undo()


def run(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "query",
    [
        {"since": "2030-01-01"},  # future
        {"since": "2030-01-01", "until": "2030-02-01"},
        {"since": "2020-01-01", "until": "2020-02-01"},  # before the first scan
        {"until": "9999-12-31"},  # absurd
        {"since": "0001-01-01"},
        {"since": "2026-08-01", "until": "2026-07-01"},  # reversed
    ],
)
def test_every_page_survives_the_windows_people_type(samples: Path, page: str, query: dict[str, str]) -> None:
    at = run(page, **query)
    assert not at.exception, [e.value for e in at.exception]
    if query.get("since") == "2026-08-01":
        assert any("From 2026-08-01 is after To 2026-07-01" in e.value for e in at.error)
    if "9999" in query.get("until", "") or "0001" in query.get("since", ""):  # said once, then dropped
        assert any("outside 1970–2100" in w.value for w in run(**query).sidebar.warning)


@pytest.mark.engines
def test_the_window_follows_the_data_when_it_ended_long_ago(samples: Path) -> None:
    """a history whose last scan is months old opens on its last weeks, not on
    an empty "this week", and says where the data ends."""
    last = catalog.last_scan_at(Store(samples), Filters())
    assert last is not None and last.date().isoformat() == "2026-08-10"
    at = run()
    assert any("The data ends 2026-08-10" in i.value for i in at.sidebar.info)
    caption = at.caption[0].value
    assert "2026-W33" in caption  # the week holding 2026-08-10, up to that day
    assert [m.value for m in at.metric if m.label == "Open findings"] != ["0"]
    sprint = run("app_pages/sprint_review.py")
    assert not sprint.exception
    assert sprint.selectbox(key="sprint_pick").value is not None
    assert next(m for m in sprint.metric if m.label == "Still open at the end").value != "0"
    # an explicit To wins
    assert not any("The data ends" in i.value for i in run(until="2026-07-31").sidebar.info)


@pytest.mark.engines
def test_headline_compares_like_with_like_and_shows_its_counts(samples: Path) -> None:
    """2026-08-10 is a Monday, so the week of the window's end is one day long;
    it is compared with the Monday before, not with a whole week, and every MTTR and percentage
    names the count behind it."""
    at = run(until="2026-08-10")
    caption = at.caption[0].value
    assert "2026-W33, 10 Aug" in caption and "2026-W32, 03 Aug" in caption
    assert "compared like with like" in caption
    counts = [c.value for c in at.caption if c.value.startswith("n = ")]
    assert len(counts) == 4  # MTTR, KM, SLA, lead time
    assert any("fixes (before:" in c for c in counts)


def test_risk_first_and_zero_tiles_stay(samples: Path) -> None:
    """critical > high > medium > low > info everywhere; an "Open critical 0"
    tile stays visible."""
    at = run(until="2026-08-31")
    labels = [m.label for m in at.metric]
    assert labels[-5:] == ["Open critical", "Open high", "Open medium", "Open low", "Open info"]
    info = next(m for m in at.metric if m.label == "Open info")
    assert (info.value, info.delta) == ("0", "no change")  # not a red "↑ +0"
    findings = run("app_pages/findings.py", until="2026-08-31")
    severities = findings.dataframe[0].value["severity"].tolist()
    rank = {s: i for i, s in enumerate(["critical", "high", "medium", "low", "info"])}
    assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)
    assert severities[0] != severities[-1]  # more than one severity, and the riskiest first
    assert "None" not in findings.dataframe[0].value.astype(str).to_string()


def test_km_curves_by_tool_have_data_and_a_legend(samples: Path) -> None:
    """by tool the chart was blank (one colour scale shared with the SLA lines)."""
    at = run("app_pages/remediation.py", until="2026-08-31")
    at.radio(key="rem_group").set_value("tool").run()
    km = [s for s in specs(at) if "layer" in s]
    assert km, "no layered KM chart"
    spec = km[0]
    assert spec.get("resolve", {}).get("scale", {}).get("color") == "independent"
    curve = spec["layer"][0]
    assert curve["encoding"]["color"]["field"] == "tool"
    assert curve["encoding"]["color"].get("legend", {}) is not None
    data = spec["datasets"][curve["data"]["name"]] if "datasets" in spec else None
    assert data is None or {row["tool"] for row in data} == {"bandit", "ruff"}


def test_charts_count_in_whole_numbers_and_mttr_by_tool_is_small_multiples(samples: Path) -> None:
    """Count axes in whole numbers; by tool, small multiples of one statistic, no tangled lines."""
    overview = run(until="2026-08-31")
    for spec in specs(overview):
        y = spec.get("encoding", {}).get("y", {})
        if y.get("field") in ("open", "episodes"):
            assert y["axis"]["format"] == "d" and y["axis"]["tickMinStep"] == 1
    rem = run("app_pages/remediation.py", until="2026-08-31")
    rem.radio(key="rem_group").set_value("tool").run()
    assert any("facet" in s for s in specs(rem))
    assert not any(s.get("encoding", {}).get("strokeDash") for s in specs(rem))  # no "Statistic" legend


@pytest.fixture(scope="module")
def many_scans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("scans")
    code, _, err = run_demo("--seed", "1", "--scale", "0.2", "--out", str(root / "f"), "--db", str(root / "d.duckdb"))
    assert code == 0, err
    mp = pytest.MonkeyPatch()
    mp.setenv("FINDINGS_DB", str(root / "d.duckdb"))
    mp.chdir(root)
    yield root / "d.duckdb"
    mp.undo()


def test_scans_page_pages_through_everything_and_says_how_many(many_scans: Path) -> None:
    """the page and its CSV stopped at 5,000 rows without saying so."""
    total = catalog.scan_count(Store(many_scans), Filters())
    assert total > 500
    at = run("app_pages/scans.py")
    assert any(f"{total:,} scan(s), newest first: rows 1–500 shown" in c.value for c in at.caption)
    assert len(at.dataframe[0].value) == 500
    at.number_input(key="scans_page").set_value(2).run()
    assert len(at.dataframe[0].value) == min(500, total - 500)
    assert len(catalog.scans(Store(many_scans), Filters())) == total  # what the download writes
