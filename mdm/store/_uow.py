"""The unit of work: one transaction, the repositories working inside it, and its events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from mdm.domain import ConflictError, MdmError, StoreUnavailableError
from mdm.store._api_keys import ApiKeys
from mdm.store._golden import GoldenRepository
from mdm.store._ingestion import Batches, Quarantine
from mdm.store._lookups import Lookups
from mdm.store._matching import MatchingRepository
from mdm.store._publication import Audit, Outbox
from mdm.store._source_records import SourceRecords


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """Owns one transaction. Leave the block without `commit()` and nothing is written.

    Events recorded with `publish` go to the outbox in the same transaction as the change.
    """

    def __init__(
        self,
        engine: sa.Engine,
        actor: str = "system",
        correlation_id: str | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self.engine = engine
        self.actor = actor
        self.correlation_id = correlation_id or uuid.uuid4().hex
        self.read_only = read_only
        self._connection: sa.Connection | None = None
        self._transaction: sa.RootTransaction | None = None

    def __enter__(self) -> UnitOfWork:
        try:
            if self.read_only and self.engine.dialect.name == "postgresql":
                # Each statement sees what is committed when it starts, as it would in a
                # READ COMMITTED transaction, without the BEGIN and ROLLBACK round trips.
                self._connection = self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            else:
                self._connection = self.engine.connect()
                self._transaction = self._connection.begin()
        except sa.exc.OperationalError as exc:
            raise StoreUnavailableError(f"cannot open the store: {exc.orig}") from None
        conn = self._connection
        self.source_records = SourceRecords(conn)
        self.batches = Batches(conn)
        self.quarantine = Quarantine(conn)
        self.outbox = Outbox(conn)
        self.audit = Audit(conn)
        self.matching = MatchingRepository(conn)
        self.golden = GoldenRepository(conn)
        self.lookups = Lookups(conn)
        self.api_keys = ApiKeys(conn)
        return self

    @property
    def connection(self) -> sa.Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    def publish(
        self,
        event_type: str,
        aggregate_id: str | None,
        payload: dict[str, Any],
        entity_type: str | None = None,
    ) -> None:
        """Record a change event in the outbox, inside this transaction."""
        self.outbox.append(
            event_type, aggregate_id, payload, entity_type, self.actor, self.correlation_id
        )

    def record_audit(self, action: str, subject: str | None, details: dict[str, Any]) -> None:
        self.audit.append(action, subject, details, self.actor, self.correlation_id)

    @contextmanager
    def page_cache(self, mebibytes: int) -> Iterator[None]:
        """A bulk write's page cache: SQLite keeps up to `mebibytes` of pages while the
        block runs, rather than writing index pages changed again and again out to the WAL
        and reading them back each time (a million-record golden rebuild writes ~2 GB).
        Other backends manage their own buffers; nothing changes there."""
        if self.connection.dialect.name != "sqlite":
            yield
            return
        pragma = self.connection.exec_driver_sql
        before = pragma("PRAGMA cache_size").scalar_one()
        pragma(f"PRAGMA cache_size=-{int(mebibytes) * 1024}")
        try:
            yield
        finally:
            pragma(f"PRAGMA cache_size={int(before)}")

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work has nothing to commit")
        try:
            self._transaction.commit()
        except sa.exc.IntegrityError as exc:
            raise ConflictError(f"the change conflicts with stored data: {exc.orig}") from None
        except sa.exc.OperationalError as exc:
            raise StoreUnavailableError(f"the store refused the commit: {exc.orig}") from None

    def rollback(self) -> None:
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self.connection.close()
            self._connection = None
        if isinstance(exc, sa.exc.IntegrityError):
            raise ConflictError(f"the change conflicts with stored data: {exc.orig}") from None
        if isinstance(exc, sa.exc.OperationalError | sa.exc.ProgrammingError) and not isinstance(
            exc, MdmError
        ):
            raise StoreUnavailableError(
                f"store error ({type(exc.orig).__name__}); is the store initialised? run `mdm init`"
            ) from exc
