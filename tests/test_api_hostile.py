"""Hostile requests to the HTTP API: each is a clear 4xx naming what is wrong, and stores nothing —
no file, scan, occurrence, deployment or incident (the ``hostile`` fixture checks after each
test); a body that arrived whole but is not a SARIF
log is a rejected file (422), recorded in ``rejections`` as the command line records it, and
nothing else is. Tokens: missing, malformed, unknown, wrong, expired, revoked or without the
scope or the project are 401/403 before any body is read."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.auth import create_token
from store.tokens import revoke_token
from tests.api_support import SAMPLES, api, bearer, counts

GOOD = (SAMPLES / "bandit-1.sarif").read_bytes()
SARIF = "application/sarif+json"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return api(tmp_path_factory.mktemp("hostile") / "findings.duckdb")


@pytest.fixture
def hostile(shared: Any) -> Any:
    """The shared app, client, store and what the test expects to be recorded: after the test, no
    file, scan, occurrence, deployment or incident is stored, and ``rejected`` more rejections."""
    _, _, store = shared
    before = _stored(store)
    outcome: dict[str, int] = {"rejected": 0}
    yield (*shared, outcome)
    after = _stored(store)
    assert after == {**NOTHING, "rejections": before["rejections"] + outcome["rejected"]}


def _post(client: Any, token: str | None, body: bytes, params: Any, headers: dict[str, str] | None = None) -> Any:
    head = {"Content-Type": SARIF, **(bearer(token) if token else {}), **(headers or {})}
    return client.post("/api/v1/scans", params=params, content=body, headers=head)


def _stored(store: Any) -> dict[str, int]:
    return {k: v for k, v in counts(store).items() if k != "devops_sources"}


NOTHING = {"files": 0, "scans": 0, "occurrences": 0, "deployments": 0, "incidents": 0}


BODIES = [
    ("a JSON list", b"[1, 2, 3]", "not a SARIF log: the top level is a list, not an object"),
    ("text", b"hello, world\n", "invalid JSON"),
    ("empty", b"", "empty file"),
    ("binary", bytes(range(128, 256)) * 8, "not UTF-8 text"),
    ("another format", json.dumps({"version": "2.1.0"}).encode(), 'invalid SARIF 2.1.0: no "runs" property'),
    ("truncated gzip", gzip.compress(GOOD)[:300], "gzip data is truncated"),
    ("corrupt gzip", gzip.compress(GOOD)[:20] + b"\x00" * 200, "corrupt gzip data"),
]


@pytest.mark.parametrize(("what", "body", "reason"), BODIES, ids=[b[0] for b in BODIES])
def test_a_body_that_is_not_sarif_is_a_rejected_file_and_nothing_else(
    hostile: Any, what: str, body: bytes, reason: str
) -> None:
    client, tokens, _, outcome = hostile
    answer = _post(client, tokens.upload, body, {"project": "acme/shop"})
    assert answer.status_code == 422, (what, answer.text)
    file = answer.json()["files"][0]
    assert file["status"] == "rejected" and reason in file["reason"]
    outcome["rejected"] = 1


def test_content_encoding_gzip_on_a_plain_body_is_rejected(hostile: Any) -> None:
    client, tokens, _, outcome = hostile
    answer = _post(client, tokens.upload, GOOD, {"project": "acme/shop"}, {"Content-Encoding": "gzip"})
    assert answer.status_code == 422 and "not gzip data" in answer.json()["files"][0]["reason"]
    outcome["rejected"] = 1


def test_a_gzip_bomb_stops_at_the_limit(hostile: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """64 MB of zeros packed into ~64 KB, with a 1 MB limit: 413 once the output passes 1 MB."""
    monkeypatch.setenv("FINDINGS_MAX_FILE_BYTES", str(1 << 20))
    client, tokens, _, _ = hostile
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    assert len(bomb) < 100_000
    answer = _post(client, tokens.upload, bomb, {"project": "acme/shop"}, {"Content-Type": "application/gzip"})
    assert answer.status_code == 413 and "possible gzip bomb" in answer.json()["detail"]


def test_a_body_over_the_limit_is_413_by_its_length_or_as_it_arrives(
    hostile: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, tokens, _, _ = hostile
    huge = _post(client, tokens.upload, b"", {"project": "acme/shop"}, {"Content-Length": str(2 * 1024**3 + 1)})
    assert huge.status_code == 413 and "2,147,483,649 bytes" in huge.json()["detail"]
    monkeypatch.setenv("FINDINGS_MAX_FILE_BYTES", "1000")
    big = _post(client, tokens.upload, GOOD, {"project": "acme/shop"})
    assert len(GOOD) > 1000 and big.status_code == 413


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "text/csv", "image/png"],
)
def test_a_content_type_not_taken_is_415(hostile: Any, content_type: str) -> None:
    client, tokens, _, _ = hostile
    answer = _post(client, tokens.upload, GOOD, {"project": "acme/shop"}, {"Content-Type": content_type})
    assert answer.status_code == 415 and "application/sarif+json" in answer.json()["detail"]


def test_an_unknown_content_encoding_is_415(hostile: Any) -> None:
    client, tokens, _, _ = hostile
    answer = _post(client, tokens.upload, GOOD, {"project": "acme/shop"}, {"Content-Encoding": "br"})
    assert answer.status_code == 415


QUERIES = [
    ("no project", {}, 400, "project"),
    ("empty project", {"project": ""}, 400, "project"),
    ("a long project", {"project": "a" * 201}, 400, "project"),
    ("a control character", {"project": "acme/shop", "branch": "main\x1b[31m"}, 400, "branch"),
    ("a long branch", {"project": "acme/shop", "branch": "b" * 256}, 400, "branch"),
    ("not a time", {"project": "acme/shop", "scanned_at": "yesterday"}, 400, "scanned_at"),
    ("out of range", {"project": "acme/shop", "scanned_at": "9999-12-31T23:59:59Z"}, 400, "1970–2100"),
    ("a huge query", {"project": "acme/shop", "branch": "x" * 9000}, 414, "query string"),
]


@pytest.mark.parametrize(("what", "params", "status", "named"), QUERIES, ids=[q[0] for q in QUERIES])
def test_malformed_or_huge_query_parameters_are_refused(
    hostile: Any, what: str, params: dict[str, str], status: int, named: str
) -> None:
    client, tokens, _, _ = hostile
    answer = _post(client, tokens.upload, GOOD, params)
    assert answer.status_code == status, (what, answer.text)
    assert named in answer.json()["detail"]


PATH_LIKE = ["../etc", "/etc/passwd", "acme/../../etc", "acme//shop", ".", "..", "acme\\shop", "acme/shop/", "~root"]


@pytest.mark.parametrize("project", PATH_LIKE)
def test_path_like_project_names_are_refused(hostile: Any, project: str) -> None:
    client, tokens, _, _ = hostile
    answer = _post(client, tokens.upload, GOOD, {"project": project})
    assert answer.status_code == 400 and "not a project name" in answer.json()["detail"]


def test_path_like_projects_inside_records_are_rejected(hostile: Any) -> None:
    client, tokens, _, outcome = hostile
    body = "id,project,created_at\ni1,../../etc,2026-03-01T00:00:00Z\n"
    answer = client.post(
        "/api/v1/incidents", content=body, headers={**bearer(tokens.upload), "Content-Type": "text/csv"}
    )
    assert answer.status_code == 422 and "'../../etc'" in answer.json()["reason"]
    outcome["rejected"] = 1


def _token_cases(store: Any, tokens: Any) -> list[tuple[str, dict[str, str], int, str]]:
    expired, _ = create_token(store, "old", ["upload", "read"], ["*"], datetime.now(UTC).replace(tzinfo=None))
    revoked, row = create_token(store, "gone", ["upload", "read"], ["*"])
    revoke_token(store, row.token_id, datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1))
    prefix, token_id, secret = tokens.upload.split("_", 2)
    wrong = f"{prefix}_{token_id}_{'A' * len(secret)}"
    unknown = f"{prefix}_{'0' * 12}_{secret}"
    return [
        ("missing", {}, 401, "no token"),
        ("not bearer", {"Authorization": f"Basic {tokens.upload}"}, 401, "Bearer"),
        ("malformed", {"Authorization": "Bearer hello"}, 401, "not valid"),
        ("wrong secret", bearer(wrong), 401, "not valid"),
        ("unknown id", bearer(unknown), 401, "not valid"),
        ("expired", bearer(expired), 401, "expired"),
        ("revoked", bearer(revoked), 401, "revoked"),
        ("read scope only", bearer(tokens.read), 403, "upload"),
        ("another project", bearer(tokens.acme_upload), 403, "other/shop"),
    ]


def test_tokens_that_do_not_allow_the_upload_are_refused_before_the_body(hostile: Any) -> None:
    client, tokens, store, _outcome = hostile
    for what, headers, status, says in _token_cases(store, tokens):
        answer = client.post(
            "/api/v1/scans",
            params={"project": "other/shop"},
            content=GOOD,
            headers={"Content-Type": SARIF, **headers},
        )
        assert answer.status_code == status, (what, answer.text)
        assert says in answer.json()["detail"], what
        assert (answer.headers.get("www-authenticate") == "Bearer") == (status == 401), what


def test_reads_need_the_read_scope_and_the_project(hostile: Any) -> None:
    client, tokens, _, _ = hostile
    assert client.get("/api/v1/summary").status_code == 401
    assert client.get("/api/v1/summary", headers=bearer(tokens.upload)).status_code == 403
    answer = client.get("/api/v1/exports/findings.csv", params={"project": "other/x"}, headers=bearer(tokens.acme_read))
    assert answer.status_code == 403


READS = [
    ("/api/v1/summary", {"since": "2026-03-01", "until": "2026-01-01"}, "reversed"),
    ("/api/v1/summary", {"since": "last week"}, "since"),
    ("/api/v1/exports/mttr.csv", {"by": "colour"}, "cannot group by 'colour'"),
    ("/api/v1/exports/mttr.csv", {"period": "decade"}, "period"),
    ("/api/v1/exports/nothing.csv", {}, "kind"),
    ("/api/v1/exports/backlog.csv", {"period": "day", "since": "1970-01-01", "until": "2100-01-01"}, "more than"),
]


@pytest.mark.parametrize(("path", "params", "says"), READS, ids=[f"{r[0]} {sorted(r[1])}" for r in READS])
def test_questions_the_analytics_cannot_answer_are_400(hostile: Any, path: str, params: Any, says: str) -> None:
    client, tokens, _, _ = hostile
    answer = client.get(path, params=params, headers=bearer(tokens.read))
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["detail"]
