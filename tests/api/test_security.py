"""API keys: no key 401, wrong role or system 403, admins can do everything, keys are
stored hashed and can be revoked, and each key is rate limited with 429 and Retry-After."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from mdm.api import create_app
from mdm.cli import app as cli_app
from mdm.services import api_keys
from mdm.store import UnitOfWork
from tests.api._http import LiveServer, auth

WRITES = [
    ("/api/v1/systems/psa/customer/records", {"json": {"records": []}}),
    ("/api/v1/systems/psa/customer/files", {"content": b"id\n"}),
]
QUERY = {"query": "{ changes { edges { cursor } } }"}


@pytest.mark.parametrize(("url", "body"), WRITES, ids=["records", "files"])
def test_every_write_endpoint_needs_a_key(client, url, body):
    response = client.post(url, **body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("url", "body"), WRITES, ids=["records", "files"])
def test_readers_stewards_and_writers_of_other_systems_may_not_write(client, keys, url, body):
    for key in (keys.reader, keys.steward, keys.crm_writer):
        assert client.post(url, headers=auth(key), **body).status_code == 403


@pytest.mark.parametrize(("url", "body"), WRITES, ids=["records", "files"])
def test_the_systems_writer_and_admins_may_write(client, keys, url, body):
    for key in (keys.psa_writer, keys.admin):
        response = client.post(url, headers=auth(key), **body)
        assert response.status_code in (200, 422), response.text  # 422: an empty file


def test_graphql_needs_a_key_and_any_role_may_query(client, keys):
    assert client.post("/graphql", json=QUERY).status_code == 401
    for key in (keys.reader, keys.psa_writer, keys.steward, keys.admin):
        assert client.post("/graphql", json=QUERY, headers=auth(key)).status_code == 200


def test_the_key_may_come_as_bearer_or_x_api_key_header(client, keys):
    assert client.post("/graphql", json=QUERY, headers={"X-API-Key": keys.reader}).is_success
    wrong = client.post("/graphql", json=QUERY, headers={"X-API-Key": keys.reader + "x"})
    assert wrong.status_code == 401


def test_a_revoked_key_is_refused(client, keys, engine):
    key_id = keys.reader.split(".")[0]
    api_keys.revoke_key(UnitOfWork(engine), key_id)
    assert client.post("/graphql", json=QUERY, headers=auth(keys.reader)).status_code == 401


def test_keys_are_stored_as_a_hash_of_their_secret(keys, engine):
    key_id, secret = keys.admin.split(".")
    with UnitOfWork(engine) as uow:
        row = uow.api_keys.get(key_id)
    assert secret not in str(row)
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()


def test_a_key_over_its_rate_gets_429_with_retry_after(settings, keys):
    app = create_app(
        settings.model_copy(update={"rate_limit_per_second": 1, "rate_limit_burst": 3})
    )
    import httpx

    with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
        statuses = [
            client.post("/graphql", json=QUERY, headers=auth(keys.reader)).status_code
            for _ in range(5)
        ]
        limited = client.post("/graphql", json=QUERY, headers=auth(keys.reader))
        other = client.post("/graphql", json=QUERY, headers=auth(keys.admin))
    assert statuses[:3] == [200, 200, 200] and 429 in statuses
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert other.status_code == 200


def test_the_cli_creates_lists_and_revokes_keys(settings, monkeypatch):
    monkeypatch.setenv("MDM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MDM_CONFIG", str(settings.config))
    runner = CliRunner()
    created = runner.invoke(
        cli_app,
        ["keys", "create", "--role", "writer", "--systems", "psa", "--name", "psa connector"],
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    key_id = secret.split(".")[0]
    listed = runner.invoke(cli_app, ["keys", "list"])
    assert key_id in listed.output and secret.split(".")[1] not in listed.output
    assert runner.invoke(cli_app, ["keys", "revoke", key_id]).exit_code == 0
    bad = runner.invoke(cli_app, ["keys", "create", "--role", "writer"])
    assert bad.exit_code != 0


def test_with_the_key_cache_on_a_revoked_key_is_refused_within_the_cache_time(
    settings, keys, engine
):
    import time

    import httpx

    app = create_app(settings.model_copy(update={"api_key_cache_seconds": 0.5}))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/graphql", json=QUERY, headers=auth(keys.reader)).status_code == 200
        api_keys.revoke_key(UnitOfWork(engine), keys.reader.split(".")[0])
        deadline = time.monotonic() + 0.5
        refused = False
        while time.monotonic() < deadline + 0.5 and not refused:
            refused = (
                client.post("/graphql", json=QUERY, headers=auth(keys.reader)).status_code == 401
            )
            time.sleep(0.05)
        assert refused and time.monotonic() <= deadline + 0.5
        rest = client.post(
            "/api/v1/systems/psa/customer/records", json={"records": []}, headers=auth(keys.reader)
        )
        assert rest.status_code == 401
