"""The Overview's per-team table in a real browser (headless Debian Chromium, as tests/test_browser.py),
with a config that gives the sample history two teams by path and leaves the rest unowned; the
screenshot is tests/screenshots/ENGINE/overview-teams.png. Runs on both engines."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import (  # the fixtures and helpers of the browser tests
    _open,
    _shots,
    _streamlit,
    browser,  # noqa: F401 (a fixture)
    browser_db,  # noqa: F401 (a fixture)
    nothing_leaves_the_machine,  # noqa: F401 (an autouse fixture)
    pytestmark,  # noqa: F401 (browser, engines, skip without Chromium)
)

CONFIG = """
[teams]
"views" = ["sample-shop:shop/views.py"]
"data" = ["sample-shop:shop/db.py"]

[sla.teams.views]
high = 10
"""


@pytest.fixture(scope="module")
def team_server(browser_db: Path | str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    folder = tmp_path_factory.mktemp("teams-server")
    config = folder / "config.toml"
    config.write_text(CONFIG)
    before = os.environ.get("FINDINGS_CONFIG")
    os.environ["FINDINGS_CONFIG"] = str(config)  # the server's environment is copied from ours
    try:
        with _streamlit(browser_db, folder / "streamlit.log") as base:
            yield base
    finally:
        if before is None:
            os.environ.pop("FINDINGS_CONFIG", None)
        else:
            os.environ["FINDINGS_CONFIG"] = before


def test_overview_shows_the_team_table(browser: object, team_server: str, engine: str) -> None:  # noqa: F811
    page = _open(browser, f"{team_server}/?until=2026-08-31&period=month")
    page.wait_for_selector("h3:has-text('Teams')", timeout=30_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]  # let the grid paint
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    teams = page.locator("h3", has_text="Teams")  # type: ignore[attr-defined]
    table = teams.locator("xpath=following::*[@data-testid='stDataFrame'][1]")
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    # the grid is a canvas: its CSV download holds the same rows
    with page.expect_download() as dl:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download teams.csv").click()  # type: ignore[attr-defined]
    text = Path(dl.value.path()).read_text()
    header, *rows = text.splitlines()
    assert header == "team,open,overdue,mttr_mean_days,mttr_n,sla_compliance,sla_n,km_median_days,km_n"
    assert {r.split(",")[0] for r in rows} == {"data", "unowned", "views"}
    # the sidebar offers the teams, and the choice lands in the URL
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Team").count() >= 1  # type: ignore[attr-defined]
    shot = _shots(engine) / "overview-teams.png"
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    page.close()  # type: ignore[attr-defined]
    filtered = _open(browser, f"{team_server}/?until=2026-08-31&period=month&team=data")
    filtered.wait_for_selector("h3:has-text('Teams')", timeout=30_000)  # type: ignore[attr-defined]
    assert "team=data" in filtered.url  # type: ignore[attr-defined]
    with filtered.expect_download() as dl:  # type: ignore[attr-defined]
        filtered.get_by_role("button", name="Download teams.csv").click()  # type: ignore[attr-defined]
    rows = Path(dl.value.path()).read_text().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["data"]
    filtered.close()  # type: ignore[attr-defined]
