"""The REST API against its own OpenAPI document, with schemathesis: random requests to every
operation of a live `sandbox serve` app never get a 5xx, and every response matches the
document (status, content type, schema)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from integrations.bank.rest_api import openapi_document

from .support import TOKEN, ServerThread, open_sandbox

schema = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def live_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db_path: Path = tmp_path_factory.mktemp("openapi") / "bank.db"
    sandbox, *_ = asyncio.run(open_sandbox(db_path))
    with ServerThread(sandbox) as server:
        yield server.url
    asyncio.run(sandbox.aclose())


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_document(
    case: schemathesis.Case[Any], live_bank: str, http: requests.Session
) -> None:
    case.call_and_validate(
        base_url=live_bank,
        session=http,
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=CHECKS,
    )


def test_the_document_is_served_without_a_token(live_bank: str, http: requests.Session) -> None:
    response = http.get(f"{live_bank}/openapi.json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.parametrize("path", ["/v1/products", "/v1/events", "/v1/no-such-path"])
def test_every_other_path_needs_the_bearer_token(
    live_bank: str, http: requests.Session, path: str
) -> None:
    missing = http.get(f"{live_bank}{path}")
    wrong = http.get(f"{live_bank}{path}", headers={"Authorization": "Bearer nope"})

    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["type"].endswith(":unauthorized")
