"""Dashboard uploads: the command line's ingest in a child process, so the web process
never holds a decompressed file (item 8); the command line's metadata precedence, never the file's
position in the upload (item 10); file names, rule ids and paths shown as text, never as links,
icons or emoji (item 13; tests/test_browser_signin.py checks the same in Chromium)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.loading import UPLOAD_PROJECT, load_uploads
from app_pages.text import WORD_JOINER, md_escape
from ingest.cli import main as ingest_main
from ingest.models import ScanMeta
from store.db import Store
from tests.conftest import result, sarif_log, seed_samples_with_deployments

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
# what Streamlit's Markdown turns into a link, an icon, an emoji or a colour, even when escaped
MARKDOWN_ACTIVE = re.compile(r"(?i)www\.|://|[^\u2060]@|:[a-z_]+[:/\[]")


def _log(tool: str, n: int, **run: Any) -> bytes:
    return json.dumps(
        sarif_log([result(f"{tool}-R{i}", f"src/{tool}{i}.py", i + 1) for i in range(n)], tool=tool, **run)
    ).encode()


@pytest.mark.engines
def test_uploads_without_a_project_load_once_whatever_their_order(store: Store, sql: Callable[..., Any]) -> None:
    """Two files name no project, one names its repository: the form is empty. The first two go to
    the fallback project 'upload' with a warning, the third to its repository; uploading the same
    files again in another order loads nothing twice (on main: projects '0', '1', … and 5 → 9)."""
    a, b = _log("alpha", 2), _log("beta", 2)
    c = _log("gamma", 1, versionControlProvenance=[{"repositoryUri": "https://git.example/acme/shop.git"}])
    first = load_uploads(store, [("a.sarif", a), ("b.sarif", b), ("c.sarif", c)], ScanMeta())
    assert [(f.path, f.status) for f in first.files] == [
        ("a.sarif", "loaded"),
        ("b.sarif", "loaded"),
        ("c.sarif", "loaded"),
    ]
    assert sql("SELECT tool, project FROM scans ORDER BY tool") == [
        ("alpha", UPLOAD_PROJECT), ("beta", UPLOAD_PROJECT), ("gamma", "acme/shop")
    ]  # fmt: skip
    warned = {f.path: " ".join(f.warnings) for f in first.files}
    assert "no project given or in the SARIF" in warned["a.sarif"] and "'upload'" in warned["a.sarif"]
    assert "project" not in warned["c.sarif"]
    again = load_uploads(store, [("c.sarif", c), ("b.sarif", b), ("a.sarif", a)], ScanMeta())
    assert {f.status for f in again.files} == {"already loaded"}
    assert sql("SELECT count(*) FROM findings") == [(5,)]
    assert sql("SELECT count(*) FROM files") == [(3,)]


@pytest.mark.engines
def test_the_child_is_given_the_database_in_its_environment_not_its_arguments(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ps`` shows every process's arguments to every user: a PostgreSQL URL with its password
    (or a file's path) goes to the command line's ingest through $FINDINGS_DB."""
    seen: list[tuple[list[str], str]] = []
    real_run = subprocess.run

    def spy(args: list[str], **kwargs: Any) -> Any:
        seen.append((list(args), kwargs["env"]["FINDINGS_DB"]))
        return real_run(args, **kwargs)

    monkeypatch.setattr("app_pages.loading.subprocess.run", spy)
    report = load_uploads(store, [("a.sarif", _log("alpha", 1))], ScanMeta(project="p"))
    assert [f.status for f in report.files] == ["loaded"]
    ((argv, given),) = seen
    assert Store(given).url == store.url
    secrets = [str(store.url.database)] + ([store.url.password] if store.url.password else [])
    assert not [a for a in argv for s in secrets if s in a], argv


def test_the_form_names_the_project_before_the_sarif(store: Store, sql: Callable[..., Any]) -> None:
    c = _log("gamma", 1, versionControlProvenance=[{"repositoryUri": "https://git.example/acme/shop.git"}])
    report = load_uploads(store, [("c.sarif", c), ("c.sarif", _log("delta", 1))], ScanMeta(project="team/app"))
    assert [f.status for f in report.files] == ["loaded", "loaded"]  # two uploads of one name: both kept
    assert sql("SELECT DISTINCT project FROM scans") == [("team/app",)]


def test_odd_upload_names_are_files_not_options(store: Store, sql: Callable[..., Any]) -> None:
    names = ["--project=evil.sarif", "../../escape.sarif", "a" * 300 + ".sarif", ""]
    report = load_uploads(store, [(n, _log(f"t{i}", 1)) for i, n in enumerate(names)], ScanMeta(project="p"))
    assert [f.path for f in report.files] == names and {f.status for f in report.files} == {"loaded"}
    assert sql("SELECT DISTINCT project FROM scans") == [("p",)]


WEB_PROCESS = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from app_pages.loading import load_uploads
    from ingest.models import ScanMeta
    from store.db import Store

    def peak_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

    data = Path(sys.argv[2]).read_bytes()  # held, as Streamlit holds an upload
    before = peak_mb()
    report = load_uploads(Store(sys.argv[1]), [(Path(sys.argv[2]).name, data)], ScanMeta(project="mem"))
    print(json.dumps({
        "grown_mb": peak_mb() - before,
        "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "files": [[f.status, f.reason or ""] for f in report.files],
    }))
    """
)


def _gzip_of(path: Path, head: bytes, filler: bytes, megabytes: int, tail: bytes) -> Path:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        out.write(packer.compress(head))
        chunk = filler * (1 << 20)
        for _ in range(megabytes):
            out.write(packer.compress(chunk))
        out.write(packer.compress(tail) + packer.flush())
    return path


def _web_process(db: Path, upload: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS, str(db), str(upload)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.splitlines()[-1]))


@pytest.fixture
def huge_string_gz(tmp_path: Path) -> Path:
    """A 0.2 MB gzip holding one result whose message is a 200 MiB string."""
    head = b'{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"big"}},"results":[{"ruleId":"R1","message":{"text":"'
    return _gzip_of(tmp_path / "huge.sarif.gz", head, b"A", 200, b'"}}]}]}')


def test_the_web_process_never_holds_a_decompressed_upload(tmp_path: Path, huge_string_gz: Path) -> None:
    """The dashboard's peak was ~20× the file (3.3 GB for a 1 MB gzip of a 1 GiB string):
    now the web process grows by at most 3× the uploaded bytes plus 16 MB (measured: 0), and the
    file still loads — through the command line, in a child."""
    size_mb = huge_string_gz.stat().st_size / 2**20
    got = _web_process(tmp_path / "m.duckdb", huge_string_gz)
    assert got["files"] == [["loaded", ""]], got
    assert got["grown_mb"] <= 3 * size_mb + 16, got
    assert got["child_peak_mb"] > 200, got  # the decompressing and parsing happened there


def test_a_gzip_bomb_upload_is_rejected_with_the_web_process_untouched(tmp_path: Path) -> None:
    bomb = _gzip_of(tmp_path / "bomb.sarif.gz", b"", b"\0", 1024, b"")  # 1 MB that expands to 1 GiB
    got = _web_process(tmp_path / "b.duckdb", bomb)
    (status, reason), = got["files"]  # fmt: skip
    assert status == "rejected" and "268,435,456-byte limit" in reason, got  # the upload cap, 256 MiB
    assert got["grown_mb"] <= 16, got
    assert got["child_peak_mb"] < 1200, got


# --- item 13: text, never links -----------------------------------------------------------------------

EVIL_RULE = "https://evil.example/rule :smile: :material/home:"
EVIL_PATH = "www.evil.example/app.py"
EVIL_NAME = "www.evil.example :red[x] alice@evil.example.sarif"


def test_md_escape_leaves_nothing_for_markdown_to_act_on() -> None:
    for text, shown in [
        (EVIL_RULE, EVIL_RULE),
        (EVIL_NAME, EVIL_NAME.replace("[", "\\[").replace("]", "\\]")),
        ("- list item", "\\- list item"),
        ("12. numbered", "12\\. numbered"),
        ("a &amp; b <b>x</b> **y** $z$", "a \\&amp; b \\<b\\>x\\</b\\> \\*\\*y\\*\\* \\$z\\$"),
        ("two\nlines", "two lines"),
    ]:
        out = md_escape(text)
        assert MARKDOWN_ACTIVE.search(out) is None, out
        assert out.replace(WORD_JOINER, "") == shown


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("uploads-app")
    db = tmp / "app.duckdb"
    seed_samples_with_deployments(db, tmp)
    evil = tmp / "evil.sarif"
    evil.write_text(json.dumps(sarif_log([result(EVIL_RULE, EVIL_PATH, 3)], tool="evil")))
    assert ingest_main(["sarif", str(evil), "--db", str(db), "--project", "sample-shop",
                        "--scanned-at", "2026-08-01T00:00:00Z"]) == 0  # fmt: skip
    mp = pytest.MonkeyPatch()
    (tmp / "empty.toml").write_text("")
    mp.setenv("FINDINGS_CONFIG", str(tmp / "empty.toml"))
    mp.setenv("FINDINGS_DB", str(db))
    mp.delenv("FINDINGS_USERS_FILE", raising=False)
    yield db
    mp.undo()


def _markdown_values(at: AppTest) -> list[str]:
    kinds = ("title", "header", "subheader", "markdown", "caption", "success", "info", "warning", "error")
    return [str(e.value) for kind in kinds for e in at.get(kind)]


def test_upload_messages_show_file_names_as_text(evil_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/scans.py").run()
    at.get("file_uploader")[0].set_value((EVIL_NAME, _log("linky", 1), "application/json"))
    at.text_input(key="up_project").set_value("links/project")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [s.value.replace(WORD_JOINER, "") for s in at.success]
    assert shown == [f"{md_escape(EVIL_NAME).replace(WORD_JOINER, '')}: loaded 1 scan(s), 1 occurrence(s)"]
    assert not [v for v in _markdown_values(at) if MARKDOWN_ACTIVE.search(v)], _markdown_values(at)


def test_the_findings_heading_shows_rule_and_path_as_text(evil_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["until"] = "2026-08-31"
    at.run()
    at.switch_page("app_pages/findings.py").run()
    at.text_input(key="find_search").set_value("evil.example/rule").run()
    assert len(at.dataframe[0].value) == 1
    at.session_state["findings_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (heading,) = [h.value for h in at.subheader if "evil" in h.value]
    assert heading.replace(WORD_JOINER, "") == f"{md_escape(EVIL_RULE)} in {md_escape(EVIL_PATH)}".replace(
        WORD_JOINER, ""
    )
    assert not [v for v in _markdown_values(at) if MARKDOWN_ACTIVE.search(v)], _markdown_values(at)
