"""Statement time limits, so a slow query ends in an error instead of holding a worker."""

from __future__ import annotations

import time

import sqlalchemy as sa


def limit_statement_time(engine: sa.Engine, seconds: float) -> None:
    """Abort any statement of `engine` running longer than `seconds`.

    PostgreSQL gets `statement_timeout` on each new connection; SQLite a progress handler
    that interrupts the statement once its deadline has passed.
    """
    millis = max(1, int(seconds * 1000))
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "connect", lambda dbapi, _rec: _pg_timeout(dbapi, millis))
    elif engine.dialect.name == "sqlite":
        sa.event.listen(engine, "before_cursor_execute", _sqlite_deadline(seconds))


def _pg_timeout(dbapi_connection, millis: int) -> None:  # noqa: ANN001 - DB-API object
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(millis)}")
    dbapi_connection.commit()


def _sqlite_deadline(seconds: float):  # noqa: ANN202 - an SQLAlchemy event hook
    def start_clock(conn, _cursor, _statement, _params, _context, _many) -> None:  # noqa: ANN001
        deadline = time.monotonic() + seconds
        raw = conn.connection.driver_connection
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)

    return start_clock
