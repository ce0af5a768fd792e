"""The HTTP API (``python -m service``) answers what the command lines answer, on both engines:
an upload's report is ``ingest sarif --json``'s, a rejection is recorded as the CLI records it,
deployments and incidents land as the CLI loads them, ``GET /summary`` is ``analytics summary
--json`` and every ``GET /exports/KIND.csv`` is the file ``analytics export KIND`` writes."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics.cli import main as analytics_main
from analytics.exports import KINDS
from ingest.cli import main as ingest_main
from store.db import Store
from store.migrations import migrations
from tests.api_support import SAMPLES, api, bearer, counts, snapshot

pytestmark = pytest.mark.engines

UNTIL = "2026-12-01"  # after the samples' history: answers that do not depend on today
SARIF = "application/sarif+json"
DEPLOYMENTS = (
    "id,project,environment,started_at,finished_at,status,sha\n"
    "d1,acme/shop,production,2026-03-02T10:00:00Z,2026-03-02T10:20:00Z,success,aaaa111\n"
    "d2,acme/shop,production,2026-03-04T10:00:00Z,2026-03-04T10:20:00Z,failure,bbbb222\n"
)
INCIDENTS = json.dumps(
    [{"id": "i1", "project": "acme/shop", "created_at": "2026-03-04T12:00:00Z", "resolved_at": "2026-03-04T15:00:00Z"}]
)


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = ingest_main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def mtime_of(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None).isoformat() + "Z"


def post_scan(client: Any, token: str, body: bytes, params: dict[str, str], kind: str = SARIF) -> Any:
    return client.post("/api/v1/scans", params=params, content=body, headers={**bearer(token), "Content-Type": kind})


def post_records(client: Any, token: str, kind: str, body: str, content_type: str = "text/csv") -> Any:
    return client.post(f"/api/v1/{kind}", content=body, headers={**bearer(token), "Content-Type": content_type})


def test_an_upload_answers_the_cli_report_and_a_retry_is_already_loaded(
    db: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ruff-1.sarif has no scan time: the file's modification time, sent along, is the scan time
    for both, with the same warning; the gzip of the same bytes is the same file."""
    client, tokens, store = api(db)
    sample = SAMPLES / "ruff-1.sarif"
    params = {"project": "acme/shop", "branch": "main", "commit": "abc123", "filename": sample.name}
    first = post_scan(client, tokens.upload, sample.read_bytes(), {**params, "file_mtime": mtime_of(sample)})
    assert first.status_code == 201, first.text
    code, cli = cli_json(
        capsys, "sarif", str(sample), "--project", "acme/shop", "--branch", "main", "--commit", "abc123",
        "--json", "--db", str(tmp_path / "cli.duckdb"),
    )  # fmt: skip
    assert code == 0
    got = first.json()
    assert got["totals"] == cli["totals"] and got["totals"]["loaded"] == 1
    assert {**got["files"][0], "path": None} == {**cli["files"][0], "path": None}
    assert got["files"][0]["path"] == "ruff-1.sarif" and got["files"][0]["warnings"]  # the scan-time fallback
    again = post_scan(client, tokens.upload, sample.read_bytes(), params)
    assert again.status_code == 200 and again.json()["files"][0]["status"] == "already loaded"
    packed = post_scan(client, tokens.upload, gzip.compress(sample.read_bytes()), params, "application/gzip")
    assert packed.status_code == 200 and packed.json()["totals"]["already_loaded"] == 1
    other = post_scan(client, tokens.upload, sample.read_bytes(), {**params, "commit": "def456"})
    assert other.status_code == 201  # other metadata: another scan
    assert counts(store)["files"] == 2


def test_a_rejected_upload_is_recorded_with_the_cli_reason(
    db: Path | str, write_sarif: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    client, tokens, store = api(db)
    body = json.dumps({"version": "2.0.0", "runs": []}).encode()
    answer = post_scan(client, tokens.upload, body, {"project": "acme/shop"})
    assert answer.status_code == 422
    report = answer.json()
    path = write_sarif("old.sarif", body)
    code, cli = cli_json(capsys, "sarif", str(path), "--project", "acme/shop", "--json", "--db", str(tmp_path / "c.db"))
    assert code == 3
    reason = "SARIF version '2.0.0' is not supported (only 2.1.0)"
    assert report["files"][0]["reason"] == cli["files"][0]["reason"] == reason
    assert report["totals"] == cli["totals"]
    assert counts(store) == {**dict.fromkeys(counts(store), 0), "rejections": 1}


def test_deployments_and_incidents_land_as_the_cli_loads_them(db: Path | str, tmp_path: Path) -> None:
    client, tokens, store = api(db)
    deps = post_records(client, tokens.upload, "deployments", DEPLOYMENTS)
    incs = post_records(client, tokens.upload, "incidents", INCIDENTS, "application/json")
    assert (deps.status_code, incs.status_code) == (201, 201), deps.text + incs.text
    assert deps.json()["rows"] == 2 and deps.json()["projects"] == ["acme/shop"]
    again = post_records(client, tokens.upload, "deployments", DEPLOYMENTS)
    assert again.status_code == 200 and again.json()["status"] == "already_loaded"
    (tmp_path / "d.csv").write_text(DEPLOYMENTS)
    (tmp_path / "i.json").write_text(INCIDENTS)
    cli_db = tmp_path / "cli.duckdb"
    assert ingest_main(["deployments", str(tmp_path / "d.csv"), "--db", str(cli_db)]) == 0
    assert ingest_main(["incidents", str(tmp_path / "i.json"), "--db", str(cli_db)]) == 0
    mine, theirs = snapshot(store), snapshot(Store(cli_db))
    for table in ("deployments", "incidents", "deployment_commits", "devops_sources"):
        assert mine[table] == theirs[table], table
    bad = post_records(client, tokens.upload, "incidents", "id,project,created_at\ni2,acme/shop,yesterday\n")
    assert bad.status_code == 422 and "line 2" in bad.json()["reason"]
    assert counts(store)["incidents"] == 1


@pytest.fixture(scope="module")
def loaded(engine: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Any:
    """The samples (ruff + bandit on sample-shop, as their manifest says) uploaded through the
    API, and two deployments."""
    from tests.conftest import new_database

    db = new_database(engine, tmp_path_factory.mktemp("api"), request)
    client, tokens, store = api(db)
    manifest = (SAMPLES.parent / "manifest.csv").read_text().splitlines()
    header = manifest[0].split(",")
    for line in manifest[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        params = {k: row[k] for k in ("project", "branch", "commit", "scanned_at") if row.get(k)}
        body = (SAMPLES.parent / row["path"]).read_bytes()
        assert post_scan(client, tokens.upload, body, params).status_code == 201
    assert post_records(client, tokens.upload, "deployments", DEPLOYMENTS).status_code == 201
    return client, tokens, store, db


def _cli_text(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert analytics_main(argv) == 0
    return capsys.readouterr().out


def test_summary_is_the_cli_summary_for_the_same_filters(loaded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    client, tokens, _, db = loaded
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"until": UNTIL}, ["--until", UNTIL]),
        ({"tool": "bandit", "since": "2026-07-01", "until": UNTIL}, ["--tool", "bandit", "--since", "2026-07-01"]),
        ({"severity": ["high", "medium"], "until": UNTIL}, ["--severity", "high,medium"]),
    ]
    for query, flags in cases:
        answer = client.get("/api/v1/summary", params=query, headers=bearer(tokens.read))
        assert answer.status_code == 200, answer.text
        expected = json.loads(_cli_text(capsys, ["summary", "--json", "--db", str(db), "--until", UNTIL, *flags]))
        assert answer.json() == expected
    assert client.get("/api/v1/summary", params={"until": UNTIL}, headers=bearer(tokens.read)).json()["files"] == 16


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_export_is_byte_for_byte_the_cli_file(
    loaded: Any, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, tokens, _, db = loaded
    by = {"mttr": "tool", "flow": "severity", "sla": "project"}.get(kind)
    query: dict[str, str] = {"until": UNTIL, **({"by": by} if by else {})}
    flags = ["--until", UNTIL, *(["--by", by] if by else [])]
    answer = client.get(f"/api/v1/exports/{kind}.csv", params=query, headers=bearer(tokens.read))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    out = tmp_path / f"{kind}.csv"
    _cli_text(capsys, ["export", kind, "--db", str(db), "-o", str(out), *flags])
    assert answer.content == out.read_bytes()
    assert answer.content.count(b"\r\n") >= (1 if kind == "decisions" else 2)  # a header and rows (no decisions)


def test_a_read_token_for_some_projects_reads_only_those(loaded: Any) -> None:
    client, tokens, _, _ = loaded
    answer = post_scan(
        client,
        tokens.acme_upload,
        (SAMPLES / "bandit-1.sarif").read_bytes(),
        {"project": "acme/shop", "scanned_at": "2026-05-01T00:00:00Z"},
    )
    assert answer.status_code == 201
    everything = client.get("/api/v1/summary", params={"until": UNTIL}, headers=bearer(tokens.read)).json()
    acme = client.get("/api/v1/summary", params={"until": UNTIL}, headers=bearer(tokens.acme_read))
    assert acme.status_code == 200
    assert set(everything["per_project"]) == {"acme/shop", "sample-shop"}
    assert set(acme.json()["per_project"]) == {"acme/shop"}
    refused = client.get(
        "/api/v1/exports/findings.csv", params={"project": "sample-shop"}, headers=bearer(tokens.acme_read)
    )
    assert refused.status_code == 403 and "sample-shop" in refused.json()["detail"]


def test_healthz_needs_no_token_and_says_whether_the_store_answers(db: Path | str) -> None:
    client, _, store = api(db)
    answer = client.get("/api/v1/healthz")
    assert answer.status_code == 200
    engine = "postgresql" if store.is_server else "duckdb"
    assert answer.json() == {"status": "ok", "engine": engine, "schema_version": len(migrations())}


def test_healthz_of_an_unreachable_server_is_503() -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.context import Context

    store = Store("postgresql+psycopg://nobody:secret@127.0.0.1:9/none")
    answer = TestClient(create_app(Context(store))).get("/api/v1/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "engine": "postgresql", "schema_version": None}
    assert "secret" not in answer.text


def test_no_page_of_the_service_loads_anything_from_elsewhere(db: Path | str) -> None:
    """FastAPI's interactive pages fetch their scripts from a CDN: the service serves none of
    them, and its OpenAPI document names no host."""
    client, _, _ = api(db)
    for path in ("/api/v1/docs", "/api/v1/redoc", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert "cdn." not in document.text and "https://" not in document.text.replace("https://json-schema", "")


def test_every_read_endpoint_documents_the_command_lines_filters(db: Path | str) -> None:
    """The filters are declared once (one dependency) and every read endpoint shows all of them."""
    client, tokens, _ = api(db)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    wanted = {"project", "branch", "tool", "severity", "cwe", "rule", "team", "since", "until", "show_decided"}
    for path in ("/api/v1/summary", "/api/v1/exports/{kind}.csv"):
        names = {p["name"] for p in paths[path]["get"]["parameters"] if p["in"] == "query"}
        assert wanted <= names, (path, wanted - names)
    answer = client.get("/api/v1/summary", params={"since": "2026-02-30"}, headers=bearer(tokens.read))
    assert answer.status_code == 400, answer.text


def test_the_service_writes_into_a_private_spool_it_empties(db: Path | str) -> None:
    client, tokens, _ = api(db)
    spool = client.app.state.ctx.spool.root  # type: ignore[attr-defined]
    post_scan(client, tokens.upload, (SAMPLES / "bandit-2.sarif").read_bytes(), {"project": "acme/shop"})
    post_scan(client, tokens.upload, b"not json", {"project": "acme/shop"})
    assert spool.is_dir() and os.listdir(spool) == []
    assert oct(spool.stat().st_mode & 0o777) == "0o700"
