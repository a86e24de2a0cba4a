"""Xref queries over a store written directly: resolveMany's set-based reads agree with the
one-key look-up, follow redirects of merged-away records and keep the order of the keys."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from mdm.domain import RecordKey
from mdm.services import xref_queries
from mdm.store import UnitOfWork
from mdm.store._tables import golden_records, xrefs

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _golden(golden_id: str, name: str, redirect_to: str | None = None) -> dict:
    return dict(
        golden_id=golden_id,
        entity_type="customer",
        status="retired" if redirect_to else "active",
        redirect_to=redirect_to,
        version=1,
        attributes={"name": name},
        provenance={"name": {"system": "crm", "source_id": "x", "rule": "authority"}},
        search_name=name.lower(),
        created_at=NOW,
        updated_at=NOW,
    )


def _xref(system: str, source_id: str, golden_id: str) -> dict:
    return dict(
        entity_type="customer",
        system=system,
        source_id=source_id,
        golden_id=golden_id,
        valid_from=NOW,
    )


def _store(engine) -> None:
    with engine.begin() as c:
        c.execute(
            sa.insert(golden_records),
            [
                _golden("CUS-1", "Acme"),
                _golden("CUS-2", "Beta"),
                _golden("CUS-OLD", "Acme (old)", redirect_to="CUS-OLDER"),
                _golden("CUS-OLDER", "Acme (older)", redirect_to="CUS-1"),
                _golden("CUS-LOST", "Lost", redirect_to="CUS-GONE"),
            ],
        )
        c.execute(
            sa.insert(xrefs),
            [
                _xref("crm", "A", "CUS-1"),
                _xref("psa", "PA", "CUS-1"),
                _xref("crm", "B", "CUS-2"),
                _xref("crm", "STALE", "CUS-OLD"),  # written before two merges
                _xref("crm", "DANGLING", "CUS-LOST"),  # redirect to nothing
            ],
        )


def test_resolve_many_keeps_order_follows_redirects_and_agrees_with_the_single_look_up(
    engine, small_config
):
    _store(engine)
    asked = ["A", "PA", "B", "STALE", "NONE", "A", "DANGLING"]
    keys = [RecordKey("customer", "psa" if s.startswith("P") else "crm", s) for s in asked]
    views = xref_queries.resolve_many(UnitOfWork(engine), small_config, keys)
    ids = [v.golden_id if v else None for v in views]
    assert ids == ["CUS-1", "CUS-1", "CUS-2", "CUS-1", None, "CUS-1", None]
    single = xref_queries.find_by_xref(UnitOfWork(engine), small_config, "customer", "crm", "STALE")
    assert views[3] == single
    assert views[0].attribute_values()[0].value == "Acme"
