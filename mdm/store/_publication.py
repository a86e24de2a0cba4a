"""The outbox of change events (global sequence) and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mdm.store._bulk import bulk_insert, insert_encoded
from mdm.store._tables import audit_log, outbox
from mdm.store._types import bind_time

_PAYLOAD = frozenset({"payload"})


class Outbox:
    """Change events, written in the transaction of the change, read in sequence order."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def append(
        self,
        event_type: str,
        aggregate_id: str | None,
        payload: dict[str, Any],
        entity_type: str | None,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.append_many(
            [
                dict(
                    event_type=event_type,
                    aggregate_id=aggregate_id,
                    payload=payload,
                    entity_type=entity_type,
                    actor=actor,
                    correlation_id=correlation_id,
                )
            ]
        )

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Insert events in the given order (their sequence numbers follow that order)."""
        if not events:
            return
        now = datetime.now(UTC)
        rows = [{"occurred_at": now, **e} for e in events]
        for start in range(0, len(rows), 20_000):
            bulk_insert(self._c, outbox, rows[start : start + 20_000])

    def append_encoded(
        self,
        entity_type: str | None,
        actor: str,
        correlation_id: str,
        events: Sequence[tuple[str, str | None, str]],
    ) -> None:
        """Insert events of one entity type, in order: (event_type, aggregate_id, payload as
        the store's JSON text)."""
        if not events:
            return
        shared = {
            "entity_type": entity_type,
            "actor": actor,
            "correlation_id": correlation_id,
            "occurred_at": bind_time(self._c.dialect, datetime.now(UTC)),
        }
        columns = ("event_type", "aggregate_id", "payload")
        for start in range(0, len(events), 20_000):
            insert_encoded(
                self._c, outbox, shared, columns, events[start : start + 20_000], _PAYLOAD
            )

    def read(
        self, after: int = 0, limit: int = 100, entity_type: str | None = None
    ) -> list[dict[str, Any]]:
        query = sa.select(outbox).where(outbox.c.sequence > after).order_by(outbox.c.sequence)
        if entity_type:
            query = query.where(outbox.c.entity_type == entity_type)
        return [dict(r) for r in self._c.execute(query.limit(limit)).mappings()]

    def last_sequence(self) -> int:
        return int(self._c.execute(sa.select(sa.func.max(outbox.c.sequence))).scalar() or 0)


class Audit:
    """Who did what, when, under which correlation id."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def append(
        self,
        action: str,
        subject: str | None,
        details: dict[str, Any],
        actor: str,
        correlation_id: str,
    ) -> None:
        self._c.execute(
            sa.insert(audit_log).values(
                at=datetime.now(UTC),
                actor=actor,
                correlation_id=correlation_id,
                action=action,
                subject=subject,
                details=details,
            )
        )

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        return [dict(r) for r in self._c.execute(query).mappings()]
