"""Bulk transfer of current source records from the store into an Arrow table for matching."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from mdm.config import HubConfig
from mdm.store import UnitOfWork

UID_SEPARATOR = "|"


def unique_id(system: str, source_id: str) -> str:
    """The matching library's record id: 'system|source_id'."""
    return f"{system}{UID_SEPARATOR}{source_id}"


def split_unique_id(uid: str) -> tuple[str, str]:
    system, _, source_id = uid.partition(UID_SEPARATOR)
    return system, source_id


def load_match_input(
    uow: UnitOfWork, config: HubConfig, entity_type: str,
    progress: Callable[[int], None] | None = None,
) -> pa.Table:
    """Every current record of `entity_type` as columns: unique_id, system, source_id, attributes.

    Streams the store in batches and builds columns directly, never a row object per record.
    """
    names = list(config.entity_types[entity_type].attributes)
    columns: dict[str, list] = {"unique_id": [], "system": [], "source_id": [], **{n: [] for n in names}}
    columns["source_updated_at"] = []
    for batch in uow.source_records.iter_current(
        entity_type, ("system", "source_id", "attributes", "source_updated_at")
    ):
        for system, source_id, attributes, updated_at in batch:
            columns["unique_id"].append(unique_id(system, source_id))
            columns["system"].append(system)
            columns["source_id"].append(source_id)
            columns["source_updated_at"].append(updated_at)
            for name in names:
                columns[name].append(attributes.get(name))
        if progress:
            progress(len(batch))
    types = {n: pa.string() for n in columns}
    types["source_updated_at"] = pa.timestamp("us", tz="UTC")
    table = pa.table({n: pa.array(v, type=types[n]) for n, v in columns.items()})
    # Byte order, not the database's collation: the same records train the same model on
    # SQLite and on PostgreSQL.
    return table.sort_by([("unique_id", "ascending")])
