"""The xref API's queries against sample data built by ingestion and golden-record building."""

from __future__ import annotations

GOLDEN_FIELDS = """
  id entityType status version redirectedFrom
  attributes { name value system sourceId rule }
  sourceRecords { system sourceId }
"""


def test_xref_finds_the_golden_record_of_a_source_key(loaded, gql_post):
    body = gql_post(
        f'{{ xref(system: "crm", sourceId: "001A", entityType: "customer") {{ {GOLDEN_FIELDS} }} }}'
    )
    record = body["data"]["xref"]
    assert record["id"] == loaded["acme"]
    assert record["status"] == "active"
    assert {"system": "psa", "sourceId": "P1"} in record["sourceRecords"]
    names = {a["name"]: a for a in record["attributes"]}
    assert names["tax_id"]["value"] == "GB980780684"
    assert names["tax_id"]["system"] == "crm" and names["tax_id"]["sourceId"] == "001A"


def test_translate_gives_the_entitys_ids_in_another_system(loaded, gql_post):
    body = gql_post(
        '{ translate(system: "crm", sourceId: "001B", toSystem: "psa", entityType: "customer")'
        " { system sourceIds goldenRecord { id } } }"
    )
    assert body["data"]["translate"] == {
        "system": "psa",
        "sourceIds": ["P2"],
        "goldenRecord": {"id": loaded["beta"]},
    }


def test_translate_to_a_system_without_the_entity_gives_no_ids(loaded, gql_post):
    body = gql_post(
        '{ translate(system: "crm", sourceId: "001E", toSystem: "psa", entityType: "customer")'
        " { sourceIds } }"
    )
    assert body["data"]["translate"]["sourceIds"] == []


def test_a_merged_away_golden_id_redirects_to_its_survivor_and_says_so(loaded, gql_post):
    body = gql_post(
        "query($id: ID!) { goldenRecord(id: $id) { id redirectedFrom status } }",
        {"id": loaded["acme_retired"]},
    )
    assert body["data"]["goldenRecord"] == {
        "id": loaded["acme"],
        "redirectedFrom": loaded["acme_retired"],
        "status": "active",
    }


def test_a_golden_record_as_of_a_past_time_is_read_from_history(loaded, gql_post):
    query = "query($id: ID!, $at: DateTime) { goldenRecord(id: $id, asOf: $at) { id status asOf } }"
    then = gql_post(query, {"id": loaded["acme_retired"], "at": "2024-03-15T00:00:00Z"})
    assert then["data"]["goldenRecord"]["id"] == loaded["acme_retired"]
    assert then["data"]["goldenRecord"]["status"] == "active"
    before = gql_post(query, {"id": loaded["acme"], "at": "2020-01-01T00:00:00Z"})
    assert before["data"]["goldenRecord"] is None
    assert before["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_history_lists_every_version_oldest_first(loaded, gql_post):
    body = gql_post(
        "query($id: ID!) { goldenRecord(id: $id) { history { version validFrom validTo status } } }",
        {"id": loaded["acme_retired"]},
    )
    history = body["data"]["goldenRecord"]["history"]
    assert [h["version"] for h in history] == sorted(h["version"] for h in history)
    assert history[-1]["validTo"] is None


def test_related_records_link_a_project_to_its_customer_and_a_customer_to_its_parent(
    loaded, gql_post
):
    query = (
        "query($id: ID!) { goldenRecord(id: $id) { related { relation direction record { id } } } }"
    )
    project = gql_post(query, {"id": loaded["project"]})["data"]["goldenRecord"]["related"]
    assert loaded["acme"] in {r["record"]["id"] for r in project}
    beta = gql_post(query, {"id": loaded["beta"]})["data"]["goldenRecord"]["related"]
    assert loaded["acme"] in {r["record"]["id"] for r in beta}


def test_resolve_many_answers_every_key_in_order_with_null_for_unlinked_keys(loaded, gql_post):
    keys = [
        {"entityType": "customer", "system": "psa", "sourceId": "P2"},
        {"entityType": "customer", "system": "crm", "sourceId": "nope"},
        {"entityType": "project", "system": "psa", "sourceId": "J1"},
    ]
    body = gql_post(
        "query($keys: [SourceKeyInput!]!) { resolveMany(keys: $keys) { sourceId goldenRecord { id } } }",
        {"keys": keys},
    )
    assert body["data"]["resolveMany"] == [
        {"sourceId": "P2", "goldenRecord": {"id": loaded["beta"]}},
        {"sourceId": "nope", "goldenRecord": None},
        {"sourceId": "J1", "goldenRecord": {"id": loaded["project"]}},
    ]


def test_resolve_many_takes_keys_written_in_the_document_too(loaded, gql_post):
    body = gql_post(
        '{ resolveMany(keys: [{entityType: "customer", system: "crm", sourceId: "001B"},'
        ' {sourceId: "P1", system: "psa", entityType: "customer"}])'
        " { entityType system sourceId goldenRecord { id } } }"
    )
    assert body["data"]["resolveMany"] == [
        {
            "entityType": "customer",
            "system": "crm",
            "sourceId": "001B",
            "goldenRecord": {"id": loaded["beta"]},
        },
        {
            "entityType": "customer",
            "system": "psa",
            "sourceId": "P1",
            "goldenRecord": {"id": loaded["acme"]},
        },
    ]


def test_a_key_missing_a_field_is_refused_by_validation(loaded, gql_post):
    body = gql_post('{ resolveMany(keys: [{system: "crm", sourceId: "001B"}]) { sourceId } }')
    assert body["data"] is None and "entityType" in body["errors"][0]["message"]


def test_resolve_many_refuses_more_than_a_thousand_keys(loaded, gql_post):
    keys = [{"entityType": "customer", "system": "crm", "sourceId": str(i)} for i in range(1001)]
    body = gql_post(
        "query($keys: [SourceKeyInput!]!) { resolveMany(keys: $keys) { sourceId } }", {"keys": keys}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_search_finds_records_by_a_misspelt_name_best_first(loaded, gql_post):
    body = gql_post(
        '{ search(entityType: "customer", name: "acmee") { totalCount edges { score node { id } } } }'
    )
    edges = body["data"]["search"]["edges"]
    assert edges[0]["node"]["id"] == loaded["acme"]


def test_search_pages_with_cursors_without_repeating_records(loaded, gql_post):
    query = """query($after: String) { search(entityType: "customer", name: "gamma beta acme",
        first: 1, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    for _ in range(5):
        page = gql_post(query, {"after": after})["data"]["search"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) >= 2


def test_search_filters_by_country(loaded, gql_post):
    body = gql_post(
        '{ search(entityType: "customer", name: "beta", country: "GB") { edges { node { id } } } }'
    )
    assert loaded["beta"] not in {e["node"]["id"] for e in body["data"]["search"]["edges"]}


def test_the_change_feed_pages_through_the_outbox_in_sequence(loaded, gql_post):
    query = """query($after: String) { changes(after: $after, first: 2) {
        edges { cursor node { sequence eventType aggregateId correlationId } }
        pageInfo { hasNextPage endCursor } } }"""
    first = gql_post(query)["data"]["changes"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    second = gql_post(query, {"after": first["pageInfo"]["endCursor"]})["data"]["changes"]
    sequences = [e["node"]["sequence"] for e in first["edges"] + second["edges"]]
    assert sequences == sorted(set(sequences))


def test_unknown_system_entity_type_or_id_are_typed_not_found_errors(loaded, gql_post):
    for args in (
        'system: "sap", sourceId: "001A", entityType: "customer"',
        'system: "crm", sourceId: "001A", entityType: "vendor"',
        'system: "crm", sourceId: "nope", entityType: "customer"',
    ):
        body = gql_post(f"{{ xref({args}) {{ id }} }}")
        assert body["data"] == {"xref": None}
        error = body["errors"][0]
        assert error["extensions"]["code"] == "NOT_FOUND"
        assert error["path"] == ["xref"]
    body = gql_post('{ goldenRecord(id: "CUS-999999") { id } }')
    assert "CUS-999999" in body["errors"][0]["message"]


def test_a_bad_cursor_is_a_bad_user_input_error(loaded, gql_post):
    body = gql_post('{ changes(after: "yesterday") { edges { cursor } } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
