"""The sprint review pack in a real browser: headless Chromium (Debian's /usr/bin/chromium through
Playwright's ``executable_path``; no browser download) opens the HTML from a server on 127.0.0.1.
Every request the page makes is recorded, and any that is not to that server (or a data:/about:
URL) fails the test and is refused. A screenshot goes to tests/screenshots/review-pack.png
(git-ignored); ``UPDATE_README_SCREENSHOT=1`` refreshes docs/review-pack.png from a demo history with
a fixed end (its first 2100 pixels: the headline, the action list, coverage and trends).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from analytics.filters import Filters
from analytics.report import render_html
from analytics.review import review
from core.settings import Settings
from store.db import Store
from tests.browser_support import chromium, needs_chromium
from tests.test_report import WINDOW, build_pack_store

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
DOCS_END = datetime(2026, 11, 23)  # the docs' picture: sprint 23 of the demo history, complete


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on 127.0.0.1 (a free port), for the duration of the block."""
    handler = functools.partial(Quiet, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def open_pack(
    browser: Any, html: str, folder: Path, shot: Path | None = None, height: int | None = None
) -> dict[str, Any]:
    """Open ``html`` served from ``folder``; returns what the page did: every request's URL, the
    ones refused (off the machine), the number of scripts and images, the dialogs it opened. A
    screenshot to ``shot``: the whole page, or its first ``height`` pixels."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "review.html").write_text(html, encoding="utf-8")
    seen: dict[str, Any] = {"requests": [], "refused": [], "dialogs": []}
    with serve(folder) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith((f"{base}/", "data:", "about:")):
                r.continue_()
            else:
                seen["refused"].append(url)
                r.abort()

        page.route("**/*", route)
        page.goto(f"{base}/review.html", wait_until="load")
        page.wait_for_timeout(300)
        seen["base"] = base
        seen["scripts"] = page.evaluate("document.scripts.length")
        seen["images"] = page.evaluate("document.images.length")
        seen["pwned"] = page.evaluate("window.__pwned === undefined ? null : window.__pwned")
        seen["svgs"] = page.locator("figure svg").count()
        seen["cells"] = page.locator("td").all_inner_texts()
        seen["h1"] = page.locator("h1").inner_text()
        seen["pdf"] = len(page.pdf(format="A4", print_background=True))  # "print to PDF" works
        if shot is not None:
            shot.parent.mkdir(parents=True, exist_ok=True)
            if height:
                page.set_viewport_size({"width": 1280, "height": height})
            page.screenshot(path=str(shot), full_page=not height)
        page.close()
    return seen


def nothing_left(seen: dict[str, Any]) -> None:
    assert not seen["refused"], f"requests that left the machine: {seen['refused']}"
    others = [u for u in seen["requests"] if not u.startswith((seen["base"] + "/", "data:", "about:"))]
    assert not others, others
    assert seen["requests"] == [f"{seen['base']}/review.html"]  # the page itself, nothing else


def test_hostile_text_is_text_in_the_browser(browser: Any, tmp_path: Path) -> None:
    """The pack of a store whose rule ids, paths and messages are markup: no script runs, no image
    loads, no dialog opens, and the browser shows the markup as the cells' text."""
    (tmp_path / "store").mkdir()
    db = build_pack_store(tmp_path / "store")
    html = render_html(review(Store(db), WINDOW, Settings()))
    seen = open_pack(browser, html, tmp_path / "site")
    nothing_left(seen)
    assert (seen["scripts"], seen["images"], seen["pwned"], seen["dialogs"]) == (0, 0, None, [])
    assert "rule<script>window.__pwned=1</script>" in seen["cells"]
    assert 'src/"<img src=x onerror="window.__pwned=2">".py:3' in seen["cells"]
    assert seen["svgs"] == 2


def test_demo_pack_opens_offline(browser: Any, demo: dict[str, Any], tmp_path: Path) -> None:
    """The pack of the demo history: two charts drawn, nothing requested but the page; screenshot
    kept in tests/screenshots/."""
    store = Store(demo["db"])
    with store.session():
        html = render_html(review(store, Filters(), Settings()))
    seen = open_pack(browser, html, tmp_path / "site", ROOT / "tests" / "screenshots" / "review-pack.png")
    nothing_left(seen)
    assert seen["svgs"] == 2 and seen["scripts"] == 0 and seen["h1"].startswith("Sprint review — sprint")
    assert seen["pdf"] > 50_000


@pytest.mark.skipif(
    not os.environ.get("UPDATE_README_SCREENSHOT"), reason="make screenshot refreshes docs/review-pack.png"
)
def test_docs_screenshot(browser: Any, tmp_path: Path) -> None:
    """docs/review-pack.png: the pack of sprint 23 of a demo history ending on its last day (a fixed
    end, so that the picture does not depend on the day it is taken)."""
    from demo.cli import main as demo_main

    db = tmp_path / "findings.duckdb"
    end = "2026-11-22"
    assert demo_main(["--end", end, "--scale", "0.3", "--db", str(db), "--out", str(tmp_path / "demo")]) == 0
    store = Store(db)
    with store.session():
        pack = review(store, Filters(until=DOCS_END), Settings(), "sprint 23")
    seen = open_pack(
        browser, render_html(pack, generated_at=DOCS_END), tmp_path / "site", ROOT / "docs" / "review-pack.png", 2100
    )
    nothing_left(seen)
