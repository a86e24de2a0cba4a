"""The Query root: xref, translate, goldenRecord, resolveMany, search and changes."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import strawberry
from strawberry.types import Info

from mdm.api.gql._errors import hub_errors
from mdm.api.gql._types import (
    ChangeConnection,
    ChangeEdge,
    ChangeEvent,
    GoldenRecord,
    GoldenRecordConnection,
    PageInfo,
    Resolution,
    SearchEdge,
    SourceKeyInput,
    Translation,
)
from mdm.domain import RecordKey
from mdm.services import search as search_service
from mdm.services import xref_queries
from mdm.services.xref_queries import InvalidQueryError


def _search_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"search:{offset}".encode()).decode()


def _search_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "search" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidQueryError(f"not a search cursor: {cursor!r}")


def _sequence(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit():
        raise InvalidQueryError(f"not a change-feed cursor (a sequence number): {cursor!r}")
    return int(cursor)


@strawberry.type
class Query:
    @strawberry.field(
        description="The golden record a source record belongs to: 'which customer is CRM "
        "account 001X?'. NOT_FOUND if the system, entity type or key is unknown."
    )
    def xref(
        self, info: Info, system: str, source_id: str, entity_type: str
    ) -> GoldenRecord | None:
        ctx = info.context
        with hub_errors():
            view = xref_queries.find_by_xref(ctx.uow(), ctx.config, entity_type, system, source_id)
        return GoldenRecord.of(view)

    @strawberry.field(
        description="The ids in `toSystem` of the entity that `system`/`sourceId` is: "
        "'what is CRM account 001X's ERP number?'."
    )
    def translate(
        self, info: Info, system: str, source_id: str, to_system: str, entity_type: str
    ) -> Translation | None:
        ctx = info.context
        with hub_errors():
            found = xref_queries.translate(
                ctx.uow(), ctx.config, entity_type, system, source_id, to_system
            )
        return Translation(
            golden_record=GoldenRecord.of(found.record),
            system=found.system,
            source_ids=found.source_ids,
        )

    @strawberry.field(
        description="A golden record by id. A merged-away id redirects to its survivor "
        "(see `redirectedFrom`). With `asOf`, the record as it was at that time."
    )
    def golden_record(
        self, info: Info, id: strawberry.ID, as_of: datetime | None = None
    ) -> GoldenRecord | None:
        with hub_errors():
            view = xref_queries.golden_record(info.context.uow(), str(id), as_of)
        return GoldenRecord.of(view)

    @strawberry.field(
        description=f"The golden records of up to {xref_queries.MAX_KEYS} source keys in one "
        "call, in the order given; `goldenRecord` is null where a key is not linked."
    )
    async def resolve_many(self, info: Info, keys: list[SourceKeyInput]) -> list[Resolution]:
        ctx = info.context
        wanted = [RecordKey(k.entity_type, k.system, k.source_id) for k in keys]
        with hub_errors():
            views = await ctx.in_thread(xref_queries.resolve_many, ctx.uow(), ctx.config, wanted)
        return [
            Resolution(
                entity_type=k.entity_type,
                system=k.system,
                source_id=k.source_id,
                golden_record=GoldenRecord.of(v) if v else None,
            )
            for k, v in zip(wanted, views, strict=True)
        ]

    @strawberry.field(
        description="Active golden records whose name resembles `name` (fuzzy), best first; "
        "optionally only in one country (ISO alpha-2)."
    )
    async def search(
        self,
        info: Info,
        entity_type: str,
        name: str,
        country: str | None = None,
        first: int = 10,
        after: str | None = None,
    ) -> GoldenRecordConnection:
        ctx = info.context
        with hub_errors():
            offset = _search_offset(after)
            page = await ctx.in_thread(
                search_service.search_golden_records,
                ctx.uow(),
                ctx.config,
                entity_type,
                name,
                country=country,
                first=first,
                offset=offset,
            )
        edges = [
            SearchEdge(cursor=_search_cursor(offset + i + 1), score=score, node=GoldenRecord.of(v))
            for i, (v, score) in enumerate(page.items)
        ]
        return GoldenRecordConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else after
            ),
            total_count=page.extra["total"],
        )

    @strawberry.field(
        description="The change feed: events after the cursor `after` (a sequence number; "
        "omit it to start from the beginning), oldest first. Store `endCursor` and ask again."
    )
    async def changes(
        self, info: Info, after: str | None = None, first: int = 100
    ) -> ChangeConnection:
        ctx = info.context
        with hub_errors():
            page = await ctx.in_thread(xref_queries.change_feed, ctx.uow(), _sequence(after), first)
        edges = [ChangeEdge(cursor=str(e.sequence), node=ChangeEvent.of(e)) for e in page.items]
        return ChangeConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else after
            ),
        )
