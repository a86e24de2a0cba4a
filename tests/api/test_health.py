"""Probes, OpenAPI, and the mapping of the hub's errors to HTTP statuses."""

from __future__ import annotations

import pytest

from mdm.api import create_app
from mdm.api._errors import status_of
from mdm.domain import (
    ConfigError,
    ConflictError,
    InvalidRecordError,
    MalformedFileError,
    NotFoundError,
    StoreUnavailableError,
)


def test_health_answers_without_a_key(client):
    assert client.get("/api/v1/health").json() == {"status": "ok", "detail": ""}


def test_ready_when_the_store_is_at_the_code_schema(client):
    response = client.get("/api/v1/ready")
    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_not_ready_when_the_store_is_not_initialised(settings, tmp_path):
    import httpx

    from tests.api._http import LiveServer

    empty = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"})
    with LiveServer(create_app(empty)) as server:
        response = httpx.get(f"{server.url}/api/v1/ready")
    assert response.status_code == 503
    assert "mdm init" in response.json()["detail"]


def test_the_openapi_document_is_served_and_describes_the_rest_api(client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {
        "/api/v1/health",
        "/api/v1/ready",
        "/api/v1/systems/{system}/{entity_type}/records",
        "/api/v1/systems/{system}/{entity_type}/files",
    } <= set(spec["paths"])
    for path in spec["paths"].values():
        for operation in path.values():
            assert operation["responses"] and operation.get("summary")
    refs = [v for v in _walk(spec) if isinstance(v, str) and v.startswith("#/components/")]
    for ref in refs:
        node = spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    assert client.get("/docs").status_code == 200


def _walk(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
    else:
        yield node


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("x"), 404),
        (InvalidRecordError("r", ["bad"]), 422),
        (MalformedFileError("f", "bad"), 422),
        (ConflictError("x"), 409),
        (ConfigError(["bad"]), 500),
        (StoreUnavailableError("x"), 503),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_each_hub_error_maps_to_its_http_status(error, status):
    assert status_of(error)[0] == status
