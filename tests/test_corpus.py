"""The whole real-world SARIF corpus (tests/data/SOURCES.md) in one ingest call, checked against an
independent count of runs and results made here with Python's ``json``."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from analytics.cli import main as analytics_main
from ingest.cli import main as ingest_main
from store.db import Store, query_rows
from tests.conftest import CORPUS, new_database

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.engines,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the SARIF corpus is not at {CORPUS} (tests/data/SOURCES.md)"),
]

SEVERITIES = {"critical", "high", "medium", "low", "info"}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("MANIFEST.csv", "README.md"))


def expected_occurrences(path: Path) -> int | None:
    """Occurrences a file should give, or None when it is not a usable SARIF 2.1.0 log."""
    data = path.read_bytes()
    try:
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        doc = json.loads(data.decode("utf-8-sig"))
    except (OSError, EOFError, UnicodeDecodeError, ValueError):
        return None
    if not (isinstance(doc, dict) and doc.get("version") == "2.1.0" and isinstance(doc.get("runs"), list)):
        return None
    count = 0
    for run in doc["runs"]:
        if not isinstance(run, dict):
            return None
        if "results" not in run:
            continue
        results = run["results"]
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            return None
        count += sum(1 for r in results if r.get("kind", "fail") == "fail" and r.get("baselineState") != "absent")
    return count


@dataclass(frozen=True)
class Corpus:
    db: Path | str
    exit_code: int
    report: dict[str, Any]
    stderr: str
    expected: dict[str, int | None]  # path → occurrences, None = unusable

    def sql(self, text: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with Store(self.db).read() as conn:
            return query_rows(conn, text, params or [])

    @property
    def usable(self) -> dict[str, int]:
        return {p: n for p, n in self.expected.items() if n is not None}

    @property
    def unusable(self) -> set[str]:
        return {p for p, n in self.expected.items() if n is None}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Iterator[Corpus]:
    files = corpus_files()
    assert files, f"{CORPUS} holds no files"
    db = new_database(engine, tmp_path_factory.mktemp("corpus"), request)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ingest_main(["sarif", *map(str, files), "--db", str(db), "--project", "corpus", "--json"])
    yield Corpus(
        db=db,
        exit_code=int(code),
        report=json.loads(out.getvalue()),
        stderr=err.getvalue(),
        expected={str(p): expected_occurrences(p) for p in files},
    )


def test_corpus_rejects_exactly_the_unusable_files(corpus: Corpus) -> None:
    assert corpus.unusable, "the corpus is expected to hold some invalid files"
    assert corpus.exit_code == 3
    assert "Traceback" not in corpus.stderr
    statuses = {f["path"]: f["status"] for f in corpus.report["files"]}
    assert set(statuses) == set(corpus.expected)
    rejected = {p for p, s in statuses.items() if s == "rejected"}
    assert rejected == corpus.unusable
    assert {p for p, s in statuses.items() if s == "loaded"} == set(corpus.usable)
    # The rejections table holds the same set, each with a reason.
    rows = corpus.sql("select path, reason from rejections")
    assert {r[0] for r in rows} == corpus.unusable
    assert all(r[1] for r in rows)
    # No file was refused because of a defect of ours.
    assert not [r for r in rows if r[1].startswith("could not be normalised")]


def test_corpus_occurrences_per_file_match_the_independent_count(corpus: Corpus) -> None:
    counted = dict(
        corpus.sql(
            "select f.path, coalesce(sum(s.occurrences), 0) from files f left join scans s using (file_key) "
            "group by f.path"
        )
    )
    rows = dict(
        corpus.sql(
            "select f.path, count(o.scan_id) from files f left join scans s using (file_key) "
            "left join occurrences o using (scan_id) group by f.path"
        )
    )
    assert set(counted) == set(corpus.usable)
    mismatches = {p: (int(counted[p]), n) for p, n in corpus.usable.items() if int(counted[p]) != n}
    assert not mismatches, "path: (loaded, expected)"
    assert {p: int(n) for p, n in rows.items()} == corpus.usable
    total = sum(corpus.usable.values())
    assert corpus.sql("select count(*) from occurrences") == [(total,)]
    assert corpus.report["totals"]["occurrences"] == total


def test_corpus_occurrences_are_complete(corpus: Corpus) -> None:
    bad = corpus.sql(
        "select count(*) filter (where rule_id is null or trim(rule_id) = ''), "
        "       count(*) filter (where severity is null or severity not in ('critical','high','medium','low','info')), "
        "       count(*) filter (where fingerprint is null or fingerprint = ''), "
        "       count(*) filter (where finding_id is null or finding_id = ''), "
        "       count(*) filter (where path is null) "
        "from occurrences"
    )
    assert bad == [(0, 0, 0, 0, 0)], "(rule_id, severity, fingerprint, finding_id, path) problems"
    assert {r[0] for r in corpus.sql("select distinct severity from occurrences")} <= SEVERITIES
    # Every occurrence belongs to a scan of project "corpus" and a scan row; no result counted twice.
    assert corpus.sql("select distinct project from scans") == [("corpus",)]
    assert corpus.sql(
        "select count(*) from (select scan_id, result_index from occurrences group by all having count(*) > 1)"
    ) == [(0,)]
    assert corpus.sql(
        "select count(*) from occurrences o where not exists (select 1 from scans s where s.scan_id = o.scan_id)"
    ) == [(0,)]


def test_corpus_summary_cli(corpus: Corpus) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = analytics_main(["summary", "--db", str(corpus.db), "--json"])
    assert code == 0
    summary = json.loads(out.getvalue())
    for key in (
        "files",
        "scans",
        "occurrences",
        "findings",
        "episodes",
        "mttr_mean_days",
        "mttr_median_days",
        "per_tool",
    ):
        assert key in summary, key
    assert set(summary["episodes"]) >= {"open", "fixed", "suppressed", "reopened"}
    episodes = dict(corpus.sql("select status, count(*) from episodes group by status"))
    for status in ("open", "fixed"):
        assert summary["episodes"][status] == episodes.get(status, 0), status
    # suppressed: episodes ended by a suppression, and findings suppressed from their first scan
    never_opened = corpus.sql("select count(*) from findings where episodes = 0")[0][0]
    assert never_opened > 0
    assert summary["episodes"]["suppressed"] == episodes.get("suppressed", 0) + never_opened
    assert summary["episodes"]["open"] > 0
    assert summary["occurrences"] == sum(corpus.usable.values())
    assert summary["files"] == len(corpus.usable)
    assert summary["scans"] == corpus.sql("select count(*) from scans")[0][0]
    assert summary["findings"] == corpus.sql("select count(*) from findings")[0][0]
    assert isinstance(summary["per_tool"], dict) and summary["per_tool"]
    assert sum(t["occurrences"] for t in summary["per_tool"].values()) == summary["occurrences"]
    assert sum(p["occurrences"] for p in summary["per_project"].values()) == summary["occurrences"]
    for status in ("open", "fixed", "suppressed", "reopened"):
        per_project = sum(p["episodes"][status] for p in summary["per_project"].values())
        assert per_project == summary["episodes"][status], status
