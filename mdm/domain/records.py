"""Source records as the mapping produces them, before they reach the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordKey:
    """Identity of a source record: one record of one entity type from one system."""

    entity_type: str
    system: str
    source_id: str

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.system}:{self.source_id}"


@dataclass(slots=True)
class MappedRecord:
    """A row that passed mapping and validation, with its verbatim raw payload."""

    source_id: str
    raw: dict[str, Any]
    attributes: dict[str, Any]
    content_hash: str
    source_updated_at: datetime | None
    line: int
    issues: list[str] = field(default_factory=list)


@dataclass(slots=True)
class QuarantinedRow:
    """A row that could not be stored, with every reason it was rejected."""

    line: int
    raw: dict[str, Any] | str
    reasons: list[str]
    source_id: str | None = None


@dataclass(slots=True)
class IngestCounts:
    """What a load did with each input row."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    quarantined: int = 0

    def add(self, other: IngestCounts) -> None:
        for name in ("read", "inserted", "updated", "unchanged", "stale", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "stale": self.stale,
            "quarantined": self.quarantined,
        }
