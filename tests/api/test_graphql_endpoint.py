"""The lean path of POST /graphql answers as the rest of the app does: keys checked before
the body is read, the correlation id echoed, bad bodies refused with 4xx, never a 500."""

from __future__ import annotations

import json

from tests.api._http import auth

QUERY = {"query": "{ changes { edges { cursor } } }"}


def test_a_post_without_a_key_is_refused_before_its_body_is_read(client):
    response = client.post("/graphql", content=b"not even json")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "API key is required" in response.json()["detail"]


def test_the_correlation_id_is_echoed_or_given(client, keys):
    given = client.post(
        "/graphql", json=QUERY, headers={**auth(keys.reader), "X-Correlation-ID": "sync.7"}
    )
    assert given.headers["x-correlation-id"] == "sync.7"
    fresh = client.post("/graphql", json=QUERY, headers=auth(keys.reader))
    assert len(fresh.headers["x-correlation-id"]) >= 16


def test_a_body_that_is_not_a_graphql_request_is_a_400(client, keys):
    not_json = client.post("/graphql", content=b"{query", headers=auth(keys.reader))
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["detail"]
    no_query = client.post("/graphql", json={"variables": {}}, headers=auth(keys.reader))
    assert no_query.status_code == 400 and "query" in no_query.json()["detail"]
    for bad in ({"variables": "{}"}, {"variables": [1]}, {"operationName": 3}):
        response = client.post(
            "/graphql", json={"query": "{ __typename }", **bad}, headers=auth(keys.reader)
        )
        assert response.status_code == 400, (bad, response.text)


def test_an_oversized_body_is_a_413(client, keys):
    from mdm.api.gql._endpoint import MAX_BODY_BYTES

    body = b'{"query": "{ __typename }", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = client.post("/graphql", content=body, headers=auth(keys.reader))
    assert response.status_code == 413


def test_get_is_still_served_by_strawberrys_router(loaded, client, keys):
    response = client.get("/graphql", params={"query": "{ __typename }"}, headers=auth(keys.reader))
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}
    assert "x-correlation-id" in response.headers


def test_an_unknown_operation_name_or_a_mutation_is_an_error_in_the_body(client, keys):
    unknown = client.post(
        "/graphql",
        json={"query": "query A { __typename }", "operationName": "B"},
        headers=auth(keys.reader),
    )
    assert unknown.status_code == 200 and "B" in unknown.json()["errors"][0]["message"]
    mutation = client.post("/graphql", json={"query": "mutation { x }"}, headers=auth(keys.reader))
    assert mutation.status_code == 200 and mutation.json()["data"] is None
    assert "mutation" in mutation.json()["errors"][0]["message"]


def test_the_lean_path_and_strawberrys_router_answer_alike(loaded, client, keys):
    query = (
        'query X($s: String!) { xref(system: "crm", sourceId: $s, entityType: "customer") { id } }'
    )
    for source_id in ("001A", "missing"):
        variables = {"s": source_id}
        post = client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth(keys.reader)
        ).json()
        get = client.get(
            "/graphql",
            params={"query": query, "variables": json.dumps(variables)},
            headers=auth(keys.reader),
        ).json()
        assert post == get
