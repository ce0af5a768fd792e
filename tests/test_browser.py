"""The dashboard in a real browser: ``streamlit run serve.py`` in a subprocess, every page opened
in headless Chromium (Debian's /usr/bin/chromium through Playwright's ``executable_path``; no
browser download), no exception box, each page's main chart or table present, an upload through
the form, SARIF text shown as literal text, and a screenshot of every page (tests/screenshots/ENGINE/,
git-ignored; ``UPDATE_README_SCREENSHOT=1`` refreshes docs/overview.png from the demo history).

Everything runs twice: on a DuckDB file and on a PostgreSQL database holding the same data
(``engines``; tests/conftest.py), and the numbers both show are compared."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ingest.cli import main as ingest_main
from store.db import Store, query_rows
from tests.browser_support import chromium, needs_chromium
from tests.conftest import new_database, result, sarif_log, seed_samples_with_deployments

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.engines,
    needs_chromium,
]
PAGES = [  # (url path, title, what must be there)
    ("", "Overview", '[data-testid="stVegaLiteChart"]'),  # the default page lives at /
    ("remediation", "Remediation", '[data-testid="stVegaLiteChart"]'),
    ("velocity", "Velocity", '[data-testid="stVegaLiteChart"]'),
    ("findings", "Findings", '[data-testid="stDataFrame"]'),
    ("sprint-review", "Sprint review", '[data-testid="stDataFrame"] >> visible=true'),  # the lists are folded
    ("scans", "Scans", '[data-testid="stDataFrame"]'),
]
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> **not bold**'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _streamlit(db: Path | str, log: Path, cwd: Path = ROOT) -> Iterator[str]:
    """``streamlit run serve.py`` (as ``make app``) on DB from CWD, until healthy; its base URL.
    The database goes in the environment, as people set it, never in argv (``ps`` shows argv);
    the server's output goes to LOG (a pipe nobody reads would stall it once full), and a
    PostgreSQL password never appears there."""
    port = _free_port()
    env = {**os.environ, "FINDINGS_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"streamlit did not become healthy: {log.read_text(errors='replace')[-2000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    password = make_url(str(db)).password if "://" in str(db) else None
    assert not password or password not in log.read_text(errors="replace"), f"{log} shows the password"


@pytest.fixture(scope="module")
def browser_db(engine: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path | str:
    """The sample history with deployments, plus one hostile SARIF message, in a DuckDB file or
    a fresh PostgreSQL database."""
    tmp = tmp_path_factory.mktemp(f"browser-{engine}")
    db = new_database(engine, tmp, request)
    seed_samples_with_deployments(db, tmp)  # type: ignore[arg-type]
    hostile = tmp / "hostile.sarif"
    hostile.write_text(json.dumps(sarif_log([result("XSS-1", "web/<b>evil</b>.html", 3, message=XSS)], tool="evil")))
    assert ingest_main(["sarif", str(hostile), "--db", str(db), "--project", "sample-shop",
                        "--scanned-at", "2026-08-01T00:00:00Z"]) == 0  # fmt: skip
    return db


@pytest.fixture(scope="module")
def server(browser_db: Path | str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _streamlit(browser_db, tmp_path_factory.mktemp("server") / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


LOOPBACK = ("http://127.0.0.1:", "ws://127.0.0.1:", "http://localhost:", "ws://localhost:", "data:", "blob:")
OFFSITE: list[str] = []  # every request a page made to anywhere but this machine


@pytest.fixture(autouse=True)
def nothing_leaves_the_machine() -> Iterator[None]:
    """Nothing is fetched at run time: any request off the loopback address fails the test (a
    page icon from a font server, a chart library from a CDN, usage statistics)."""
    OFFSITE.clear()
    yield
    assert not OFFSITE, f"requests that left the machine: {OFFSITE}"


def _offsite(route: object) -> None:
    url = route.request.url  # type: ignore[attr-defined]
    if url.startswith(LOOPBACK):
        route.continue_()  # type: ignore[attr-defined]
    else:
        OFFSITE.append(url)
        route.abort()  # type: ignore[attr-defined]


def _open(browser: object, url: str) -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 2600})  # type: ignore[attr-defined]
    page.route("**/*", _offsite)  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    return page


SHOWN: dict[str, dict[str, list[str]]] = {}  # engine → page → the metrics' text, as the browser shows them


def _metrics(page: object) -> list[str]:
    return page.locator('[data-testid="stMain"] [data-testid="stMetric"]').all_inner_texts()  # type: ignore[attr-defined,no-any-return]


def _no_password(page: object, db: Path | str) -> None:
    password = make_url(str(db)).password if "://" in str(db) else None
    assert not password or password not in page.content()  # type: ignore[attr-defined]


def _shots(engine: str) -> Path:
    folder = SHOTS / engine
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize(("path", "title", "main"), PAGES)
def test_page_renders(
    browser: object, server: str, browser_db: Path | str, engine: str, path: str, title: str, main: str
) -> None:
    page = _open(browser, f"{server}/{path}?until=2026-08-31&period=month")
    assert page.locator("text=Page not found").count() == 0  # type: ignore[attr-defined]
    page.wait_for_selector(main, timeout=30_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(800)  # type: ignore[attr-defined]  # let charts paint
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0  # type: ignore[attr-defined]
    assert page.locator("h1", has_text=title).count() == 1  # type: ignore[attr-defined]
    SHOWN.setdefault(engine, {})[title] = _metrics(page)
    # the sidebar names the database as people know it (a path, or host:port/database), never a password
    sidebar = " ".join(page.locator('[data-testid="stSidebar"]').inner_text().split())  # type: ignore[attr-defined]
    assert f"Database: {Store(browser_db).where}" in sidebar, sidebar
    _no_password(page, browser_db)
    shot = _shots(engine) / f"{path or 'overview'}.png"
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    page.close()  # type: ignore[attr-defined]


README_DEMO_END = "2026-11-29"  # a Sunday: the headline shows that whole week against the one before


@pytest.mark.skipif(
    not os.environ.get("UPDATE_README_SCREENSHOT"), reason="make screenshot refreshes docs/overview.png"
)
def test_readme_screenshot(browser: object, tmp_path: Path) -> None:
    """docs/overview.png: the Overview of the demo history (a fixed end, so that the picture does
    not depend on the day it is taken), as a lead sees it after `make run` and `make app`."""
    from demo.cli import main as demo_main

    db = tmp_path / "data" / "findings.duckdb"
    assert demo_main(["--end", README_DEMO_END, "--db", str(db), "--out", str(tmp_path / "data" / "demo")]) == 0
    with _streamlit(db, tmp_path / "streamlit.log", cwd=tmp_path) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1500})  # type: ignore[attr-defined]
        page.route("**/*", _offsite)  # type: ignore[attr-defined]
        page.goto(f"{base}/?until={README_DEMO_END}")  # type: ignore[attr-defined]
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)  # type: ignore[attr-defined]
        page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=60_000)  # type: ignore[attr-defined]
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]  # let the charts paint
        assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
        (ROOT / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / "overview.png"))  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]


WINDOWS = [  # windows people type: future, reversed, before the first scan, absurd
    ("since=2030-01-01", None),
    ("since=2026-08-01&until=2026-07-01", "From 2026-08-01 is after To 2026-07-01"),
    ("since=2020-01-01&until=2020-03-31", None),
    ("until=9999-12-31", "outside 1970–2100"),
]


@pytest.mark.parametrize(("path", "title", "main"), PAGES)
def test_page_survives_the_windows_people_type(browser: object, server: str, path: str, title: str, main: str) -> None:
    """Every page, with a future, a reversed, a too-early and an absurd window: no
    exception box, the page says what is wrong, and no request leaves the machine."""
    for query, says in WINDOWS:
        page = _open(browser, f"{server}/{path}?{query}")
        page.wait_for_timeout(500)  # type: ignore[attr-defined]
        assert page.locator('[data-testid="stException"]').count() == 0, query  # type: ignore[attr-defined]
        if says:
            assert page.get_by_text(says).count() >= 1, query  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]


def test_sarif_text_is_shown_as_text(browser: object, server: str, engine: str) -> None:
    """A message with <script> and <img onerror> is literal text in the table and the detail."""
    page = _open(browser, f"{server}/findings?until=2026-08-31")
    page.get_by_label("Search rule, CWE, path or message").fill("XSS-1")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')  # type: ignore[attr-defined]
    assert page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]
    assert page.locator("img[src='x']").count() == 0  # type: ignore[attr-defined]
    # select the row (the data grid is a canvas: click its first data row) and read the detail
    grid = page.locator('[data-testid="stDataFrame"]').first  # type: ignore[attr-defined]
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 55)  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')  # type: ignore[attr-defined]
    texts = page.locator('[data-testid="stText"]').all_inner_texts()  # type: ignore[attr-defined]
    assert XSS in texts, texts
    assert page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]
    assert page.locator("img[src='x']").count() == 0  # type: ignore[attr-defined]
    page.screenshot(path=str(_shots(engine) / "findings-detail.png"), full_page=True)  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_upload_through_the_form(browser: object, server: str, engine: str, browser_db: Path | str) -> None:
    """The form runs the command line's ingest in a child process (the database's URL, password
    included, reaches it through the environment): the new scan is in the store and on the page."""
    page = _open(browser, f"{server}/scans")
    sample = ROOT / "tests" / "data" / "sarif-tutorials-eslint-simple-example.sarif"
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(sample))  # type: ignore[attr-defined]
    form = page.locator('[data-testid="stForm"]')  # type: ignore[attr-defined]
    form.get_by_label("Project").fill("browser/upload")
    page.wait_for_timeout(500)  # type: ignore[attr-defined]  # the uploader finishes sending the file
    form.locator("button", has_text="Load").click()
    page.wait_for_selector(f"text={sample.name}: loaded 1 scan(s), 1 occurrence(s)", timeout=30_000)  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stDataFrame"]')  # type: ignore[attr-defined]
    page.screenshot(path=str(_shots(engine) / "scans-after-upload.png"), full_page=True)  # type: ignore[attr-defined]
    # the grid is a canvas; the scans CSV download holds the same rows: check the new project there
    with page.expect_download() as dl:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download scans.csv").click()  # type: ignore[attr-defined]
    text = Path(dl.value.path()).read_text()
    assert "browser/upload" in text and "eslint" in text
    page.close()  # type: ignore[attr-defined]
    with Store(browser_db).read() as conn:
        assert query_rows(conn, "SELECT tool FROM scans WHERE project = 'browser/upload'") == [("eslint",)]


def test_cli_ingest_while_the_app_is_open(browser: object, server: str, browser_db: Path | str, tmp_path: Path) -> None:
    """The app keeps no connection open: a command-line ingest succeeds meanwhile, and the new
    scan is there after a refresh."""
    page = _open(browser, f"{server}/scans")
    page.wait_for_selector('[data-testid="stDataFrame"]')  # type: ignore[attr-defined]
    new = tmp_path / "cli.sarif"
    new.write_text(json.dumps(sarif_log([result("CLI-1", "cli/new.py", 1)], tool="cli-scanner")))
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", "sarif", str(new), "--project", "cli/project",
         "--scanned-at", "2026-08-02T00:00:00Z"],
        cwd=ROOT, env={**os.environ, "FINDINGS_DB": str(browser_db)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "loaded 1 scan(s)" in proc.stdout and "lock" not in proc.stderr.lower()
    page.reload()  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stDataFrame"]')  # type: ignore[attr-defined]
    with page.expect_download() as dl:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download scans.csv").click()  # type: ignore[attr-defined]
    assert "cli/project" in Path(dl.value.path()).read_text()
    page.close()  # type: ignore[attr-defined]


def test_first_run_demo_button_fills_the_dashboard(
    browser: object, engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An empty database offers the demo; its button generates and loads it from inside the app
    (the load is big enough to use worker processes, started from the Streamlit server, which
    must not run the dashboard script themselves) and the Overview then shows a year of history."""
    from demo.cli import default_end

    db = new_database(engine, tmp_path, request)
    # the demo's files go under tmp_path/data/demo/
    with _streamlit(db, tmp_path / "streamlit.log", cwd=tmp_path) as base:
        page = _open(browser, base)
        end = default_end()  # the demo's history ends yesterday: the same data on both engines, the same day
        page.get_by_role("button", name="Load the demo history").click()  # type: ignore[attr-defined]
        page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=240_000)  # type: ignore[attr-defined]
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')  # type: ignore[attr-defined]
        assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
        assert page.locator("h1", has_text="Overview").count() == 1  # type: ignore[attr-defined]
        if default_end() == end:
            SHOWN.setdefault(engine, {})[f"demo Overview ending {end:%Y-%m-%d}"] = _metrics(page)
        _no_password(page, db)
        page.screenshot(path=str(_shots(engine) / "first-run-demo.png"), full_page=True)  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]
    log = (tmp_path / "streamlit.log").read_text(errors="replace")
    assert "missing ScriptRunContext" not in log and "without `streamlit run`" not in log, log[-3000:]
    sarif = sorted((tmp_path / "data" / "demo").rglob("*.sarif"))
    with Store(db).read() as conn:
        (scans, open_findings, projects), = query_rows(
            conn, "select (select count(*) from scans), (select count(*) from findings where status = 'open'),"
            " (select count(distinct project) from scans)"
        )  # fmt: skip
    assert scans == len(sarif) > 300 and open_findings > 0 and projects == 8


def test_both_engines_show_the_same_numbers(engine: str) -> None:
    """The same data in DuckDB and in PostgreSQL — the sample history on every page, the demo's
    year on the Overview — shows the same metrics, word for word (this runs after the other tests
    of its engine; the PostgreSQL run compares with what the DuckDB run saw)."""
    shown = SHOWN.get(engine, {})
    assert shown.get("Overview") and shown.get("Velocity"), f"the {engine} run recorded no metrics: {shown}"
    assert all(metrics for title, metrics in shown.items() if title.startswith("demo")), shown
    if engine == "duckdb":
        return
    if "duckdb" not in SHOWN:
        pytest.skip("the DuckDB run did not run in this session: nothing to compare with")
    assert {title for _, title, _ in PAGES} <= set(SHOWN["duckdb"]) & set(shown)
    for title, metrics in SHOWN["duckdb"].items():
        if title in shown:  # a demo recorded on another day is not the same data
            assert shown[title] == metrics, title
