"""The dashboard, page by page, with Streamlit's AppTest on a seeded database: each page runs
without exceptions, the sidebar filters change the numbers, and the numbers shown are the
analytics functions' results for the same filters. The tests marked ``engines`` run on DuckDB and
on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from analytics import catalog, dora, overview, remediation, review, sprints, tables
from analytics.filters import Filters
from app_pages.loading import SAMPLES
from app_pages.text import WORD_JOINER
from core.settings import Settings
from ingest.manifest import read_manifest
from store.db import Store
from tests.conftest import new_database, seed_samples_with_deployments

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
UNTIL = "2026-08-31"
FILTER_UNTIL = datetime(2026, 9, 1)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The bundled sample history (ruff + bandit, 8 commits of sample-shop) plus deployments of
    those commits (one failed, one with an incident): a DuckDB file, or a PostgreSQL URL."""
    tmp = tmp_path_factory.mktemp("app")
    db: Path = new_database(engine, tmp, request)  # type: ignore[assignment]
    seed_samples_with_deployments(db, tmp)
    mp = pytest.MonkeyPatch()
    mp.setenv("FINDINGS_DB", str(db))
    mp.chdir(tmp)  # no config.toml here: defaults
    yield db
    mp.undo()


def open_page(page: str | None = None, **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["until"] = UNTIL
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, (label, [m.label for m in at.metric])
    return found[0]


@pytest.mark.engines
def test_overview(seeded: Path) -> None:
    at = open_page(period="month")
    store = Store(seeded)
    head = overview.headline(store, Filters(until=FILTER_UNTIL), "month", Settings())
    assert metric(at, "Open findings") == f"{head.open_total.current:,.0f}"
    assert metric(at, "Fixed") == f"{head.fixed.current:,.0f}"
    assert len(at.get("vega_lite_chart")) >= 2  # backlog and flow
    # the flow chart leaves the first scans' backlog out of the inflow until asked, and says so
    baseline = int(remediation.flow(store, Filters(until=FILTER_UNTIL), (), "month", Settings())["first_scan"].sum())
    assert baseline > 0
    assert any(f"Inflow leaves out {baseline:,} finding(s)" in c.value for c in at.caption)
    at.checkbox(key="flow_first_scans").check().run()
    assert not at.exception and not any("Inflow leaves out" in c.value for c in at.caption)
    # a filter changes the numbers: bandit only
    at.multiselect(key="f_tool").set_value(["bandit"]).run()
    assert not at.exception
    only = overview.headline(store, Filters(tools=("bandit",), until=FILTER_UNTIL), "month", Settings())
    assert metric(at, "Open findings") == f"{only.open_total.current:,.0f}"
    assert only.open_total.current != head.open_total.current
    assert "bandit" in str(at.query_params.get("tool"))  # the view is kept in the URL


def test_remediation(seeded: Path) -> None:
    at = open_page("app_pages/remediation.py")
    store = Store(seeded)
    m = remediation.mttr(store, Filters(until=FILTER_UNTIL)).iloc[0]
    assert metric(at, "Fixed in window") == f"{int(m['closed']):,}"
    assert metric(at, "p90") == f"{m['p90_days']:,.1f} d"
    assert len(at.get("vega_lite_chart")) >= 3
    at.multiselect(key="f_severity").set_value(["high"]).run()
    high = remediation.mttr(store, Filters(severities=("high",), until=FILTER_UNTIL)).iloc[0]
    assert metric(at, "Fixed in window") == f"{int(high['closed']):,}" != f"{int(m['closed']):,}"


@pytest.mark.engines
def test_velocity(seeded: Path) -> None:
    at = open_page("app_pages/velocity.py")
    pooled = dora.dora_by_period(Store(seeded), Filters(until=FILTER_UNTIL)).iloc[0]
    assert metric(at, "Deployments") == f"{int(pooled['deployments']):,}"
    assert metric(at, "Change failure rate") == f"{100 * pooled['change_failure_rate']:.1f}%"
    assert at.dataframe[0].value["Project"].tolist() == ["sample-shop"]
    at.multiselect(key="f_project").set_value(["sample-shop"]).run()
    assert not at.exception


@pytest.mark.engines
def test_findings_search_and_history(seeded: Path) -> None:
    at = open_page("app_pages/findings.py")
    store = Store(seeded)
    everything = tables.findings(store, Filters(until=FILTER_UNTIL))
    assert len(at.dataframe[0].value) == len(everything)
    at.text_input(key="find_search").set_value("md5").run()
    md5 = tables.findings(store, Filters(until=FILTER_UNTIL), search="md5")
    assert 0 < len(at.dataframe[0].value) == len(md5) < len(everything)
    at.selectbox(key="find_status").set_value("open").run()
    assert set(at.dataframe[0].value["status"]) == {"open"}


def test_sprint_review(seeded: Path) -> None:
    at = open_page("app_pages/sprint_review.py")
    report = sprints.sprint_report(Store(seeded), Filters(until=FILTER_UNTIL), Settings())
    chosen = at.selectbox(key="sprint_pick").value
    row = report[report["sprint"] == chosen].iloc[0]
    assert metric(at, "New") == str(int(row["new"]))
    assert metric(at, "Fixed") == str(int(row["fixed"]))
    # the action list on top: the review's counts for the same filters and sprint, the pack's button
    pack = review.review(Store(seeded), Filters(until=FILTER_UNTIL), Settings(), chosen)
    assert metric(at, "New critical/high") == str(pack.actions.new.count.now)
    assert metric(at, "Critical/high past SLA") == str(pack.actions.past_sla.count.now)
    assert metric(at, "Acceptances expiring") == "—"
    assert metric(at, "Identity churn") == str(len(pack.coverage.churn))
    assert at.get("download_button") and any(
        b.proto.label.startswith("Download the review pack") for b in at.get("download_button")
    )
    # the window (until 2026-08-31, that whole day) ends on the first day of the latest sprint
    assert at.caption[0].value.startswith("2026-08-31 – 2026-08-31 (1 of its 14 days in this window;")
    busiest = report.sort_values("new").iloc[-1]["sprint"]
    at.selectbox(key="sprint_pick").set_value(busiest).run()
    assert metric(at, "New") == str(int(report[report["sprint"] == busiest].iloc[0]["new"]))
    b = report[report["sprint"] == busiest].iloc[0]
    days_in = math.ceil((b["end"] - b["start"]) / pd.Timedelta(days=1))
    # the busiest sprint is the first one, cut by the window's default start (the first episode)
    assert at.caption[0].value.startswith(f"{b['start']:%Y-%m-%d} – ")
    assert (f"({days_in} of its 14 days in this window;" if days_in < 14 else "(14 days;") in at.caption[0].value


@pytest.mark.engines
def test_scans_and_upload(seeded: Path) -> None:
    """The upload form runs the command line's ingest: the file appears among the scans."""
    at = open_page("app_pages/scans.py")
    before = len(at.dataframe[0].value)
    path = ROOT / "tests" / "data" / "sarif-tutorials-eslint-simple-example.sarif"
    at.get("file_uploader")[0].set_value((path.name, path.read_bytes(), "application/json"))
    at.text_input(key="up_project").set_value("uploaded/project")
    at.text_input(key="up_time").set_value("10:30")
    at.date_input(key="up_day").set_value(datetime(2026, 8, 20).date())
    at.button[0].click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"{path.name}: loaded 1 scan(s), 1 occurrence(s)"]
    scans = at.dataframe[0].value
    assert len(scans) == before + 1
    new = scans[scans["project"] == "uploaded/project"].iloc[0]
    assert (new["tool"], str(new["scanned_at"])) == ("eslint", "2026-08-20 10:30:00")
    # the same bytes again: "already loaded", nothing added
    at.get("file_uploader")[0].set_value((path.name, path.read_bytes(), "application/json"))
    at.text_input(key="up_project").set_value("uploaded/project")
    at.text_input(key="up_time").set_value("10:30")
    at.date_input(key="up_day").set_value(datetime(2026, 8, 20).date())
    at.button[0].click().run()
    assert [i.value for i in at.info if "already" in i.value] == [f"{path.name}: already loaded"]
    assert len(at.dataframe[0].value) == before + 1


def test_rejected_upload_is_reported(seeded: Path) -> None:
    at = open_page("app_pages/scans.py")
    at.get("file_uploader")[0].set_value(("broken.sarif", b'{"version": "2.1.0", "runs": ', "application/json"))
    at.button[0].click().run()
    assert not at.exception
    assert any(e.value.startswith("broken.sarif: rejected: invalid JSON") for e in at.error)
    assert "broken.sarif" in " ".join(at.dataframe[-1].value["path"].astype(str))


@pytest.mark.engines
def test_empty_database_explains_what_to_do(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINDINGS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("empty" in i.value for i in at.info)
    assert any("python -m ingest sarif" in c.value for c in at.code)
    at.button(key="load_samples").click().run()
    assert not at.exception
    samples, _ = read_manifest(SAMPLES)
    assert catalog.counts(Store(db))[1] == len(samples) > 0  # every sample scan, and the dashboard shows them
    assert at.title[0].value == "Overview" and len(at.get("vega_lite_chart")) >= 2


@pytest.mark.engines
def test_a_database_that_cannot_be_used_is_said_in_words(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that is not a database, a server database that does not exist: the page says so in
    the command line's words (no redacted "This app has encountered an error"), never with a password."""
    if "://" in str(db):
        url = make_url(str(db))
        unusable = url.set(database=f"{url.database}_missing").render_as_string(hide_password=False)
        says = "does not exist"
    else:
        db.write_text("not a database")
        unusable, says = str(db), "not a valid DuckDB database"
    monkeypatch.setenv("FINDINGS_DB", unusable)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = [e.value.replace(WORD_JOINER, "") for e in at.error]
    assert error.startswith("The database cannot be used: ") and says in error, error
    password = make_url(unusable).password if "://" in unusable else None
    assert not password or password not in error
