"""resolveMany answers a thousand keys with a bounded number of SQL statements (no N+1)."""

from __future__ import annotations

import sqlalchemy as sa

QUERY = """query($keys: [SourceKeyInput!]!) { resolveMany(keys: $keys) {
  sourceId goldenRecord { id attributes { name value system } sourceRecords { system sourceId }
  history { version } related { relation record { id } } } } }"""


def _keys(n: int) -> list[dict[str, str]]:
    real = [("crm", "001A"), ("crm", "001B"), ("crm", "001E"), ("psa", "P1"), ("psa", "P2")]
    keys = [{"entityType": "customer", "system": s, "sourceId": i} for s, i in real]
    keys += [{"entityType": "customer", "system": "crm", "sourceId": f"X{i}"} for i in range(n)]
    keys.append({"entityType": "project", "system": "psa", "sourceId": "J1"})
    return keys[:n]


def _statements(app, gql_post, keys) -> tuple[int, dict]:
    count = 0

    def on_execute(*_args) -> None:
        nonlocal count
        count += 1

    engine = app.state.hub.engine
    sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        body = gql_post(QUERY, {"keys": keys})
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
    return count, body


def test_resolve_many_of_a_thousand_keys_costs_as_few_statements_as_of_five(app, loaded, gql_post):
    small, body = _statements(app, gql_post, _keys(5))
    assert "errors" not in body
    large, body = _statements(app, gql_post, _keys(1000) + [])
    assert "errors" not in body
    assert len(body["data"]["resolveMany"]) == 1000
    assert large <= small + 2  # chunked IN lists may add one statement per 1,000 ids
    assert large <= 15


def test_nested_fields_of_many_records_are_loaded_in_batches(app, loaded, gql_post):
    keys = _keys(5) + [{"entityType": "project", "system": "psa", "sourceId": "J1"}]
    count, body = _statements(app, gql_post, keys)
    found = [r["goldenRecord"] for r in body["data"]["resolveMany"] if r["goldenRecord"]]
    assert len(found) == 6
    # key check, xrefs per entity type (2), records, members, history, relations (+ lookups)
    assert count <= 12
