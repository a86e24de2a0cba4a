"""API keys: a public id, the hash of the secret, a role and the systems a writer may load."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mdm.store._tables import api_keys as t


class ApiKeys:
    """Repository of API keys. The secret itself is never stored."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(
        self,
        key_id: str,
        key_hash: str,
        name: str,
        role: str,
        systems: list[str] | None,
        created_at: datetime,
    ) -> None:
        self._c.execute(
            sa.insert(t).values(
                id=key_id,
                key_hash=key_hash,
                name=name,
                role=role,
                systems=systems,
                created_at=created_at,
            )
        )

    def get(self, key_id: str) -> dict[str, Any] | None:
        row = self._c.execute(sa.select(t).where(t.c.id == key_id)).mappings().first()
        return dict(row) if row else None

    def list(self) -> list[dict[str, Any]]:
        query = sa.select(t).order_by(t.c.created_at, t.c.id)
        return [dict(r) for r in self._c.execute(query).mappings()]

    def revoke(self, key_id: str, at: datetime) -> bool:
        """Mark a key revoked; False when there is no such live key."""
        result = self._c.execute(
            sa.update(t).where(t.c.id == key_id, t.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return result.rowcount == 1
