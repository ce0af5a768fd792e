"""On the demo history (the session's ``demo`` store, copied), ``GET /exports/findings.csv`` is
byte for byte the file ``python -m analytics export findings`` writes, for the whole store and
for a filtered window, and the summary is the CLI's."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from analytics.cli import main as analytics_main
from tests.api_support import api, bearer

# A fixed end after the demo's last day: ages and open counts do not move with the clock.
UNTIL = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()


@pytest.fixture(scope="module")
def demo_api(demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("demo-api") / "demo.duckdb"
    shutil.copy(demo["db"], db)
    client, tokens, _ = api(db)
    return client, tokens, db


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert analytics_main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        ({"until": UNTIL}, ["--until", UNTIL]),
        (
            {"project": "acme/identity", "severity": "critical,high", "since": "2026-01-01", "until": UNTIL},
            ["--project", "acme/identity", "--severity", "critical,high", "--since", "2026-01-01", "--until", UNTIL],
        ),
    ],
    ids=["whole store", "filtered"],
)
def test_the_findings_export_is_the_cli_file_byte_for_byte(
    demo_api: Any, query: dict[str, str], flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, tokens, db = demo_api
    answer = client.get("/api/v1/exports/findings.csv", params=query, headers=bearer(tokens.read))
    assert answer.status_code == 200, answer.text
    out = tmp_path / "findings.csv"
    _cli(capsys, ["export", "findings", "--db", str(db), "-o", str(out), *flags])
    expected = out.read_bytes()
    assert answer.content == expected
    assert expected.count(b"\r\n") > (300 if "project" not in query else 10)  # the demo's findings, not a header


def test_the_summary_is_the_cli_summary(demo_api: Any, capsys: pytest.CaptureFixture[str]) -> None:
    client, tokens, db = demo_api
    answer = client.get("/api/v1/summary", params={"until": UNTIL}, headers=bearer(tokens.read))
    assert answer.status_code == 200
    assert answer.json() == json.loads(_cli(capsys, ["summary", "--json", "--db", str(db), "--until", UNTIL]))
