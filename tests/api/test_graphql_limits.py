"""Guards of the GraphQL endpoint: depth, tokens and aliases are limited, slow operations
end with a TIMEOUT error, unexpected failures are masked, and nothing answers 500."""

from __future__ import annotations

import asyncio

import strawberry

from mdm.api.gql import HubSchema


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

    schema = HubSchema(query=Slow)
    schema.timeout = 0.05
    result = asyncio.run(schema.execute("{ wait }"))
    assert result.data is None
    assert result.errors[0].extensions == {"code": "TIMEOUT"}


def test_a_malformed_query_is_an_error_in_the_body_not_a_server_error(loaded, client, keys):
    from tests.api._http import auth

    response = client.post("/graphql", json={"query": "{ xref("}, headers=auth(keys.reader))
    assert response.status_code < 500
    assert response.json()["errors"]
