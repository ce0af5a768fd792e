"""The bundled sample history (``samples/``, made by ``samples/make_samples.py``) loads and tells a story.

``make run`` ingests ``samples/manifest.csv`` and prints the summary; this test does the same in
a fresh database and checks that the history shows every lifecycle state the README talks about:
findings still open, findings fixed, and a finding that was fixed and came back (reopened), for
both scanners (Ruff and Bandit).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analytics.cli import main as analytics_main

pytestmark = pytest.mark.engines

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MANIFEST = SAMPLES / "manifest.csv"


@pytest.fixture
def summary_json(
    db: Path, run_ingest: Callable[..., tuple[int, str, str]], capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    code, out, err = run_ingest("manifest", MANIFEST, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["totals"]["rejected"] == 0
    assert report["totals"]["loaded"] == report["totals"]["files"] > 0
    assert analytics_main(["summary", "--db", str(db), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_samples_ingest_and_show_every_lifecycle_state(
    summary_json: dict[str, Any], sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    assert len(summary_json["per_tool"]) >= 2
    episodes = summary_json["episodes"]
    assert episodes["fixed"] >= 1
    assert episodes["open"] >= 1
    assert episodes["reopened"] >= 1
    for tool in ("ruff", "bandit"):
        ep = summary_json["per_tool"][tool]["episodes"]
        assert ep["fixed"] >= 1 and ep["open"] >= 1 and ep["reopened"] >= 1, (tool, ep)
    assert summary_json["mttr_mean_days"] is not None and summary_json["mttr_mean_days"] > 0
    # Ruff's absolute file:/// URIs are cut down by the manifest's source_root column
    paths = {p for (p,) in sql("SELECT DISTINCT path FROM occurrences")}
    assert paths and all(p.startswith("shop/") for p in paths), paths


def test_samples_are_small_and_complete() -> None:
    with MANIFEST.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "empty manifest"
    files = [SAMPLES / row["path"] for row in rows]
    assert all(f.is_file() for f in files), [str(f) for f in files if not f.is_file()]
    assert {row["project"] for row in rows} == {"sample-shop"}
    assert all(len(row["commit"]) == 40 and int(row["commit"], 16) >= 0 for row in rows)
    assert sum(f.stat().st_size for f in files) + MANIFEST.stat().st_size < 300 * 1024
