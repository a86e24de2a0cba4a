"""Who may do what through the API: roles of API keys. Standard library only.

reader   queries only (integrations)
writer   queries, and loads records of the systems named on the key
steward  queries and the stewards' mutations
admin    everything
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ROLES = ("reader", "writer", "steward", "admin")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key (its secret is never kept, only a hash of it)."""

    id: str
    name: str
    role: str
    systems: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may_query(self) -> bool:
        return self.role in ROLES

    def may_write(self, system: str) -> bool:
        """Admins write anything; writers only the systems named on their key."""
        return self.role == "admin" or (self.role == "writer" and system in self.systems)

    def may_steward(self) -> bool:
        return self.role in ("steward", "admin")
