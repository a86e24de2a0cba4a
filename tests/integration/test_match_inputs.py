"""The matching input read in bulk from a real store (SQLite and PostgreSQL): the same table as
the portable tuple path and as the records stored, odd keys and values included."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import mdm.store._current_arrow as current_arrow
from mdm.services.match_inputs import load_match_input
from mdm.store import utcnow
from mdm.store._attribute_text import text_of

NAMES = [
    "name",
    "legal_name",
    "tax_id",
    "lei",
    "country",
    "city",
    "address_line1",
    "phone",
    "website",
    "created_on",
    "parent_ref",
    "crm_ref",
]
T0 = datetime(2024, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)

# (system, source_id, attributes, source_updated_at)
RECORDS = [
    ("crm", "1", {"name": "Harbour Analytics Ltd", "country": "GB"}, T0),
    ("crm", "2", {"name": "Zürich Präzision AG", "city": "Zürich", "phone": "+41 44 000"}, None),
    ("crm", "10", {"name": "", "legal_name": "NULL", "city": "NA", "website": "n/a"}, T0),
    ("crm", 'it\'s, "quoted"', {"name": 'a "quoted" name, with comma', "lei": "\\x"}, T0),
    ("erp", "line\nbreak", {"name": "two\nlines", "address_line1": "1 High St\r\nFloor 2"}, T0),
    ("erp", "tab\tand\x1fsep", {"name": "北京 数据 🚀", "tax_id": "DE1"}, T0),
    ("erp", "null-valued", {"name": None, "city": None, "unconfigured": 3}, T0),
    ("psa", "P1", {"crm_ref": "1", "parent_ref": "2", "created_on": "2020-02-01"}, T0),
    ("psa", "P2", {}, datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)),
]


def _store(uow_factory, records, entity_type="customer") -> None:
    """Store records as current version 2 of their keys, over a superseded version 1."""
    with uow_factory() as uow:
        for system in sorted({r[0] for r in records}):
            uow.batches.ensure_system(system, utcnow())
        superseded = [(s, i, {"name": "superseded"}, u) for s, i, _, u in records]
        _store_in(uow, superseded, version=1, current=False, entity_type=entity_type)
        _store_in(uow, records, version=2, entity_type=entity_type)
        uow.commit()


def _expected(records) -> pa.Table:
    """The matching input computed from the records themselves."""
    rows = sorted(records, key=lambda r: (f"{r[0]}|{r[1]}", r[0]))
    columns = {
        "unique_id": [f"{s}|{i}" for s, i, _, _ in rows],
        "system": [s for s, _, _, _ in rows],
        "source_id": [i for _, i, _, _ in rows],
        **{n: [text_of(a.get(n)) for _, _, a, _ in rows] for n in NAMES},
    }
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    updated = pa.array([u for *_, u in rows], pa.timestamp("us", tz="UTC"))
    return table.append_column("source_updated_at", updated)


def _portable(uow, names=NAMES) -> pa.Table:
    """The tuple path's blocks, as load_match_input would arrange them."""
    blocks = list(current_arrow.tuple_blocks(uow.connection, "customer", names))
    table = pa.concat_tables(blocks)
    uid = pc.binary_join_element_wise(table["system"], table["source_id"], "|")
    return table.add_column(0, "unique_id", uid).sort_by("unique_id")


def test_the_bulk_read_gives_the_stored_records_as_the_tuple_path_does(uow_factory, small_config):
    _store(uow_factory, RECORDS)
    _store(uow_factory, [("crm", "1", {"name": "a project"}, T0)], entity_type="project")
    with uow_factory() as uow:
        table = load_match_input(uow, small_config, "customer")
        portable = _portable(uow)
    expected = _expected(RECORDS)
    assert table.schema.equals(expected.schema)
    assert table.to_pylist() == expected.to_pylist()
    assert portable.equals(table)


def test_values_that_are_not_text_become_their_python_text_as_before(uow_factory, small_config):
    odd = [
        ("crm", "n1", {"name": 5, "city": 1.5, "phone": True, "website": [1, "a"]}, T0),
        ("crm", "n2", {"name": {"x": 1}, "country": False, "lei": 0, "tax_id": -2.25}, T0),
        ("crm", "s1", {"name": "plain text", "city": "Köln"}, None),
    ]
    _store(uow_factory, odd)
    with uow_factory() as uow:
        table = load_match_input(uow, small_config, "customer")
        portable = _portable(uow)
    rows = {r["source_id"]: r for r in table.to_pylist()}
    assert (rows["n1"]["name"], rows["n1"]["city"], rows["n1"]["phone"]) == ("5", "1.5", "True")
    assert rows["n1"]["website"] == "[1, 'a']"
    assert (rows["n2"]["name"], rows["n2"]["country"], rows["n2"]["lei"]) == (
        "{'x': 1}",
        "False",
        "0",
    )
    assert rows["n2"]["tax_id"] == "-2.25"
    assert rows["s1"]["city"] == "Köln" and rows["s1"]["source_updated_at"] is None
    assert table.to_pylist() == _expected(odd).to_pylist()
    assert portable.equals(table)


def test_an_empty_store_gives_an_empty_table_of_the_same_schema(uow_factory, small_config):
    _store(uow_factory, RECORDS[:1])
    with uow_factory() as uow:
        table = load_match_input(uow, small_config, "project")
    assert table.num_rows == 0
    assert table.column_names == [
        "unique_id",
        "system",
        "source_id",
        "name",
        "customer_ref",
        "start_date",
        "source_updated_at",
    ]


def _many(count: int) -> list[tuple[str, str, dict[str, str], datetime | None]]:
    records = []
    for i in range(count):
        attributes = {"name": f"Company {i}", "country": "GB"}
        if i == 23:
            attributes["website"] = f"c{i}.example"  # a configured name first met late
        if i == 31:
            attributes["city"] = 31  # a number in a block of text
        records.append(("crm" if i % 3 else "erp", f"k{i}", attributes, T0 if i % 2 else None))
    records.append(("psa", "odd\nkey", {"name": "a line break in the key"}, T0))
    return records


def test_a_store_read_in_many_spans_gives_the_same_table(uow_factory, small_config, monkeypatch):
    monkeypatch.setattr(current_arrow, "_FIRST_SPAN", 8)  # SQLite: spans of 8 ids, then
    monkeypatch.setattr(current_arrow, "_SPAN_LIMITS", (3, 11))  # of 3 to 11
    monkeypatch.setattr(current_arrow, "_SEGMENT_BYTES", 200)  # PostgreSQL: CSV segments
    records = _many(60)
    _store(uow_factory, records)
    seen = []
    with uow_factory() as uow:
        table = load_match_input(uow, small_config, "customer", progress=seen.append)
        portable = _portable(uow)
    assert sum(seen) == len(records) and table.num_rows == len(records)
    assert table.to_pylist() == _expected(records).to_pylist()
    assert portable.equals(table)


def test_a_change_committed_during_the_read_is_not_seen(uow_factory, small_config, monkeypatch):
    """The read is one snapshot: a new version committed while its spans are read is left
    for the next run, never read beside the version it replaces."""
    monkeypatch.setattr(current_arrow, "_FIRST_SPAN", 8)
    monkeypatch.setattr(current_arrow, "_SPAN_LIMITS", (8, 8))  # spans of 8 ids
    records = _many(40)
    _store(uow_factory, records)
    names = list(small_config.entity_types["customer"].attributes)

    def supersede_first_and_last() -> None:
        with uow_factory() as writer:
            ids = [
                writer.source_records.get_current("customer", "erp", "k0")["id"],
                writer.source_records.get_current("customer", "psa", "odd\nkey")["id"],
            ]
            writer.source_records.supersede(ids, utcnow())
            _store_in(writer, [("erp", "k0", {"name": "changed"}, T0)])
            writer.commit()

    with uow_factory() as uow:
        blocks = uow.source_records.current_columns("customer", names)
        first = next(blocks)
        writer = threading.Thread(target=supersede_first_and_last)
        writer.start()
        writer.join()
        rest = list(blocks)
    table = pa.concat_tables([first, *rest])
    keys = sorted(zip(table["system"].to_pylist(), table["source_id"].to_pylist(), strict=True))
    assert keys == sorted((s, i) for s, i, _, _ in records)
    changed = [r for r in table.to_pylist() if r["source_id"] == "k0"]
    assert [r["name"] for r in changed] == ["Company 0"]


def _store_in(uow, records, version=3, current=True, entity_type="customer") -> None:
    """Insert one version of each record in an open unit of work, in a batch of its own."""
    batch = uow.batches.start(
        system="crm",
        entity_type=entity_type,
        origin="test",
        actor="test",
        correlation_id="test",
        started_at=utcnow(),
    )
    uow.source_records.insert_versions(
        [
            {
                "entity_type": entity_type,
                "system": system,
                "source_id": source_id,
                "version": version,
                "is_current": current,
                "needs_match": current,
                "raw": {},
                "attributes": attributes,
                "issues": None,
                "content_hash": f"{system}{source_id}{version}",
                "source_updated_at": updated,
                "ingested_at": utcnow(),
                "superseded_at": None if current else utcnow(),
                "batch_id": batch,
                "line": line,
            }
            for line, (system, source_id, attributes, updated) in enumerate(records)
        ]
    )


@pytest.mark.parametrize("names", [["name"], []])
def test_few_or_no_attribute_names_are_read_alike(uow_factory, names):
    _store(uow_factory, RECORDS)
    with uow_factory() as uow:
        blocks = list(uow.source_records.current_columns("customer", names))
        portable = _portable(uow, names)
    table = pa.concat_tables(blocks)
    assert table.column_names == ["system", "source_id", *names, "source_updated_at"]
    uid = pc.binary_join_element_wise(table["system"], table["source_id"], "|")
    assert table.add_column(0, "unique_id", uid).sort_by("unique_id").equals(portable)


def test_a_postgresql_connection_in_another_client_encoding_reads_the_same(
    uow_factory, small_config, engine
):
    if engine.dialect.name != "postgresql":
        pytest.skip("client encodings are PostgreSQL's")
    latin = [("crm", "é1", {"name": "Société Générale", "city": "Köln"}, T0)]
    _store(uow_factory, latin)
    with uow_factory() as uow:
        uow.connection.exec_driver_sql("SET client_encoding TO 'LATIN1'")
        table = load_match_input(uow, small_config, "customer")
    assert table.to_pylist() == _expected(latin).to_pylist()


def test_keys_and_versions_read_plainly_are_the_rows_sqlalchemy_gives(uow_factory):
    """The bulk reads of a match run (current versions, open xrefs, golden states) take the
    driver's own tuples; on SQLite and PostgreSQL they are the values SQLAlchemy reads,
    bound parameters and the transaction's own uncommitted rows included."""
    import sqlalchemy as sa

    from mdm.store._bulk import fetch_plain
    from mdm.store._tables import source_records as t

    _store(uow_factory, RECORDS)
    with uow_factory() as uow:
        connection = uow.connection
        changed = sa.update(t).where(t.c.system == "psa").values(line=99)
        connection.execute(changed)  # uncommitted, and seen below
        query = sa.select(t.c.system, t.c.source_id, t.c.version, t.c.line).where(
            t.c.entity_type == "customer", t.c.is_current, t.c.version >= 2
        )
        plain = fetch_plain(connection, query)
        assert sorted(plain) == sorted(tuple(r) for r in connection.execute(query))
        assert len(plain) == len(RECORDS)
        assert {line for system, _, _, line in plain if system == "psa"} == {99}
        versions = uow.source_records.current_versions("customer")
        assert versions == {(s, i): 2 for s, i, *_ in RECORDS}
        with pytest.raises(TypeError, match="expanding"):
            fetch_plain(connection, sa.select(t.c.id).where(t.c.source_id.in_(["1", "2"])))
        with pytest.raises(TypeError, match="result processor"):
            fetch_plain(connection, sa.select(t.c.source_updated_at))  # UTC-aware on reading
