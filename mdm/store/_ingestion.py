"""Ingestion batches and the quarantine of rows that could not be stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mdm.store._tables import ingestion_batches as batches
from mdm.store._tables import quarantined_rows as quarantine
from mdm.store._tables import source_systems


class Batches:
    """Repository of ingestion batches: one per file or API call."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def ensure_system(self, name: str, at: datetime, title: str = "") -> None:
        """Register a source system the first time it delivers data."""
        exists = self._c.execute(
            sa.select(source_systems.c.name).where(source_systems.c.name == name)
        ).first()
        if not exists:
            self._c.execute(
                sa.insert(source_systems).values(name=name, title=title, registered_at=at)
            )

    def start(self, **values: Any) -> int:
        values.setdefault("status", "running")
        values.setdefault("counts", {})
        result = self._c.execute(sa.insert(batches).values(**values).returning(batches.c.id))
        return int(result.scalar_one())

    def finish(
        self,
        batch_id: int,
        status: str,
        counts: dict[str, int],
        at: datetime,
        error: str | None = None,
    ) -> None:
        self._c.execute(
            sa.update(batches)
            .where(batches.c.id == batch_id)
            .values(status=status, counts=counts, finished_at=at, error=error)
        )

    def get(self, batch_id: int) -> dict[str, Any] | None:
        row = self._c.execute(sa.select(batches).where(batches.c.id == batch_id)).mappings().first()
        return dict(row) if row else None

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        query = sa.select(batches).order_by(batches.c.id.desc()).limit(limit)
        return [dict(r) for r in self._c.execute(query).mappings()]


class Quarantine:
    """Repository of quarantined rows, kept verbatim with every reason."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def has_open(self, system: str, entity_type: str) -> bool:
        """Whether any quarantined row of this system and type is still open."""
        query = sa.select(quarantine.c.id).where(
            quarantine.c.system == system,
            quarantine.c.entity_type == entity_type,
            quarantine.c.resolved_at.is_(None),
        )
        return self._c.execute(query.limit(1)).first() is not None

    def add_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Quarantine rows not already open with the same content; returns how many were new."""
        if not rows:
            return 0
        first = rows[0]
        hashes = list({r["content_hash"] for r in rows})
        open_hashes: set[str] = set()
        for start in range(0, len(hashes), 5000):
            open_hashes.update(
                self._c.execute(
                    sa.select(quarantine.c.content_hash).where(
                        quarantine.c.system == first["system"],
                        quarantine.c.entity_type == first["entity_type"],
                        quarantine.c.resolved_at.is_(None),
                        quarantine.c.content_hash.in_(hashes[start : start + 5000]),
                    )
                ).scalars()
            )
        fresh = []
        for row in rows:
            if row["content_hash"] not in open_hashes:
                open_hashes.add(row["content_hash"])
                fresh.append(row)
        if fresh:
            self._c.execute(sa.insert(quarantine), fresh)
        return len(fresh)

    def list(
        self,
        system: str | None = None,
        entity_type: str | None = None,
        batch_id: int | None = None,
        limit: int = 100,
        include_resolved: bool = False,
    ) -> list[dict[str, Any]]:
        query = sa.select(quarantine).order_by(quarantine.c.id).limit(limit)
        if system:
            query = query.where(quarantine.c.system == system)
        if entity_type:
            query = query.where(quarantine.c.entity_type == entity_type)
        if batch_id is not None:
            query = query.where(quarantine.c.batch_id == batch_id)
        if not include_resolved:
            query = query.where(quarantine.c.resolved_at.is_(None))
        return [dict(r) for r in self._c.execute(query).mappings()]

    def count_open(self) -> list[tuple[str, str, int]]:
        query = (
            sa.select(quarantine.c.entity_type, quarantine.c.system, sa.func.count())
            .where(quarantine.c.resolved_at.is_(None))
            .group_by(quarantine.c.entity_type, quarantine.c.system)
            .order_by(quarantine.c.entity_type, quarantine.c.system)
        )
        return [tuple(r) for r in self._c.execute(query)]

    def resolve_for_keys(
        self, system: str, entity_type: str, source_ids: Sequence[str], at: datetime
    ) -> None:
        """Close open quarantine entries of keys that have now been stored."""
        if not source_ids:
            return
        for start in range(0, len(source_ids), 5000):
            self._c.execute(
                sa.update(quarantine)
                .where(
                    quarantine.c.system == system,
                    quarantine.c.entity_type == entity_type,
                    quarantine.c.resolved_at.is_(None),
                    quarantine.c.source_id.in_(source_ids[start : start + 5000]),
                )
                .values(resolved_at=at)
            )
