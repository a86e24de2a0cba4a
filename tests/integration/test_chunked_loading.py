"""Loading in chunks, here or on worker processes: the same store as row by row, exact lines."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from mdm.domain import MalformedFileError
from mdm.services import extract_chunks
from mdm.services.extract_chunks import count_lines
from mdm.services.ingestion import load_file
from mdm.store import UnitOfWork, create_store_engine, upgrade_store

HEADER = "Id,Name,LegalName,VAT,Country,City,Street,Phone,Web,Created,ParentId,Modified\n"
STORED = (
    "source_id, version, is_current, raw, attributes, issues, content_hash, source_updated_at, line"
)


def _extract(tmp_path: Path, rows: int) -> tuple[Path, set[int]]:
    """A CRM extract with multi-line quoted streets, odd quoting and refused rows."""
    rng = random.Random(3)
    lines, bad, line = [HEADER], set(), 2
    for i in range(rows):
        street = rng.choice(['"1 High St\nFloor 2"', "Main St", '"A ""quoted"" st\r\nBack"', ""])
        country = rng.choice(["UK", "Deutschland", "France", "Atlantis"])
        if country == "Atlantis":
            bad.add(line)
        phone = rng.choice(["020 7946 0018", "030 1234567", "not a phone", ""])
        web = rng.choice(["https://www.acme.co.uk/x", "acme.de:8080", "n/a", ""])
        lines.append(
            f"{i},Company {i},Company {i} Ltd,,{country},london,{street},{phone},{web},"
            f"0{rng.randrange(1, 9)}/02/2020,,2024-01-0{rng.randrange(1, 9)}T10:00:00Z\n"
        )
        line += count_lines(lines[-1])
        if i % 97 == 0:
            lines.append(f"short{i},row\n")
            bad.add(line)
            line += 1
    path = tmp_path / "crm.csv"
    path.write_bytes("".join(lines).encode("utf-8"))
    return path, bad


def _store(tmp_path: Path, name: str) -> sa.Engine:
    engine = create_store_engine(f"sqlite:///{tmp_path / name}")
    upgrade_store(engine)
    return engine


def _stored(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as c:
        records = c.execute(sa.text(f"SELECT {STORED} FROM source_records ORDER BY line"))
        quarantined = c.execute(
            sa.text("SELECT line, raw, reasons FROM quarantined_rows ORDER BY line")
        )
        return [tuple(r) for r in records] + [tuple(q) for q in quarantined]


@pytest.mark.parametrize("workers", [1, 2])
def test_small_chunks_store_exactly_what_one_chunk_stores(
    tmp_path, small_config, monkeypatch, workers
):
    path, bad = _extract(tmp_path, 600)
    whole = _store(tmp_path, "whole.db")
    load_file(UnitOfWork(whole), small_config, "crm", "customer", path, workers=1)
    monkeypatch.setattr(extract_chunks, "BLOCK_CHARS", 700)  # a record split in every chunk
    chunked = _store(tmp_path, "chunked.db")
    report = load_file(UnitOfWork(chunked), small_config, "crm", "customer", path, workers=workers)
    assert report.counts.quarantined == len(bad)
    assert _stored(chunked) == _stored(whole)
    with chunked.connect() as c:
        lines = {r[0] for r in c.execute(sa.text("SELECT line FROM quarantined_rows"))}
    assert lines == bad


def test_a_malformed_line_far_into_a_file_on_workers_names_its_line_and_stores_nothing(
    tmp_path, small_config, monkeypatch
):
    path, _ = _extract(tmp_path, 400)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '9999,"Unclosed,,,UK,X,,,,,,2024-01-01T00:00:00Z\n', encoding="utf-8")
    expected = count_lines(text) + 1
    monkeypatch.setattr(extract_chunks, "BLOCK_CHARS", 4096)
    engine = _store(tmp_path, "hub.db")
    with pytest.raises(MalformedFileError, match="truncated or badly quoted") as caught:
        load_file(UnitOfWork(engine), small_config, "crm", "customer", path, workers=2)
    assert caught.value.line == expected
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM source_records")).scalar_one() == 0
        failed = c.execute(sa.text("SELECT status FROM ingestion_batches")).scalars().all()
    assert failed == ["failed"]


def _row(key: str, name: str, modified: str) -> str:
    return f"{key},{name},,,GB,London,,,,,,{modified}\n"


def test_a_key_repeated_across_chunks_of_one_load_is_versioned_as_within_one(
    uow_factory, small_config, tmp_path, monkeypatch
):
    monkeypatch.setattr(extract_chunks, "BLOCK_CHARS", 120)  # about two rows a chunk
    body = [_row(f"k{i}", f"N{i}", "2024-01-02T00:00:00Z") for i in range(8)]
    body += [
        _row("k1", "N1 again", "2024-01-03T00:00:00Z"),  # updated
        _row("k2", "N2 older", "2024-01-01T00:00:00Z"),  # stale
        _row("k3", "N3", "2024-01-02T00:00:00Z"),  # unchanged
        _row("k1", "N1 third", "2024-01-04T00:00:00Z"),  # updated again
    ]
    path = tmp_path / "crm.csv"
    path.write_text(HEADER + "".join(body), encoding="utf-8")
    report = load_file(uow_factory(), small_config, "crm", "customer", path)
    c = report.counts
    assert (c.inserted, c.updated, c.stale, c.unchanged) == (8, 2, 1, 1)
    with uow_factory() as uow:
        k1 = uow.source_records.versions("customer", "crm", "k1")
        k2 = uow.source_records.versions("customer", "crm", "k2")
    assert [(v["version"], v["is_current"], v["attributes"]["name"]) for v in k1] == [
        (1, False, "N1"),
        (2, False, "N1 again"),
        (3, True, "N1 third"),
    ]
    assert [(v["version"], v["is_current"]) for v in k2] == [(1, True), (2, False)]
    again = load_file(uow_factory(), small_config, "crm", "customer", path)
    assert again.counts.unchanged == 12  # the same file twice changes nothing


def test_records_given_in_many_chunks_through_the_api_path_follow_the_same_rules(
    uow_factory, small_config, monkeypatch
):
    from mdm.services import ingestion

    monkeypatch.setattr(ingestion, "CHUNK_ROWS", 3)
    rows = [{"Id": str(i % 5), "Name": f"N{i}", "Country": "GB"} for i in range(10)]
    report = ingestion.load_rows(uow_factory(), small_config, "crm", "customer", rows)
    assert (report.counts.inserted, report.counts.updated) == (5, 5)
    with uow_factory() as uow:
        assert uow.source_records.get_current("customer", "crm", "4")["attributes"]["name"] == "N9"
