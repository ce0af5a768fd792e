"""The sprint review pack (analytics.report, ``python -m analytics report sprint``): what it says,
that text from SARIF stays text in the HTML and in the Markdown, and the command line.

The store: one stream (project p, tool demo-tool), scans 2026-02-03 and 2026-02-10 (sprint 3 =
[02-02, 02-16)), whose rule ids, paths and messages are markup: a ``<script>``, an ``<img
onerror>``, a closing ``</td>``, Markdown links and pipes. X1 (critical) is in both scans; X2
(high) only in the first (fixed 02-10).
"""

from __future__ import annotations

import json
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analytics.cli import main as analytics_main
from analytics.filters import Filters
from analytics.report import render_html, render_markdown
from analytics.review import review
from core.settings import Settings
from ingest.cli import main as ingest_main
from store.db import Store
from tests.conftest import result, sarif_log

WINDOW = Filters(since=datetime(2026, 2, 2), until=datetime(2026, 2, 16))
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
HOSTILE = {
    "X1": (f"rule{SCRIPT}", f'src/"{IMG}".py', f"</td></tr></table>{SCRIPT} [click](https://evil.example) | **b**"),
    "X2": (f"R|{IMG}", "src/<b>bold</b>.py", f"{IMG} & more"),
}


class Tags(HTMLParser):
    """Every element and attribute name of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add(tag)
        self.attrs.update(name for name, _ in attrs)


def hostile(name: str, score: str) -> dict[str, object]:
    rule, path, message = HOSTILE[name]
    return result(rule, path, 3, message=message, properties={"security-severity": score})


def build_pack_store(tmp: Path) -> Path:
    """The module docstring's store, in ``tmp`` (a DuckDB file)."""
    db = tmp / "findings.duckdb"
    scans = [
        ("2026-02-03T10:00:00Z", [hostile("X1", "9.5"), hostile("X2", "8.0")]),
        ("2026-02-10T10:00:00Z", [hostile("X1", "9.5")]),
    ]
    for i, (when, results) in enumerate(scans):
        path = tmp / f"s{i}.sarif"
        path.write_text(json.dumps(sarif_log(results)))
        assert ingest_main(["sarif", str(path), "--db", str(db), "--project", "p", "--scanned-at", when]) == 0
    return db


@pytest.fixture(scope="module")
def pack_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pack_store(tmp_path_factory.mktemp("pack"))


def test_html_escapes_every_string_from_sarif(pack_db: Path) -> None:
    """No markup from the data: the page holds no <script>, <img> or stray </td> at all — only
    their escaped text — and the lists still show the findings."""
    html = render_html(review(Store(pack_db), WINDOW, Settings()), generated_at=datetime(2026, 2, 16))
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and 'onerror="' not in lowered
    assert lowered.count("</table>") == lowered.count("<table>")
    assert html.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") >= 3  # rule id and message of X1, twice
    assert "src/&lt;b&gt;bold&lt;/b&gt;.py:3" in html  # X2, fixed
    # the elements and attributes as a browser's parser sees them: none from the data, none that
    # runs or fetches anything (the SVG's xmlns names a namespace; it is not fetched)
    tags = Tags()
    tags.feed(html)
    assert not tags.seen & {"script", "img", "a", "iframe", "link", "object", "b"}, tags.seen
    assert not {a for a in tags.attrs if a.startswith("on") or a in ("src", "href", "xlink:href")}, tags.attrs
    assert "url(" not in lowered and "@import" not in lowered
    assert "Sprint review — sprint 3" in html and "generated 2026-02-16 00:00 UTC" in html
    assert html.count("<svg") == 2  # the two charts, inline


def test_markdown_escapes_every_string_from_sarif(pack_db: Path) -> None:
    """A wiki renders inline HTML and Markdown: both are escaped, and a | cannot split a table cell."""
    md = render_markdown(review(Store(pack_db), WINDOW, Settings()))
    assert "<script" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md and r"\[click\]\(https://evil.example\)" in md
    assert r"R\|&lt;img" in md and r"\*\*b\*\*" in md
    header = next(line for line in md.splitlines() if line.startswith("| Severity"))
    row = next(line for line in md.splitlines() if line.startswith("| critical"))
    assert row.count(" | ") == header.count(" | ")  # escaped pipes are not cell borders


def test_pack_says_the_numbers(pack_db: Path) -> None:
    """Sprint 3 (the window's only sprint, so no change to show): new critical/high X1 and X2 = 2;
    past SLA at 02-16: X1 (critical, due 02-10 10:00) = 1; fixed: X2 = 1; no decisions recorded."""
    md = render_markdown(review(Store(pack_db), WINDOW, Settings()))
    assert "- **New critical/high findings**: 2\n" in md
    assert "- **Critical/high past SLA**: 1\n" in md
    assert "- **Fixed**: 1\n" in md
    assert "No risk decisions recorded." in md
    assert "### Fixed: 1 — 1 high" in md


def test_cli_writes_html_and_markdown(pack_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["report", "sprint", "--db", str(pack_db), "--since", "2026-02-02", "--until", "2026-02-15"]
    assert analytics_main([*base, "--sprint", "3", "-o", str(tmp_path / "review.html")]) == 0
    assert "<!DOCTYPE html>" in (tmp_path / "review.html").read_text(encoding="utf-8")
    assert analytics_main([*base, "--project", "p", "-o", str(tmp_path / "review.md")]) == 0
    assert (tmp_path / "review.md").read_text(encoding="utf-8").startswith("# Sprint review — sprint 3")
    capsys.readouterr()
    assert analytics_main([*base, "--format", "md", "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("# Sprint review")
    # a project that matches nothing: warned, and its pack says nothing happened
    assert analytics_main([*base, "--project", "nope", "--format", "md", "-o", "-"]) == 0
    out, err = capsys.readouterr()
    assert "--project 'nope' matches nothing" in err and "- **Fixed**: 0\n" in out
    # no window at all: nothing loaded for it → no sprint, one error line, exit 2
    assert analytics_main(["report", "sprint", "--db", str(pack_db), "--project", "nope", "-o", "-"]) == 2
    assert "no sprint in this window" in capsys.readouterr().err
    assert analytics_main([*base, "--sprint", "9", "-o", str(tmp_path / "x.html")]) == 2
    assert "sprint 9 is not in the window" in capsys.readouterr().err
