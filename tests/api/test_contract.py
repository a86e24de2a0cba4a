"""The GraphQL contract: graphql/schema.graphql is what the code serves, and the example
operations in graphql/operations/ validate against it and run against sample data with a
real GraphQL client (gql over HTTP)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXTransport
from graphql import build_schema, parse, validate

from mdm.api.gql import schema_sdl
from tests.api._http import auth

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "graphql" / "schema.graphql"
OPERATIONS = sorted((ROOT / "graphql" / "operations").glob("*.graphql"))


def _variables(path: Path) -> dict:
    line = next(x for x in path.read_text("utf-8").splitlines() if x.startswith("# Variables:"))
    return json.loads(line.removeprefix("# Variables:"))


def test_the_exported_schema_file_matches_the_code():
    assert SCHEMA_FILE.read_text("utf-8") == schema_sdl(), (
        "graphql/schema.graphql is out of date: run `make schema` (mdm schema export)"
    )


def test_the_graphql_folder_holds_no_python_and_does_not_shadow_graphql_core():
    assert not list((ROOT / "graphql").rglob("*.py"))
    spec = importlib.util.find_spec("graphql")
    assert spec is not None and "site-packages" in (spec.origin or "")


def test_there_is_an_example_operation_for_each_integration_use():
    names = {p.stem for p in OPERATIONS}
    assert {"xref_lookup", "translate", "resolve_many", "search", "as_of", "change_feed"} <= names


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_each_example_operation_is_valid_against_the_schema(path: Path):
    schema = build_schema(SCHEMA_FILE.read_text("utf-8"))
    assert validate(schema, parse(path.read_text("utf-8"))) == []
    assert _variables(path) is not None


def test_a_graphql_client_introspects_the_schema_and_runs_every_example(loaded, live_server, keys):
    transport = HTTPXTransport(url=f"{live_server.url}/graphql", headers=auth(keys.reader))
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        assert session.client.schema is not None
        assert session.client.schema.query_type.fields.keys() >= {"xref", "resolveMany"}
        results = {}
        for path in OPERATIONS:
            variables = _variables(path)
            if "id" in variables:
                variables["id"] = loaded["acme_retired"]
            request = GraphQLRequest(path.read_text("utf-8"), variable_values=variables)
            results[path.stem] = session.execute(request)
    assert results["xref_lookup"]["xref"]["id"] == loaded["acme"]
    assert results["translate"]["translate"]["sourceIds"] == ["P2"]
    assert [r["goldenRecord"]["id"] for r in results["resolve_many"]["resolveMany"]] == [
        loaded["acme"],
        loaded["beta"],
        loaded["project"],
    ]
    assert results["search"]["search"]["edges"][0]["node"]["id"] == loaded["acme"]
    assert results["as_of"]["goldenRecord"]["id"] == loaded["acme_retired"]
    assert results["change_feed"]["changes"]["edges"]


def test_deprecated_fields_carry_a_reason():
    schema = build_schema(SCHEMA_FILE.read_text("utf-8"))
    deprecated = [
        (type_.name, name, field.deprecation_reason)
        for type_ in schema.type_map.values()
        if hasattr(type_, "fields") and not type_.name.startswith("__")
        for name, field in type_.fields.items()
        if field.deprecation_reason is not None
    ]
    assert deprecated and all(reason.strip() for _, _, reason in deprecated)
