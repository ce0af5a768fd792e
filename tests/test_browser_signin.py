"""Sign-in in a real browser: ``streamlit run serve.py`` started from /, headless Chromium
(Debian's /usr/bin/chromium through Playwright's ``executable_path``).

The take-over of item 1, end to end: Alice signs in; her session id leaks the way the issue says
(the URL of an upload); a second browser context — its own cookies, no password — makes the
Streamlit frontend connect with that id (the third value of the WebSocket's subprotocol list,
which the frontend fills from the session it last had). On main that browser was shown "Signed in
as alice" and the Overview. Here it sees only the sign-in form; signed in as Bob with Alice's id it
gets a session of its own; and Alice's session goes on undisturbed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_pages import auth
from ingest.cli import main as ingest_main
from tests.browser_support import chromium, needs_chromium
from tests.conftest import result, sarif_log, seed_samples_with_deployments
from tests.test_signin import PASSWORDS, Server, serve

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
WORD_JOINER = "\u2060"
pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EVIL_RULE = "https://evil.example/rule :smile: :material/home:"
EVIL_PATH = "www.evil.example/app.py"

# Make every WebSocket this page opens present SESSION_ID as the session to resume, as the Streamlit
# frontend does on a reconnect (entries: protocol, XSRF token, session id).
REUSE_SESSION = """(() => {
  const Real = window.WebSocket;
  const sid = %s;
  function Reusing(url, protocols) {
    const list = (protocols || []).slice(0, 2);
    while (list.length < 2) list.push("PLACEHOLDER_AUTH_TOKEN");
    list.push(sid);
    return new Real(url, list);
  }
  Reusing.prototype = Real.prototype;
  Object.assign(Reusing, Real);
  window.WebSocket = Reusing;
})();"""

# Open a WebSocket to Streamlit with SESSION_ID from inside the page; report what happened.
PROBE_SOCKET = """async (sid) => {
  const url = location.origin.replace("http", "ws") + "/_stcore/stream";
  return await new Promise((resolve) => {
    const seen = {opened: false, messages: 0};
    const ws = new WebSocket(url, ["streamlit", "PLACEHOLDER_AUTH_TOKEN", sid]);
    ws.onopen = () => { seen.opened = true; };
    ws.onmessage = () => { seen.messages += 1; };
    ws.onclose = () => resolve(seen);
    setTimeout(() => { ws.close(); resolve(seen); }, 5000);
  });
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("browser-signin")
    db = tmp / "b.duckdb"
    seed_samples_with_deployments(db, tmp)
    evil = tmp / "evil.sarif"
    evil.write_text(json.dumps(sarif_log([result(EVIL_RULE, EVIL_PATH, 3, message="see www.evil.example")])))
    assert ingest_main(["sarif", str(evil), "--db", str(db), "--project", "sample-shop",
                        "--scanned-at", "2026-08-01T00:00:00Z"]) == 0  # fmt: skip
    users = tmp / "users.toml"
    for name, password in PASSWORDS.items():
        auth.add_user(users, name, password)
    with serve(tmp, db, users, cwd=Path("/")) as s:
        yield s


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[object]:
    with chromium() as b:
        yield b


def _context(browser: object, reuse_session: str | None = None) -> object:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1800})  # type: ignore[attr-defined]
    if reuse_session:
        ctx.add_init_script(REUSE_SESSION % json.dumps(reuse_session))
    return ctx


def _sign_in(page: object, user: str) -> None:
    """Fill the sign-in form the page shows and wait for the dashboard."""
    page.wait_for_selector("form input#user")  # type: ignore[attr-defined]
    page.fill("#user", user)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORDS[user])  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_selector(IDLE, timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_selector(f"text=Signed in as {user}", timeout=30_000)  # type: ignore[attr-defined]


def _sidebar_page(page: object, title: str) -> None:
    """Go to a page by its sidebar link: the same session, as a click does."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()  # type: ignore[attr-defined]
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.wait_for_selector(IDLE, timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=30_000)  # type: ignore[attr-defined]


def _leaked_session_id(page: object) -> str:
    """The page's session id, as a proxy log would show it: from the URL of an upload."""
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url) if "/_stcore/upload_file/" in r.url else None)  # type: ignore[attr-defined]
    sample = ROOT / "tests" / "data" / "sarif-tutorials-eslint-simple-example.sarif"
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(sample))  # type: ignore[attr-defined]
    for _ in range(100):
        if urls:
            break
        page.wait_for_timeout(100)  # type: ignore[attr-defined]
    assert urls, "the upload sent no request"
    return urls[0].split("/_stcore/upload_file/", 1)[1].split("/", 1)[0]


def _text(page: object) -> str:
    return str(page.locator("body").inner_text())  # type: ignore[attr-defined]


def test_a_session_id_alone_gets_only_the_sign_in_form(browser: object, server: Server) -> None:
    alice_ctx = _context(browser)
    alice = alice_ctx.new_page()  # type: ignore[attr-defined]
    alice.goto(f"{server.base}/scans")
    _sign_in(alice, "alice")
    assert alice.locator("h1", has_text="Scans").count() == 1  # back where she was going
    sid = _leaked_session_id(alice)

    # a second browser, no cookies, no password, presenting alice's session id
    mallory_ctx = _context(browser, reuse_session=sid)
    mallory = mallory_ctx.new_page()  # type: ignore[attr-defined]
    mallory.goto(f"{server.base}/")
    mallory.wait_for_selector("form input#password")
    assert mallory.locator("h1").all_inner_texts() == ["Sign in"]
    assert "alice" not in _text(mallory) and mallory.locator('[data-testid="stApp"]').count() == 0
    SHOTS.mkdir(exist_ok=True)
    mallory.screenshot(path=str(SHOTS / "signin-session-id-reused.png"), full_page=True)
    # ... and from that page, Streamlit's own WebSocket with the id: refused before a single message
    assert mallory.evaluate(PROBE_SOCKET, sid) == {"opened": False, "messages": 0}
    put = mallory.evaluate(
        """async (sid) => { try { return (await fetch(`/_stcore/upload_file/${sid}/x`, {method: "PUT",
             body: new Blob([new Uint8Array(1 << 20)])})).status; } catch (e) { return "connection closed"; } }""",
        sid,
    )
    assert put in (401, "connection closed")  # refused before its body was read

    # signed in as bob, still presenting alice's id: a session of bob's own
    _sign_in(mallory, "bob")
    assert "Signed in as alice" not in _text(mallory)

    # alice's session went on: same page, same sign-in
    _sidebar_page(alice, "Overview")
    assert "Signed in as alice" in _text(alice) and alice.locator('[data-testid="stMetric"]').count() > 0
    assert alice.locator('[data-testid="stException"]').count() == 0
    alice_ctx.close()  # type: ignore[attr-defined]
    mallory_ctx.close()  # type: ignore[attr-defined]


def test_signing_out_ends_the_cookie_and_its_copies(browser: object, server: Server) -> None:
    ctx = _context(browser)
    page = ctx.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.base}/")
    _sign_in(page, "alice")
    copied = [c for c in ctx.cookies() if c["name"] == "findings_signin"]  # type: ignore[attr-defined]
    assert copied and copied[0]["httpOnly"] and copied[0]["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("text=You are signed out.", timeout=30_000)
    assert not [c for c in ctx.cookies() if c["name"] == "findings_signin"]  # type: ignore[attr-defined]
    thief = _context(browser)
    thief.add_cookies(copied)  # type: ignore[attr-defined]
    stolen = thief.new_page()  # type: ignore[attr-defined]
    stolen.goto(f"{server.base}/")
    stolen.wait_for_selector("form input#password")
    assert "Signed in" not in _text(stolen)
    ctx.close()  # type: ignore[attr-defined]
    thief.close()  # type: ignore[attr-defined]


def _no_links_or_icons(page: object) -> None:
    main = page.locator('[data-testid="stMain"]')  # type: ignore[attr-defined]
    hrefs = [a.get_attribute("href") or "" for a in main.locator("a").all()]
    assert not [h for h in hrefs if "evil" in h], hrefs
    assert main.locator('span[role="img"]').count() == 0  # no :material/…: icon
    assert "😄" not in main.inner_text()  # no :smile: emoji


def test_sarif_text_and_file_names_are_never_links(browser: object, server: Server, tmp_path: Path) -> None:
    """A URL in a rule id or path, and an upload named www.evil.example.sarif,
    stay text (no link, no icon, no emoji) in the Findings heading and the upload messages."""
    ctx = _context(browser)
    page = ctx.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.base}/scans")
    _sign_in(page, "alice")
    named = tmp_path / "www.evil.example.sarif"
    named.write_text(json.dumps(sarif_log([result("R1", "a.py", 1)], tool="linky")))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(named))
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label("Project").fill("browser/links")
    page.wait_for_timeout(500)  # the uploader finishes sending the file
    form.locator("button", has_text="Load").click()
    page.wait_for_selector('[data-testid="stAlertContentSuccess"]', timeout=60_000)
    page.wait_for_selector(IDLE)
    shown = page.locator('[data-testid="stAlertContentSuccess"]').inner_text().replace(WORD_JOINER, "")
    assert shown == "www.evil.example.sarif: loaded 1 scan(s), 1 occurrence(s)"
    _no_links_or_icons(page)

    _sidebar_page(page, "Findings")
    page.get_by_label("Search rule, CWE, path or message").fill("evil.example/rule")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1500)
    page.wait_for_selector(IDLE)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 55)  # the grid is a canvas: click its first data row
    page.wait_for_timeout(1500)
    page.wait_for_selector(IDLE)
    heading = page.locator("h3", has_text="evil").first.inner_text().replace(WORD_JOINER, "")
    assert heading == f"{EVIL_RULE} in {EVIL_PATH}"
    _no_links_or_icons(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "signin-plain-text.png"), full_page=True)
    ctx.close()  # type: ignore[attr-defined]
