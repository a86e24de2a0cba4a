"""Versions encoded ahead (in ingestion workers) are stored exactly as the plain path stores them."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from mdm.store import VersionBatch, VersionEncoder, utcnow

COMPARED = (
    "entity_type, system, version, is_current, needs_match, raw, attributes, issues,"
    " content_hash, source_updated_at, ingested_at, superseded_at, batch_id, line"
)


def _records(prefix: str, count: int) -> list[dict]:
    start = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    return [
        {
            "source_id": f"{prefix}{i}",
            "raw": {
                "Id": f"{i}",
                "Name": f'Café {i} "Ltd"',
                "Street": "1 High St\nFloor 2",
                "n": i,
                "nested": {"a": [1, None]},
            },
            "attributes": {"name": f"Café {i}", "country": "GB"},
            "issues": ["field 'phone' (from Phone): bad"] if i % 3 == 0 else None,
            "content_hash": f"{i:032x}",
            "source_updated_at": None if i % 4 == 0 else start + timedelta(hours=i),
            "line": i + 2,
        }
        for i in range(count)
    ]


def _plain_row(record: dict, batch: VersionBatch, now, version: int, current: bool) -> dict:
    return {
        "entity_type": batch.entity_type,
        "system": batch.system,
        "version": version,
        "is_current": current,
        "needs_match": current,
        "ingested_at": now,
        "superseded_at": None if current else now,
        "batch_id": batch.batch_id,
        **record,
    }


def _stored(engine: sa.Engine, prefix: str) -> list[tuple]:
    with engine.connect() as c:
        text = "CAST(source_id AS TEXT)" if engine.dialect.name == "sqlite" else "source_id"
        return [
            tuple(row)
            for row in c.execute(
                sa.text(
                    f"SELECT {COMPARED} FROM source_records WHERE source_id LIKE :p ORDER BY {text}"
                ),
                {"p": prefix + "%"},
            )
        ]


def test_encoded_versions_are_stored_like_plain_ones(uow_factory, engine):
    now = utcnow()
    with uow_factory() as uow:
        uow.batches.ensure_system("crm", now)
        batch_id = uow.batches.start(
            system="crm",
            entity_type="customer",
            origin="t",
            actor="t",
            correlation_id="c",
            started_at=now,
        )
        batch = VersionBatch("customer", "crm", batch_id)
        encoder = pickle.loads(pickle.dumps(uow.source_records.encoder()))  # as a worker has it
        plain, ahead = _records("p", 450), _records("e", 450)
        uow.source_records.insert_versions(
            [_plain_row(r, batch, now, 1, True) for r in plain[:420]]
            + [_plain_row(r, batch, now, 2, i % 2 == 0) for i, r in enumerate(plain[420:])]
        )
        payloads = [encoder.payload(**r) for r in ahead]
        uow.source_records.insert_first_versions(batch, payloads[:420], now)
        uow.source_records.insert_later_versions(
            batch, [(p, 2, i % 2 == 0) for i, p in enumerate(payloads[420:])], now
        )
        uow.commit()
    stored_plain, stored_ahead = _stored(engine, "p"), _stored(engine, "e")
    assert len(stored_ahead) == 450
    assert stored_ahead == stored_plain


def test_a_payload_gives_back_its_source_timestamp(uow_factory):
    with uow_factory() as uow:
        encoder = uow.source_records.encoder()
    moment = datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=UTC)
    record = _records("x", 2)[1] | {"source_updated_at": moment}
    assert encoder.source_updated_at(encoder.payload(**record)) == moment
    assert encoder.source_updated_at(encoder.payload(**_records("x", 1)[0])) is None
    assert isinstance(pickle.loads(pickle.dumps(encoder)), VersionEncoder)
