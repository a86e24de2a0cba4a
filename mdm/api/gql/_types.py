"""GraphQL object types of the xref API. Each wraps a plain view from the services."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info, get_object_definition

from mdm.domain.golden_views import (
    AttributeValue,
    GoldenRecordView,
)
from mdm.domain.golden_views import (
    ChangeEvent as ChangeEventView,
)
from mdm.domain.golden_views import (
    GoldenRecordVersion as VersionView,
)
from mdm.domain.golden_views import (
    RelatedRecord as RelatedView,
)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, default=str)


@strawberry.type(description="A surviving attribute value and the source record it came from.")
class Attribute:
    name: str = strawberry.field(description="Canonical attribute name, e.g. `tax_id`.")
    value: str | None = strawberry.field(description="The value (non-text values as JSON).")
    system: str | None = strawberry.field(description="Source system the value came from.")
    source_id: str | None = strawberry.field(description="Source record the value came from.")
    rule: str | None = strawberry.field(description="Survivorship rule that chose it.")

    @classmethod
    def of(cls, a: AttributeValue) -> Attribute:
        return cls(
            name=a.attribute,
            value=_text(a.value),
            system=a.system,
            source_id=a.source_id,
            rule=a.rule,
        )


@strawberry.type(description="A source record, by its system and its id there.")
class SourceRecordRef:
    system: str
    source_id: str


@strawberry.type(description="A link to another golden record.")
class RelatedRecord:
    relation: str = strawberry.field(
        description="What the other record is to this one: customer, parent, child, ..."
    )
    direction: str = strawberry.field(
        description="`out` when this record refers to the other, `in` for the reverse."
    )
    golden_id: strawberry.ID

    @strawberry.field(description="The related golden record (redirects followed).")
    async def record(self, info: Info) -> GoldenRecord | None:
        view = await info.context.goldens.load(str(self.golden_id))
        return GoldenRecord.of(view) if view else None

    @classmethod
    def of(cls, r: RelatedView) -> RelatedRecord:
        return cls(relation=r.relation, direction=r.direction, golden_id=strawberry.ID(r.golden_id))


@strawberry.type(description="One version of a golden record's history.")
class GoldenRecordVersion:
    view: strawberry.Private[VersionView]

    @strawberry.field
    def version(self) -> int:
        return self.view.version

    @strawberry.field(description="Why this version began: created, updated, merged, ...")
    def change(self) -> str:
        return self.view.change

    @strawberry.field
    def valid_from(self) -> datetime:
        return self.view.valid_from

    @strawberry.field(description="Null for the current version.")
    def valid_to(self) -> datetime | None:
        return self.view.valid_to

    @strawberry.field
    def status(self) -> str:
        return self.view.record.status

    @strawberry.field
    def attributes(self) -> list[Attribute]:
        return [Attribute.of(a) for a in self.view.record.attribute_values()]


@strawberry.type(
    description="The hub's best version of one real-world entity, with the provenance of "
    "each value, its source records, related records and history."
)
class GoldenRecord:
    # Plain fields filled up front: cheaper to serve than one resolver call per field.
    view: strawberry.Private[GoldenRecordView]
    id: strawberry.ID = strawberry.field(description="The golden ID, e.g. CUS-000123.")
    entity_type: str
    status: str = strawberry.field(description="`active`, or `retired` for a merged-away record.")
    version: int
    updated_at: datetime | None = strawberry.field(description="When this version was written.")
    redirected_from: strawberry.ID | None = strawberry.field(
        description="The retired ID that was asked for, when it redirected to this record "
        "(it was merged into this one). Store this record's `id` instead."
    )
    as_of: datetime | None = strawberry.field(
        description="The time asked for, when read from history."
    )

    @classmethod
    def of(cls, view: GoldenRecordView) -> GoldenRecord:
        return cls(
            view=view,
            id=strawberry.ID(view.golden_id),
            entity_type=view.entity_type,
            status=view.status,
            version=view.version,
            updated_at=view.updated_at,
            redirected_from=strawberry.ID(view.redirected_from) if view.redirected_from else None,
            as_of=view.as_of,
        )

    @strawberry.field(description="Surviving attributes with their provenance.")
    def attributes(self) -> list[Attribute]:
        return [Attribute.of(a) for a in self.view.attribute_values()]

    @strawberry.field(description="One attribute by name, or null.")
    def attribute(self, name: str) -> Attribute | None:
        found = [a for a in self.view.attribute_values() if a.attribute == name]
        return Attribute.of(found[0]) if found else None

    @strawberry.field(description="The source records linked to this golden record.")
    async def source_records(self, info: Info, system: str | None = None) -> list[SourceRecordRef]:
        members = self.view.members
        if members is None:
            members = await info.context.members.load(self.view.golden_id)
        return [
            SourceRecordRef(system=s, source_id=i)
            for s, i in members
            if system is None or s == system
        ]

    @strawberry.field(description="Related golden records (customer, parent, children, ...).")
    async def related(self, info: Info) -> list[RelatedRecord]:
        found = await info.context.related.load(self.view.golden_id)
        return [RelatedRecord.of(r) for r in found]

    @strawberry.field(description="Every version of this record, oldest first.")
    async def history(self, info: Info) -> list[GoldenRecordVersion]:
        versions = await info.context.history.load(self.view.golden_id)
        return [GoldenRecordVersion(view=v) for v in versions]


@strawberry.type(description="An entity's ids in another system.")
class Translation:
    golden_record: GoldenRecord
    system: str = strawberry.field(description="The system translated to.")
    source_ids: list[str] = strawberry.field(
        description="The entity's ids in that system (empty if it has none there)."
    )

    @strawberry.field(
        deprecation_reason="An entity can have several records in one system: use sourceIds."
    )
    def source_id(self) -> str | None:
        return self.source_ids[0] if self.source_ids else None


@strawberry.input(description="A source key: entity type, system and the record's id there.")
class SourceKeyInput:
    entity_type: str
    system: str
    source_id: str


def _source_key_from_input(cls: type, value: Mapping[str, Any], _context: object) -> Any:
    """graphql-core has already checked the three fields are there and are strings, so the
    key is built directly: strawberry's generic conversion costs ~50 ms on 1,000 keys."""
    return cls(entity_type=value["entityType"], system=value["system"], source_id=value["sourceId"])


get_object_definition(SourceKeyInput, strict=True).from_input = _source_key_from_input


@strawberry.type(description="One key of resolveMany and its golden record (null if unlinked).")
class Resolution:
    entity_type: str
    system: str
    source_id: str
    golden_record: GoldenRecord | None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class SearchEdge:
    cursor: str
    score: float = strawberry.field(description="Name similarity, 0-100.")
    node: GoldenRecord


@strawberry.type(description="Search results, best first (Relay-style connection).")
class GoldenRecordConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matches ranked in all.")


@strawberry.type(description="A change event from the outbox.")
class ChangeEvent:
    sequence: int
    event_type: str
    entity_type: str | None
    aggregate_id: str | None
    payload: JSON
    actor: str
    correlation_id: str
    occurred_at: datetime

    @classmethod
    def of(cls, e: ChangeEventView) -> ChangeEvent:
        return cls(
            sequence=e.sequence,
            event_type=e.event_type,
            entity_type=e.entity_type,
            aggregate_id=e.aggregate_id,
            payload=e.payload,
            actor=e.actor,
            correlation_id=e.correlation_id,
            occurred_at=e.occurred_at,
        )


@strawberry.type
class ChangeEdge:
    cursor: str
    node: ChangeEvent


@strawberry.type(description="Change events in sequence order (Relay-style connection).")
class ChangeConnection:
    edges: list[ChangeEdge]
    page_info: PageInfo
