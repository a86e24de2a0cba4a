"""Ingestion into a real store (SQLite and PostgreSQL): idempotent, ordered, all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from mdm.domain import MalformedFileError
from mdm.services.ingestion import load_file, load_rows

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "Id,Name,LegalName,VAT,Country,City,Street,Phone,Web,Created,ParentId,Modified\n"


def _csv(tmp_path: Path, body: str, name: str = "crm.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def _count(engine: sa.Engine, table: str, where: str = "1=1") -> int:
    with engine.connect() as c:
        return c.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one()


def test_every_row_is_stored_or_quarantined_with_counts(uow_factory, small_config, engine):
    report = load_file(uow_factory(), small_config, "crm", "customer", FIXTURES / "crm_small.csv")
    c = report.counts
    assert (c.read, c.inserted, c.quarantined) == (6, 3, 3)
    assert _count(engine, "source_records", "is_current") == 3
    assert _count(engine, "quarantined_rows") == 3
    with uow_factory() as uow:
        stored = uow.source_records.get_current("customer", "crm", "001A")
        reasons = {q["source_id"]: q["reasons"] for q in uow.quarantine.list()}
    assert stored["attributes"]["country"] == "GB"
    assert stored["attributes"]["address_line1"] == "1 High Street"
    assert stored["raw"]["Street"] == "1 High Street\nFloor 2"  # verbatim
    assert any("checksum" in r for r in reasons["001C"])
    assert any("Atlantis" in r for r in reasons["001D"])
    assert reasons[None] == ["missing key: no source id in the key column"]


def test_loading_the_same_file_twice_changes_nothing(uow_factory, small_config, engine):
    load_file(uow_factory(), small_config, "crm", "customer", FIXTURES / "crm_small.csv")
    before = (_count(engine, "source_records"), _count(engine, "quarantined_rows"))
    again = load_file(uow_factory(), small_config, "crm", "customer", FIXTURES / "crm_small.csv")
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 3)
    assert (_count(engine, "source_records"), _count(engine, "quarantined_rows")) == before


def test_a_changed_record_is_a_new_version_and_the_old_one_is_kept(
    uow_factory, small_config, tmp_path
):
    first = _csv(tmp_path, "9,Acme,,,GB,London,,,,,,2024-01-01T00:00:00Z\n", "v1.csv")
    second = _csv(tmp_path, "9,Acme Ltd,,,GB,London,,,,,,2024-02-01T00:00:00Z\n", "v2.csv")
    load_file(uow_factory(), small_config, "crm", "customer", first)
    report = load_file(uow_factory(), small_config, "crm", "customer", second)
    assert report.counts.updated == 1
    with uow_factory() as uow:
        versions = uow.source_records.versions("customer", "crm", "9")
    assert [(v["version"], v["is_current"], v["attributes"]["name"]) for v in versions] == [
        (1, False, "Acme"),
        (2, True, "Acme Ltd"),
    ]
    assert versions[0]["superseded_at"] is not None


def test_an_older_source_timestamp_never_overwrites_a_newer_one(
    uow_factory, small_config, tmp_path
):
    newer = _csv(tmp_path, "9,Acme New,,,GB,London,,,,,,2024-05-01T00:00:00Z\n", "new.csv")
    older = _csv(tmp_path, "9,Acme Old,,,GB,London,,,,,,2024-01-01T00:00:00Z\n", "old.csv")
    load_file(uow_factory(), small_config, "crm", "customer", newer)
    report = load_file(uow_factory(), small_config, "crm", "customer", older)
    assert (report.counts.stale, report.counts.updated) == (1, 0)
    with uow_factory() as uow:
        current = uow.source_records.get_current("customer", "crm", "9")
        versions = uow.source_records.versions("customer", "crm", "9")
    assert current["attributes"]["name"] == "Acme New"
    assert [v["is_current"] for v in versions] == [
        True,
        False,
    ]  # the stale row is kept, not current


def test_duplicate_keys_within_one_file_keep_the_latest_as_current(
    uow_factory, small_config, tmp_path
):
    path = _csv(
        tmp_path,
        "9,A1,,,GB,X,,,,,,2024-01-02T00:00:00Z\n"
        "9,A2,,,GB,X,,,,,,2024-01-03T00:00:00Z\n"
        "9,A0,,,GB,X,,,,,,2024-01-01T00:00:00Z\n",
    )
    report = load_file(uow_factory(), small_config, "crm", "customer", path)
    assert (report.counts.inserted, report.counts.updated, report.counts.stale) == (1, 1, 1)
    with uow_factory() as uow:
        assert uow.source_records.get_current("customer", "crm", "9")["attributes"]["name"] == "A2"
        assert len(uow.source_records.versions("customer", "crm", "9")) == 3


def test_a_row_with_the_wrong_number_of_fields_is_quarantined(uow_factory, small_config, tmp_path):
    path = _csv(
        tmp_path,
        "1,A,,,GB,X,,,,,,2024-01-01T00:00:00Z\n2,B,GB\n3,C,,,GB,X,,,,,,2024-01-01T00:00:00Z\n",
    )
    report = load_file(uow_factory(), small_config, "crm", "customer", path)
    assert (report.counts.inserted, report.counts.quarantined) == (2, 1)
    assert "3 fields where the header has 12" in report.quarantine_sample[0]["reasons"][0]
    assert report.quarantine_sample[0]["line"] == 3


@pytest.mark.parametrize(
    ("body", "encoding", "message"),
    [
        (
            "1,Acme,,,GB,X,,,,,,2024-01-01T00:00:00Z\n2,Caf\u00e9,,,FR,Paris,,,,,,2024\n",
            "latin-1",
            "not valid utf-8",
        ),
        (
            '1,Acme,,,GB,X,,,,,,2024-01-01T00:00:00Z\n2,"Unclosed,,,GB,X,,,,,,2024\n',
            "utf-8",
            "truncated or badly quoted",
        ),
        ("1,Acme,,,GB,X,,,,,,2024-01-01T00:00:00Z\n2,Beta,,,GB", "utf-8", "last line is truncated"),
    ],
    ids=["wrong-encoding", "unclosed-quote", "truncated-last-line"],
)
def test_a_malformed_file_is_refused_and_leaves_the_store_as_it_was(
    uow_factory, small_config, engine, tmp_path, body, encoding, message
):
    load_file(uow_factory(), small_config, "crm", "customer", FIXTURES / "crm_small.csv")
    before = _count(engine, "source_records"), _count(engine, "quarantined_rows")
    path = _csv(tmp_path, body, encoding=encoding)
    with pytest.raises(MalformedFileError, match=message) as caught:
        load_file(uow_factory(), small_config, "crm", "customer", path)
    assert str(path) in str(caught.value) and "line" in str(caught.value)
    assert (_count(engine, "source_records"), _count(engine, "quarantined_rows")) == before
    assert _count(engine, "ingestion_batches", "status = 'failed'") == 1


def test_a_file_without_the_key_column_names_the_column(
    uow_factory, small_config, tmp_path, engine
):
    path = tmp_path / "nokey.csv"
    path.write_text("Name,Country\nAcme,GB\n", encoding="utf-8")
    with pytest.raises(MalformedFileError, match="missing column\\(s\\) 'Id'") as caught:
        load_file(uow_factory(), small_config, "crm", "customer", path)
    assert caught.value.line == 1 and caught.value.column == "Id"
    assert _count(engine, "source_records") == 0


def test_json_lines_load_with_nested_fields_and_bad_lines_quarantined(
    uow_factory, small_config, tmp_path
):
    path = tmp_path / "clients.jsonl"
    lines = [
        {
            "id": "c1",
            "name": "Acme",
            "address": {"city": "London", "country": "UK"},
            "custom": {"crm_id": "001A"},
            "updated_at": "2024-01-01T00:00:00Z",
        },
        "{not json",
        [1, 2],
        {"id": "c2", "name": "Beta", "address": {"country": "DE"}},
    ]
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    report = load_file(uow_factory(), small_config, "psa", "customer", path)
    assert (report.counts.inserted, report.counts.quarantined) == (2, 2)
    with uow_factory() as uow:
        c1 = uow.source_records.get_current("customer", "psa", "c1")
    assert c1["attributes"] == {
        "name": "Acme",
        "city": "London",
        "country": "GB",
        "crm_ref": "001A",
    }


def test_records_given_through_the_api_path_follow_the_same_rules(uow_factory, small_config):
    rows = [{"Id": "1", "Name": "Acme", "Country": "GB"}, {"Id": "2", "Name": "B", "Country": "??"}]
    report = load_rows(uow_factory(), small_config, "crm", "customer", rows)
    assert (report.counts.inserted, report.counts.quarantined) == (1, 1)
    again = load_rows(uow_factory(), small_config, "crm", "customer", rows)
    assert again.counts.unchanged == 1


def test_a_dry_run_counts_but_writes_nothing(uow_factory, small_config, engine):
    report = load_file(
        uow_factory(), small_config, "crm", "customer", FIXTURES / "crm_small.csv", dry_run=True
    )
    assert report.dry_run and report.counts.inserted == 3
    assert _count(engine, "source_records") == 0 and _count(engine, "ingestion_batches") == 0


def test_a_fixed_record_closes_its_quarantine_entry(uow_factory, small_config, tmp_path):
    bad = _csv(tmp_path, "5,Acme,,GB123456789,GB,X,,,,,,2024-01-01T00:00:00Z\n", "bad.csv")
    good = _csv(tmp_path, "5,Acme,,GB980780684,GB,X,,,,,,2024-01-02T00:00:00Z\n", "good.csv")
    load_file(uow_factory(), small_config, "crm", "customer", bad)
    load_file(uow_factory(), small_config, "crm", "customer", good)
    with uow_factory() as uow:
        assert uow.quarantine.list() == []
        assert len(uow.quarantine.list(include_resolved=True)) == 1


def test_large_files_map_on_worker_processes_with_the_same_result(
    uow_factory, small_config, tmp_path
):
    rows = "".join(
        f"{i},Company {i},,,GB,London,,020 7946 {i % 10000:04d},,,,2024-01-01T00:00:00Z\n"
        for i in range(2500)
    )
    path = _csv(tmp_path, rows + "bad,X,,,Atlantis,X,,,,,,2024-01-01T00:00:00Z\n")
    report = load_file(uow_factory(), small_config, "crm", "customer", path, workers=2)
    assert (report.counts.read, report.counts.inserted, report.counts.quarantined) == (
        2501,
        2500,
        1,
    )
    with uow_factory() as uow:
        assert uow.source_records.get_current("customer", "crm", "1234")["attributes"]["phone"] == (
            "+442079461234"
        )


def test_a_record_with_a_stale_version_can_be_reloaded_and_updated_again(uow_factory, small_config):
    def row(name: str, modified: str) -> list[dict]:
        return [{"Id": "1", "Name": name, "Country": "GB", "Modified": modified}]

    load_rows(uow_factory(), small_config, "crm", "customer", row("New", "2024-02-01T00:00:00Z"))
    old = row("Old", "2024-01-01T00:00:00Z")
    assert load_rows(uow_factory(), small_config, "crm", "customer", old).counts.stale == 1
    again = load_rows(uow_factory(), small_config, "crm", "customer", old)
    assert (again.counts.stale, again.counts.unchanged) == (0, 1)  # that content is kept
    newer = row("Newer", "2024-03-01T00:00:00Z")
    assert load_rows(uow_factory(), small_config, "crm", "customer", newer).counts.updated == 1
    with uow_factory() as uow:
        versions = uow.source_records.versions("customer", "crm", "1")
    assert [(v["version"], v["is_current"], v["attributes"]["name"]) for v in versions] == [
        (1, False, "New"),
        (2, False, "Old"),
        (3, True, "Newer"),
    ]
