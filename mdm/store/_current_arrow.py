"""Current source records as Arrow columns, moved in bulk rather than a Python object per value.

SQLite hands each span of rows over as two texts built by `group_concat`: the keys one row a
line (read as CSV) and the attribute documents one a line (read by Arrow's JSON reader), parsed
in a thread while the next span is queried. PostgreSQL (psycopg) extracts the attributes
itself and sends everything in one COPY, read as CSV. Other backends read tuples. Every path
gives the same columns: system, source_id, each named attribute as text, source_updated_at.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import sqlalchemy as sa

from mdm.store._attribute_text import AttributeReader, text_of
from mdm.store._tables import source_records as t

UPDATED = pa.timestamp("us", tz="UTC")
# SQLite spans of ids: the first of _FIRST_SPAN ids, the next sized from the text the last
# one gave for about _SPAN_BYTES (~100k records at ~250 bytes), far from SQLite's 1 GB cap on
# one text whatever the size of the documents.
_FIRST_SPAN = 16_384
_SPAN_BYTES = 24 << 20
_SPAN_LIMITS = (256, 1 << 20)
# PostgreSQL's CSV is parsed in segments of ~33k rows while the server sends the rest (~10%
# off at 200k records).
_SEGMENT_BYTES = 4 << 20


def current_columns(
    connection: sa.Connection, entity_type: str, names: Sequence[str]
) -> Iterator[pa.Table]:
    """The current records of `entity_type` in blocks, in no particular order, as one
    consistent read."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        return _sqlite_blocks(connection, entity_type, names)
    # Arrow reads UTF-8 only: a connection in another client encoding reads tuples.
    if (
        dialect.name == "postgresql"
        and dialect.driver == "psycopg"
        and connection.connection.driver_connection.info.encoding == "utf-8"
    ):
        return _postgresql_blocks(connection, entity_type, names)
    return tuple_blocks(connection, entity_type, names)


def tuple_blocks(
    connection: sa.Connection,
    entity_type: str,
    names: Sequence[str],
    where: sa.ColumnElement[bool] | None = None,
    batch_size: int = 100_000,
) -> Iterator[pa.Table]:
    """The portable path: rows as tuples through SQLAlchemy, their JSON parsed by Arrow."""
    query = sa.select(
        t.c.system, t.c.source_id, sa.cast(t.c.attributes, sa.Text), t.c.source_updated_at
    ).where(t.c.entity_type == entity_type, t.c.is_current)
    if where is not None:
        query = query.where(where)
    reader = AttributeReader(names)
    result = connection.execute(query.execution_options(yield_per=batch_size))
    for batch in result.partitions(batch_size):
        systems, source_ids, documents, updated = zip(*batch, strict=True)
        keys = {
            "system": pa.array(systems, pa.string()),
            "source_id": pa.array(source_ids, pa.string()),
        }
        attributes = reader.read("\n".join(documents).encode("utf-8"))
        yield _assemble(keys, attributes, pa.array(updated, UPDATED))


def _assemble(keys: dict[str, pa.Array], attributes: pa.Table, updated: pa.Array) -> pa.Table:
    columns = {**keys, **dict(zip(attributes.column_names, attributes.columns, strict=True))}
    return pa.table({**columns, "source_updated_at": updated})


def _sqlite_blocks(
    connection: sa.Connection, entity_type: str, names: Sequence[str]
) -> Iterator[pa.Table]:
    """Spans of ids in rowid order, read inside one savepoint: one snapshot for them all
    (pysqlite opens no transaction for reads, so each statement would have its own)."""
    keys = "system || char(31) || source_id || char(31) || coalesce(source_updated_at, '')"
    span = sa.text(
        f"SELECT CAST(group_concat({keys}, char(10)) AS BLOB),"
        " CAST(group_concat(attributes, char(10)) AS BLOB), count(*)"
        " FROM source_records WHERE id BETWEEN :low AND :high"
        # `+`: scan the span of ids, not the current-records index that the planner prefers
        " AND +entity_type = :entity_type AND +is_current"
    )
    reader = AttributeReader(names)
    with connection.begin_nested(), ThreadPoolExecutor(1) as parser:
        low, high = connection.execute(sa.select(sa.func.min(t.c.id), sa.func.max(t.c.id))).one()
        pending: tuple[Future[pa.Table | None], int, int] | None = None
        start, size = low or 0, _FIRST_SPAN
        while high is not None and start <= high:
            bounds = {"low": start, "high": start + size - 1}
            lines, documents, count = connection.execute(
                span, {**bounds, "entity_type": entity_type}
            ).one()
            if pending is not None:  # parsed while this span was read
                yield from _sqlite_parsed(connection, entity_type, names, *pending)
            pending = None
            if count:
                job = parser.submit(_sqlite_columns, lines, documents, count, reader)
                pending = (job, start, start + size - 1)
            start += size
            if count:
                grown = size * _SPAN_BYTES // max(len(lines) + len(documents), 1)
                size = min(max(grown, _SPAN_LIMITS[0]), _SPAN_LIMITS[1])
        if pending is not None:
            yield from _sqlite_parsed(connection, entity_type, names, *pending)


def _sqlite_parsed(
    connection: sa.Connection,
    entity_type: str,
    names: Sequence[str],
    job: Future[pa.Table | None],
    low: int,
    high: int,
) -> Iterator[pa.Table]:
    table = job.result()
    if table is not None:
        yield table
        return
    # Keys holding a line break or the separator, or text not as this store writes it
    # (compact JSON, SQLAlchemy's timestamps): this span as tuples.
    where = t.c.id.between(low, high)
    yield from tuple_blocks(connection, entity_type, names, where)


_SQLITE_KEYS = (
    pcsv.ReadOptions(column_names=["system", "source_id", "source_updated_at"]),
    pcsv.ParseOptions(delimiter="\x1f", quote_char=False, ignore_empty_lines=False),
    pcsv.ConvertOptions(
        column_types={
            "system": pa.string(),
            "source_id": pa.string(),
            "source_updated_at": pa.timestamp("us"),  # naive UTC, as SQLAlchemy stores it
        },
        null_values=[""],  # only a missing timestamp: texts are never null here
        strings_can_be_null=False,
    ),
)


def _sqlite_columns(
    lines: bytes, documents: bytes, count: int, reader: AttributeReader
) -> pa.Table | None:
    """One span's texts as columns; None when they cannot be read as this store writes them."""
    read, parse, convert = _SQLITE_KEYS
    try:
        keys = pcsv.read_csv(
            io.BytesIO(lines), read_options=read, parse_options=parse, convert_options=convert
        )
        if keys.num_rows != count:  # a key holding a line break
            return None
        attributes = reader.read(documents)
    except (pa.ArrowInvalid, ValueError):  # orjson's decode error is a ValueError
        return None
    if attributes.num_rows != count:  # a document over several lines
        return None
    updated = keys["source_updated_at"].cast(UPDATED)
    return _assemble(
        {"system": keys["system"], "source_id": keys["source_id"]}, attributes, updated
    )


# Rows holding a value that is neither text nor null; `->>` would give its JSON text, where
# the other paths give Python's `str` of it. Such rows also carry their document.
_NOT_TEXT = 'attributes @? \'$.* ? (@.type() != "string" && @.type() != "null")\''


def _postgresql_blocks(
    connection: sa.Connection, entity_type: str, names: Sequence[str]
) -> Iterator[pa.Table]:
    """One COPY ... TO STDOUT on the connection's own transaction (one statement, one
    snapshot), the attributes taken out of the jsonb by the server; its CSV is parsed in a
    thread, a segment of whole rows at a time, while the server sends the rest."""
    epoch_us = sa.cast(sa.extract("epoch", t.c.source_updated_at) * 1_000_000, sa.BigInteger)
    odd = sa.case((sa.literal_column(_NOT_TEXT), sa.cast(t.c.attributes, sa.Text)))
    query = sa.select(
        t.c.system,
        t.c.source_id,
        epoch_us,
        *(t.c.attributes[name].as_string() for name in names),
        odd,
    ).where(t.c.entity_type == entity_type, t.c.is_current)
    select = query.compile(dialect=connection.dialect)
    jobs: list[Future[pa.Table]] = []
    data = bytearray()
    cursor = connection.connection.driver_connection.cursor()
    with ThreadPoolExecutor(1) as parser:
        try:
            # psycopg binds the parameters itself: COPY takes none from the server's protocol.
            with cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)", select.params) as copy:
                for chunk in copy:
                    data += chunk
                    end = _rows_end(data) if len(data) >= _SEGMENT_BYTES else 0
                    if end:
                        jobs.append(parser.submit(_read_postgresql_csv, bytes(data[:end]), names))
                        del data[:end]
        finally:
            cursor.close()
        if data:
            jobs.append(parser.submit(_read_postgresql_csv, bytes(data), names))
        for job in jobs:
            yield job.result()


def _rows_end(data: bytearray) -> int:
    """Where the last whole CSV row of `data` ends (0: none): after a line break preceded by
    an even number of quotes, as PostgreSQL quotes every field holding one and doubles the
    quotes inside."""
    end = data.rfind(b"\n")
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end)
    return end + 1


def _read_postgresql_csv(data: bytes, names: Sequence[str]) -> pa.Table:
    columns = ["system", "source_id", "updated_us", *names, "odd"]
    types = {n: pa.string() for n in columns} | {"updated_us": pa.int64()}
    table = pcsv.read_csv(
        io.BytesIO(data),
        read_options=pcsv.ReadOptions(column_names=columns),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types=types,
            null_values=[""],  # NULL is an unquoted empty field; an empty text is ""
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    attributes = table.select(list(names))
    odd = table["odd"]
    if odd.null_count < len(odd):
        attributes = _as_text(attributes, odd)
    keys = {"system": table["system"], "source_id": table["source_id"]}
    return _assemble(keys, attributes, table["updated_us"].cast(UPDATED))


def _as_text(attributes: pa.Table, odd: pa.ChunkedArray) -> pa.Table:
    """The rows that carry their document, their values decoded from it as the others are."""
    mask = odd.is_valid()
    documents = [orjson.loads(doc) for doc in odd.drop_null().to_pylist()]
    columns = {
        name: pc.replace_with_mask(
            attributes[name].combine_chunks(),
            mask.combine_chunks(),
            pa.array([text_of(d.get(name)) for d in documents], pa.string()),
        )
        for name in attributes.column_names
    }
    return pa.table(columns)
