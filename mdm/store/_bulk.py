"""Fast bulk inserts: the dialect's own bind processors applied in one tight loop.

SQLAlchemy's executemany spends most of its time building parameters row by row; for
the hot ingestion path we compile the INSERT once and hand the driver ready tuples.
The column types' bind processors are still applied, so values are stored exactly as
SQLAlchemy would store them, on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def bulk_insert(connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) with one driver-level executemany."""
    if not rows:
        return
    keys = list(rows[0])
    dialect = connection.dialect
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup) if compiled.positional else keys
    processors = [table.c[k].type._cached_bind_processor(dialect) for k in order]
    plan = list(zip(order, processors, strict=True))
    if compiled.positional:
        params: list[Any] = [tuple(p(row[k]) if p else row[k] for k, p in plan) for row in rows]
    else:
        params = [{k: (p(row[k]) if p else row[k]) for k, p in plan} for row in rows]
    connection.exec_driver_sql(compiled.string, params)
