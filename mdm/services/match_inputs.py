"""Bulk transfer of current source records from the store into an Arrow table for matching."""

from __future__ import annotations

import io
from collections.abc import Callable

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

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
    """Every current record of `entity_type` as columns: unique_id, system, source_id, attributes.

    Streams the store in batches; the attributes' JSON is parsed by Arrow's columnar JSON
    reader, never into a Python object per record.
    """
    names = list(config.entity_types[entity_type].attributes)
    schema = pa.schema([(n, pa.string()) for n in names])
    parts: list[pa.Table] = []
    for batch in uow.source_records.iter_current_json(entity_type):
        systems, source_ids, documents, updated = zip(*batch, strict=True)
        attributes = _attributes(documents, schema)
        ids = pa.array(source_ids, pa.string())
        system = pa.array(systems, pa.string())
        uid = pc.binary_join_element_wise(system, ids, UID_SEPARATOR)
        head = pa.table({"unique_id": uid, "system": system, "source_id": ids})
        for name in names:
            head = head.append_column(name, attributes[name])
        parts.append(
            head.append_column("source_updated_at", pa.array(updated, pa.timestamp("us", tz="UTC")))
        )
        if progress:
            progress(len(batch))
    if not parts:
        empty = {"unique_id": [], "system": [], "source_id": [], **{n: [] for n in names}}
        table = pa.table({k: pa.array(v, pa.string()) for k, v in empty.items()})
        return table.append_column("source_updated_at", pa.array([], pa.timestamp("us", tz="UTC")))
    # Byte order, not the database's collation: the same records train the same model on
    # SQLite and on PostgreSQL.
    return pa.concat_tables(parts).sort_by([("unique_id", "ascending")])


def _attributes(documents: tuple[str, ...], schema: pa.Schema) -> pa.Table:
    """The attribute documents as string columns (one JSON object per record)."""
    data = "\n".join(documents).encode("utf-8")
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        return pj.read_json(io.BytesIO(data), parse_options=options)
    except pa.ArrowInvalid:  # a value that is not text (a number stored by an old mapping)
        rows = [orjson.loads(doc) for doc in documents]
        return pa.table(
            {f.name: pa.array([_text(r.get(f.name)) for r in rows], pa.string()) for f in schema}
        )


def _text(value: object) -> str | None:
    return None if value is None else value if isinstance(value, str) else str(value)
