"""API fixtures: a store loaded through real ingestion and golden-record building, the app
in-process (TestClient) and behind a real uvicorn server, API keys of every role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mdm.api import create_app
from mdm.services import api_keys, ingestion
from mdm.settings import Settings
from mdm.store import UnitOfWork
from tests.api._golden_fixture import build_goldens
from tests.api._http import LiveServer, auth

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
T1 = datetime(2024, 3, 1, tzinfo=UTC)
T2 = datetime(2024, 4, 1, tzinfo=UTC)

PSA_CUSTOMERS = [
    {
        "id": "P1",
        "name": "ACME Ltd",
        "address": {"country": "GB", "city": "London"},
        "custom": {"crm_id": "001A"},
        "updated_at": "2024-01-05T00:00:00Z",
    },
    {
        "id": "P2",
        "name": "Beta Gmbh",
        "address": {"country": "DE", "city": "Berlin"},
        "updated_at": "2024-01-05T00:00:00Z",
    },
]
PSA_PROJECTS = [{"id": "J1", "title": "Acme audit 2024", "client_id": "P1", "start": "2024-02-01"}]


@dataclass
class Keys:
    admin: str
    reader: str
    steward: str
    psa_writer: str
    crm_writer: str


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(
        database_url=store_url,
        config=FIXTURES / "small_hub.toml",
        rate_limit_per_second=0,  # off unless a test turns it on
        api_key_cache_seconds=0,
    )


@pytest.fixture
def loaded(engine, small_config, tmp_path: Path) -> dict[str, str]:
    """Sample data: CRM and PSA customers and a PSA project, matched in two runs (T1, T2);
    the second merges CRM 001A with PSA P1. Returns golden ids by name."""

    def uow() -> UnitOfWork:
        return UnitOfWork(engine, "test")

    ingestion.load_file(uow(), small_config, "crm", "customer", FIXTURES / "crm_small.csv")
    ingestion.load_file(
        uow(), small_config, "psa", "customer", _jsonl(tmp_path / "c.jsonl", PSA_CUSTOMERS)
    )
    ingestion.load_file(
        uow(), small_config, "psa", "project", _jsonl(tmp_path / "p.jsonl", PSA_PROJECTS)
    )
    first = {
        ("crm", "001A"): "a1",
        ("psa", "P1"): "a2",
        ("crm", "001B"): "b",
        ("psa", "P2"): "b",
        ("crm", "001E"): "c",
    }
    build_goldens(engine, small_config, "customer", first, T1)
    build_goldens(engine, small_config, "project", {("psa", "J1"): "j"}, T1)
    before = _golden_ids(engine)
    second = {**first, ("crm", "001A"): "a", ("psa", "P1"): "a"}
    build_goldens(engine, small_config, "customer", second, T2)
    after = _golden_ids(engine)
    acme = after[("customer", "crm", "001A")]
    merged_away = {before[("customer", "crm", "001A")], before[("customer", "psa", "P1")]} - {acme}
    return {
        "acme": acme,
        "acme_retired": merged_away.pop(),
        "beta": after[("customer", "crm", "001B")],
        "gamma": after[("customer", "crm", "001E")],
        "project": after[("project", "psa", "J1")],
    }


def _golden_ids(engine) -> dict[tuple[str, str, str], str]:
    keys = [
        ("customer", "crm", "001A"),
        ("customer", "psa", "P1"),
        ("customer", "crm", "001B"),
        ("customer", "crm", "001E"),
        ("project", "psa", "J1"),
    ]
    with UnitOfWork(engine) as uow:
        return {k: uow.lookups.golden_ids_by_xref(k[0], [(k[1], k[2])])[(k[1], k[2])] for k in keys}


@pytest.fixture
def keys(engine) -> Keys:
    def make(role: str, systems: tuple[str, ...] = ()) -> str:
        return api_keys.create_key(UnitOfWork(engine, "test"), role, systems, role).secret

    return Keys(
        admin=make("admin"),
        reader=make("reader"),
        steward=make("steward"),
        psa_writer=make("writer", ("psa",)),
        crm_writer=make("writer", ("crm",)),
    )


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client of the app served by uvicorn on a local port."""
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


@pytest.fixture
def gql_post(client: httpx.Client, keys: Keys):
    """POST a GraphQL operation as a reader; returns the JSON body."""

    def post(query: str, variables: dict | None = None, key: str | None = None) -> dict:
        response = client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=auth(key or keys.reader),
        )
        assert response.status_code == 200, response.text
        return response.json()

    return post
