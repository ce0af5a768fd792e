"""Risk decisions in a real browser (``streamlit run serve.py`` with sign-in configured, headless
Chromium through Playwright's ``executable_path``, as in test_browser_signin.py).

Two critical findings, both past their 7-day SLA. Alice, signed in, opens one finding's page
(``/findings?finding=ID``), records "Accepted risk" with a reason: the Remediation page's overdue
list drops from 2 to 1, the finding's page shows the audit entry with her name, and the decision
row in the store records her. An anonymous browser on the same address gets the sign-in form and
no decision form: nothing more is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics import decisions as decision_reads
from analytics import tables
from analytics.filters import Filters
from app_pages import auth
from ingest.cli import main as ingest_main
from store.db import Store
from tests.browser_support import chromium, needs_chromium
from tests.conftest import result, sarif_log
from tests.test_browser_signin import IDLE, SHOTS, _context, _sign_in, _text
from tests.test_signin import PASSWORDS, Server, serve

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("browser-decisions")
    db = tmp / "d.duckdb"
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    for i, days_ago in enumerate((30, 20)):
        sarif = tmp / f"s{i}.sarif"
        results = [result(r, f"src/{r}.py", 1, properties={"security-severity": "9.5"}) for r in ("R-keep", "R-accept")]
        sarif.write_text(json.dumps(sarif_log(results, tool="demo")))
        when = (now - timedelta(days=days_ago)).isoformat() + "Z"
        assert ingest_main(["sarif", str(sarif), "--db", str(db), "--project", "shop", "--scanned-at", when]) == 0
    users = tmp / "users.toml"
    for name, password in PASSWORDS.items():
        auth.add_user(users, name, password)
    with serve(tmp, db, users) as s:
        yield s, db


@pytest.fixture(scope="module")
def browser(site: tuple[Server, Path]) -> Iterator[object]:
    with chromium() as b:
        yield b


def _open(page: object, url: str, heading: str) -> None:
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_selector(IDLE, timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_selector(f"h1:has-text('{heading}')", timeout=30_000)  # type: ignore[attr-defined]


def _overdue_caption(page: object) -> str:
    page.wait_for_selector("h3:has-text('Overdue findings')", timeout=30_000)  # type: ignore[attr-defined]
    text = _text(page)
    return next(line for line in text.splitlines() if "the most severe first" in line)


def test_accepting_a_finding_from_its_page(browser: object, site: tuple[Server, Path]) -> None:
    server, db = site
    store = Store(db)
    fid = next(str(r.finding_id) for r in tables.findings(store, Filters()).itertuples() if r.rule_id == "R-accept")
    ctx = _context(browser)
    page = ctx.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.base}/remediation")
    _sign_in(page, "alice")
    _open(page, f"{server.base}/remediation", "Remediation")
    assert "critical 2" in _overdue_caption(page)

    _open(page, f"{server.base}/findings?finding={fid}", "Findings")
    page.wait_for_selector("text=Risk decisions", timeout=30_000)
    assert "No decision in force" in _text(page)
    page.get_by_label("Reason (required)").fill("vendor fix ships next sprint")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_selector("text=In force: Accepted risk", timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    body = _text(page)
    assert "Accepted risk by alice" in body and "vendor fix ships next sprint" in body  # the audit entry
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "decision-recorded.png"), full_page=True)

    _open(page, f"{server.base}/remediation", "Remediation")
    assert "critical 1" in _overdue_caption(page)  # it left the overdue list
    assert page.locator('[data-testid="stException"]').count() == 0
    log = decision_reads.decision_log(store, Filters())
    assert list(log["kind"]) == ["accepted"] and list(log["decided_by"]) == ["alice"]
    ctx.close()  # type: ignore[attr-defined]


def test_an_anonymous_session_cannot_decide(browser: object, site: tuple[Server, Path]) -> None:
    server, db = site
    store = Store(db)
    before = len(decision_reads.decision_log(store, Filters()))
    fid = str(tables.findings(store, Filters())["finding_id"].iloc[0])
    ctx = _context(browser)
    page = ctx.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.base}/findings?finding={fid}")
    page.wait_for_selector("form input#password", timeout=60_000)
    assert page.get_by_role("button", name="Record decision").count() == 0
    assert "Risk decisions" not in _text(page)
    assert len(decision_reads.decision_log(store, Filters())) == before
    ctx.close()  # type: ignore[attr-defined]
