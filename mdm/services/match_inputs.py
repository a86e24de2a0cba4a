"""Bulk transfer of current source records from the store into an Arrow table for matching."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

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
    uow: UnitOfWork,
    config: HubConfig,
    entity_type: str,
    progress: Callable[[int], None] | None = None,
) -> pa.Table:
    """Every current record of `entity_type` as columns: unique_id, system, source_id, one
    text column per configured attribute, source_updated_at.

    The store hands the records over in Arrow blocks, never a Python object per value.
    """
    names = list(config.entity_types[entity_type].attributes)
    parts: list[pa.Table] = []
    for block in uow.source_records.current_columns(entity_type, names):
        parts.append(block)
        if progress:
            progress(block.num_rows)
    if not parts:
        empty = {"unique_id": [], "system": [], "source_id": [], **{n: [] for n in names}}
        table = pa.table({k: pa.array(v, pa.string()) for k, v in empty.items()})
        return table.append_column("source_updated_at", pa.array([], pa.timestamp("us", tz="UTC")))
    table = pa.concat_tables(parts)
    uid = pc.binary_join_element_wise(table["system"], table["source_id"], UID_SEPARATOR)
    # Byte order, not the database's collation: the same records train the same model on
    # SQLite and on PostgreSQL. Ties (a system name holding the separator) by system.
    return table.add_column(0, "unique_id", uid).sort_by(
        [("unique_id", "ascending"), ("system", "ascending")]
    )
