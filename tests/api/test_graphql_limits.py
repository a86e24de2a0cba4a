"""Guards of the GraphQL endpoint: depth, tokens and aliases are limited, slow operations
end with a TIMEOUT error, unexpected failures are masked, and nothing answers 500."""

from __future__ import annotations

import asyncio

import strawberry

from mdm.api.gql import HubSchema
from mdm.api.gql._guards import DocumentCache, OperationGuards


def test_a_query_nested_too_deep_is_refused(loaded, gql_post):
    nested = "record { id related { " * 6
    query = '{ goldenRecord(id: "X") { related { ' + nested + "relation" + " } }" * 6 + " } } }"
    body = gql_post(query)
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


def test_too_many_aliases_are_refused(loaded, gql_post):
    fields = " ".join(f'a{i}: goldenRecord(id: "X") {{ id }}' for i in range(40))
    body = gql_post("{ " + fields + " }")
    assert "aliases" in body["errors"][0]["message"].lower()


def test_a_document_with_too_many_tokens_is_refused(loaded, gql_post):
    body = gql_post("{ " + "__typename " * 25_000 + "}")
    assert "token" in body["errors"][0]["message"].lower()


def test_an_operation_past_its_time_limit_returns_a_timeout_error():
    @strawberry.type
    class Slow:
        @strawberry.field
        async def wait(self) -> int:
            await asyncio.sleep(5)
            return 1

    schema = HubSchema(query=Slow, extensions=[lambda: OperationGuards(schema.documents)])
    schema.documents = DocumentCache(schema._schema)
    schema.timeout = 0.05
    for result in (
        asyncio.run(schema.execute("{ wait }")),
        asyncio.run(schema.execute_lean("{ wait }", None, None)),
    ):
        assert result.data is None
        assert result.errors[0].extensions == {"code": "TIMEOUT"}


def test_a_malformed_query_is_an_error_in_the_body_not_a_server_error(loaded, client, keys):
    from tests.api._http import auth

    response = client.post("/graphql", json={"query": "{ xref("}, headers=auth(keys.reader))
    assert response.status_code < 500
    assert response.json()["errors"]


DEEP = (
    '{ goldenRecord(id: "X") { related { '
    + "record { id related { " * 6
    + "relation"
    + " } }" * 6
    + " } } }"
)


def test_a_query_too_deep_is_refused_each_time_even_from_the_document_cache(app, loaded, gql_post):
    documents = app.state.graphql_schema.documents
    before = documents.prepare.cache_info()
    bodies = [gql_post(DEEP) for _ in range(3)]
    after = documents.prepare.cache_info()
    assert after.misses == before.misses + 1 and after.hits == before.hits + 2
    for body in bodies:
        assert body.get("data") is None
        assert "exceeds maximum operation depth" in body["errors"][0]["message"]


def test_too_many_aliases_are_refused_each_time(loaded, gql_post):
    fields = " ".join(f'a{i}: goldenRecord(id: "X") {{ id }}' for i in range(40))
    for _ in range(2):
        assert "aliases" in gql_post("{ " + fields + " }")["errors"][0]["message"].lower()


def test_a_query_is_parsed_and_validated_once_then_served_from_the_cache(app, loaded, gql_post):
    documents = app.state.graphql_schema.documents
    query = "query Q($id: ID!) { goldenRecord(id: $id) { id status } }"
    before = documents.prepare.cache_info()
    first = gql_post(query, {"id": loaded["acme"]})
    second = gql_post(query, {"id": loaded["beta"]})
    after = documents.prepare.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert first["data"]["goldenRecord"]["id"] == loaded["acme"]
    assert second["data"]["goldenRecord"]["id"] == loaded["beta"]


def test_the_limits_guard_the_get_route_of_the_ide_too(loaded, client, keys):
    from tests.api._http import auth

    response = client.get("/graphql", params={"query": DEEP}, headers=auth(keys.reader))
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


def test_a_cache_entry_made_under_other_rules_is_never_used():
    from graphql import specified_rules

    from mdm.api.gql import build_schema
    from mdm.api.gql._guards import LIMIT_RULES

    documents = build_schema().documents
    plain, _ = documents.prepare(DEEP, tuple(specified_rules))
    guarded, errors = documents.prepare(DEEP, (*specified_rules, *LIMIT_RULES))
    assert documents.prepare.cache_info().misses == 2
    assert any("exceeds maximum operation depth" in e.message for e in errors)


def test_unexpected_failures_are_masked_and_hub_errors_keep_their_code():
    from mdm.api.gql._errors import hub_errors
    from mdm.domain import NotFoundError

    @strawberry.type
    class Failing:
        @strawberry.field
        def broken(self) -> int:
            raise RuntimeError("secret detail of the store")

        @strawberry.field
        def missing(self) -> int:
            with hub_errors():
                raise NotFoundError("no such record")

    schema = HubSchema(query=Failing, extensions=[lambda: OperationGuards(schema.documents)])
    schema.documents = DocumentCache(schema._schema)
    for execute in (schema.execute, lambda q: schema.execute_lean(q, None, None)):
        broken = asyncio.run(execute("{ broken }")).errors[0]
        missing = asyncio.run(execute("{ missing }")).errors[0]
        assert broken.message == "Unexpected error." and "secret" not in str(broken.formatted)
        assert broken.extensions == {"code": "INTERNAL_SERVER_ERROR"}
        assert missing.message == "no such record" and missing.extensions == {"code": "NOT_FOUND"}
