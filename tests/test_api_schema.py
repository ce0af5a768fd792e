"""Property-based requests from the API's own OpenAPI document (Schemathesis): for every
operation, generated query parameters, bodies of each content type (SARIF objects, gzip and
other bytes, CSV and JSON records) and tokens, the service never answers 5xx, answers only
status codes the document lists, and every answer matches the schema and content type the
document gives for it.

The default run is short (a dozen generated requests per operation, valid and invalid);
``make stress`` sets ``API_FUZZ=1`` for the coverage phase too (the edge values of every
parameter, unexpected methods, missing and duplicated parameters) and 200 requests per operation.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from service.app import create_app
from service.context import Context
from store.db import Store
from tests.api_support import SAMPLES, Tokens, bearer, make_tokens

FULL = os.environ.get("API_FUZZ") == "1"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": FULL}}, "generation": {"max-examples": 200 if FULL else 12}}
)
schemathesis.serializer.alias("application/gzip", "application/octet-stream")

# The schema is loaded when the module is (Schemathesis parametrises at collection); the store
# behind the app is created by the first request, in a folder the ``seeded`` fixture removes.
_FOLDER = Path(tempfile.mkdtemp(prefix="api-schema-"))
_STORE = Store(_FOLDER / "findings.duckdb")
_APP = create_app(Context(_STORE))
_state: dict[str, Tokens] = {}
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def seeded() -> Iterator[Tokens]:
    """Tokens, and two real scans in the store, so that reads have something to read."""
    tokens = _state["tokens"] = make_tokens(_STORE)
    client = TestClient(_APP)
    for name in ("bandit-1.sarif", "bandit-2.sarif"):
        answer = client.post(
            "/api/v1/scans",
            params={"project": "acme/shop"},
            content=(SAMPLES / name).read_bytes(),
            headers={**bearer(tokens.upload), "Content-Type": "application/sarif+json"},
        )
        assert answer.status_code == 201
    yield tokens
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_generated_request_gets_a_documented_non_5xx_answer(case: Any) -> None:
    case.call_and_validate(headers=bearer(_state["tokens"].both), checks=CHECKS)


def test_the_document_names_every_route_and_its_refusals() -> None:
    doc = schema.raw_schema
    paths = {f"{method.upper()} {path}" for path, ops in doc["paths"].items() for method in ops}
    assert paths == {
        "POST /api/v1/scans",
        "POST /api/v1/deployments",
        "POST /api/v1/incidents",
        "GET /api/v1/summary",
        "GET /api/v1/exports/{kind}.csv",
        "GET /api/v1/healthz",
    }
    scans = doc["paths"]["/api/v1/scans"]["post"]
    assert set(scans["responses"]) == {"200", "201", "400", "401", "403", "413", "414", "415", "422", "503"}
    assert set(scans["requestBody"]["content"]) >= {"application/sarif+json", "application/gzip"}
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
