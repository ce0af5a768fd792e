"""``python -m service token create|list|revoke``: a token is printed once and stored only as a
hash; the list never shows a secret; a revoked token stops working at once, in a running service."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.cli import main as service_main
from service.context import Context
from store.db import Store, query_rows
from tests.api_support import bearer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = service_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_token_is_shown_once_stored_hashed_listed_without_secret_and_revoked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "findings.duckdb")
    code, out, err = run(
        capsys, "token", "create", "--name", "ci-shop", "--project", "acme/*", "--scope", "upload", "--db", db
    )
    assert code == 0 and "Shown once" in err
    token = out.strip()
    prefix, token_id, secret = token.split("_", 2)
    assert prefix == "fnd" and len(token_id) == 12 and len(secret) == 43
    store = Store(db)
    with store.read() as conn:
        rows = query_rows(conn, "SELECT token_id, secret_sha256, scopes, projects FROM api_tokens")
    assert rows == [(token_id, hashlib.sha256(secret.encode()).hexdigest(), ["upload"], ["acme/*"])]
    code, listing, _ = run(capsys, "token", "list", "--json", "--db", db)
    assert code == 0 and secret not in listing
    assert [(t["id"], t["name"], t["revoked_at"]) for t in json.loads(listing)] == [(token_id, "ci-shop", None)]

    client = TestClient(create_app(Context(store)))
    params = {"project": "acme/shop"}
    head = {**bearer(token), "Content-Type": "application/json"}
    assert client.post("/api/v1/scans", params=params, content=b"{}", headers=head).status_code == 422
    code, out, _ = run(capsys, "token", "revoke", "ci-shop", "--db", db)
    assert code == 0 and token_id in out
    answer = client.post("/api/v1/scans", params=params, content=b"{}", headers=head)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    code, _, err = run(capsys, "token", "revoke", "ci-shop", "--db", db)
    assert code == 2 and "no active token" in err


def test_token_create_refuses_what_would_not_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "findings.duckdb")
    base = ["token", "create", "--project", "*", "--scope", "read", "--db", db]
    assert run(capsys, *base, "--name", "dash")[0] == 0
    code, _, err = run(capsys, *base, "--name", "dash")
    assert code == 2 and "exists" in err
    code, _, err = run(capsys, *base, "--name", "old", "--expires", "2020-01-01")
    assert code == 2 and "past" in err
    code, _, err = run(capsys, *base, "--name", "x", "--expires", "soon")
    assert code == 2 and "ISO 8601" in err
    with pytest.raises(SystemExit):
        service_main(["token", "create", "--name", "y", "--project", "*", "--scope", "admin", "--db", db])
    code, out, _ = run(capsys, "token", "list", "--db", db)
    assert code == 0 and out.count("\n") == 1 and "dash" in out
