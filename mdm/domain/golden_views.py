"""What the query API answers with: golden records as read, their attributes' provenance,
their members, relationships and history, and change events. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One surviving attribute value and where it came from."""

    attribute: str
    value: Any
    system: str | None = None
    source_id: str | None = None
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class GoldenRecordView:
    """A golden record as stored now, or as it was at `as_of`."""

    golden_id: str
    entity_type: str
    status: str
    version: int
    attributes: dict[str, Any]
    provenance: dict[str, Any]
    updated_at: datetime | None = None
    redirect_to: str | None = None
    redirected_from: str | None = None
    as_of: datetime | None = None
    members: tuple[tuple[str, str], ...] | None = None  # (system, source_id), when known

    @classmethod
    def from_row(cls, row: dict[str, Any], entity_type: str | None = None) -> GoldenRecordView:
        """From a golden_records row or a golden_record_versions row."""
        members = row.get("members")
        return cls(
            golden_id=row["golden_id"],
            entity_type=row.get("entity_type") or entity_type or "",
            status=row["status"],
            version=row["version"],
            attributes=dict(row.get("attributes") or {}),
            provenance=dict(row.get("provenance") or {}),
            updated_at=row.get("updated_at") or row.get("valid_from"),
            redirect_to=row.get("redirect_to"),
            members=tuple(_member(m) for m in members) if members is not None else None,
        )

    def reached_from(self, asked_for: str) -> GoldenRecordView:
        """This record, noting that `asked_for` redirected here."""
        return self if asked_for == self.golden_id else replace(self, redirected_from=asked_for)

    def attribute_values(self) -> list[AttributeValue]:
        """Each attribute with the system, source record and rule that made it survive."""
        return [
            _with_provenance(name, value, self.provenance.get(name))
            for name, value in sorted(self.attributes.items())
        ]


@dataclass(frozen=True, slots=True)
class RelatedRecord:
    """A link from one golden record to another (a project's customer, a parent, a child)."""

    relation: str
    golden_id: str
    direction: str = "out"  # "out": this record points at golden_id; "in": the reverse


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One event of the change feed, in global sequence order."""

    sequence: int
    event_type: str
    entity_type: str | None
    aggregate_id: str | None
    payload: dict[str, Any]
    actor: str
    correlation_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    """A slice of an ordered result and whether more follows."""

    items: list[Any]
    offset: int
    has_next: bool
    extra: dict[str, Any] = field(default_factory=dict)


def _member(member: Any) -> tuple[str, str]:
    if isinstance(member, dict):
        return member["system"], member["source_id"]
    system, source_id = member[-2], member[-1]
    return system, source_id


def _with_provenance(name: str, value: Any, origin: Any) -> AttributeValue:
    if isinstance(origin, dict):
        return AttributeValue(
            name,
            value,
            origin.get("system"),
            origin.get("source_id"),
            origin.get("rule") or origin.get("reason"),
        )
    return AttributeValue(name, value)


@dataclass(frozen=True, slots=True)
class GoldenRecordVersion:
    """One version of a golden record's history."""

    version: int
    change: str
    valid_from: datetime
    valid_to: datetime | None
    record: GoldenRecordView


@dataclass(frozen=True, slots=True)
class Translation:
    """A source key's golden record and that entity's ids in another system."""

    record: GoldenRecordView
    system: str
    source_ids: list[str]
