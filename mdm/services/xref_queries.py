"""Xref queries: which golden record is a source key, what is it called elsewhere, what was
it then. Batched: many keys cost a bounded number of statements, not one per key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from mdm.config import HubConfig
from mdm.domain import MdmError, NotFoundError, RecordKey
from mdm.domain.golden_views import (
    ChangeEvent,
    GoldenRecordVersion,
    GoldenRecordView,
    Page,
    RelatedRecord,
    Translation,
)
from mdm.store import UnitOfWork

MAX_KEYS = 1000
MAX_PAGE = 1000
_MAX_HOPS = 16


class InvalidQueryError(MdmError):
    """A query the hub refuses as asked (too many keys, a bad cursor or page size)."""


def check_entity_type(config: HubConfig, entity_type: str) -> None:
    if entity_type not in config.entity_types:
        known = ", ".join(sorted(config.entity_types)) or "none"
        raise NotFoundError(f"unknown entity type {entity_type!r} (configured: {known})")


def check_system(config: HubConfig, system: str) -> None:
    if system not in config.sources:
        known = ", ".join(sorted(config.sources)) or "none"
        raise NotFoundError(f"unknown source system {system!r} (configured: {known})")


def find_by_xref(
    uow: UnitOfWork, config: HubConfig, entity_type: str, system: str, source_id: str
) -> GoldenRecordView:
    """The golden record that source record `system`/`source_id` belongs to now."""
    check_entity_type(config, entity_type)
    check_system(config, system)
    with uow:
        row = uow.lookups.golden_by_xref(entity_type, system, source_id)
        if row is not None and row["redirect_to"]:
            row = _follow(uow, [row["golden_id"]]).get(row["golden_id"])
    if row is None:
        raise NotFoundError(
            f"{system} {entity_type} {source_id!r} is not linked to any golden record"
        )
    return GoldenRecordView.from_row(row)


def translate(
    uow: UnitOfWork,
    config: HubConfig,
    entity_type: str,
    system: str,
    source_id: str,
    to_system: str,
) -> Translation:
    """The ids in `to_system` of the entity that `system`/`source_id` is (maybe none)."""
    check_system(config, to_system)
    record = find_by_xref(uow, config, entity_type, system, source_id)
    with uow:
        members = uow.lookups.members([record.golden_id], system=to_system)
    return Translation(record, to_system, [sid for _, sid in members[record.golden_id]])


def golden_record(
    uow: UnitOfWork, golden_id: str, as_of: datetime | None = None
) -> GoldenRecordView:
    """A golden record by id, following redirects of merged-away ids; as it was at `as_of`."""
    if as_of is not None:
        return _golden_as_of(uow, golden_id, as_of)
    with uow:
        row = _follow(uow, [golden_id]).get(golden_id)
    if row is None:
        raise NotFoundError(f"no golden record {golden_id!r}")
    return GoldenRecordView.from_row(row).reached_from(golden_id)


def golden_records(uow: UnitOfWork, golden_ids: Sequence[str]) -> list[GoldenRecordView | None]:
    """Many golden records by id (following redirects), None where an id is unknown."""
    with uow:
        rows = _follow(uow, golden_ids)
    return [
        GoldenRecordView.from_row(rows[g]).reached_from(g) if g in rows else None
        for g in golden_ids
    ]


def resolve_many(
    uow: UnitOfWork, config: HubConfig, keys: Sequence[RecordKey]
) -> list[GoldenRecordView | None]:
    """The golden record of each key (None where a key is not linked), in a few statements."""
    if len(keys) > MAX_KEYS:
        raise InvalidQueryError(f"at most {MAX_KEYS} keys per call; got {len(keys)}")
    for entity_type in {k.entity_type for k in keys}:
        check_entity_type(config, entity_type)
    for system in {k.system for k in keys}:
        check_system(config, system)
    by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in keys:
        by_type[key.entity_type].append((key.system, key.source_id))
    with uow:
        linked: dict[tuple[str, str, str], dict[str, Any]] = {}  # plain tuples hash faster
        for entity_type, pairs in by_type.items():
            found = uow.lookups.goldens_by_xref(entity_type, pairs)
            linked.update({(entity_type, s, i): row for (s, i), row in found.items()})
        current = {row["golden_id"]: row for row in linked.values()}
        retired = [gid for gid, row in current.items() if row["redirect_to"]]
        if retired:  # merged away since the xref was written: resolve to the survivors
            survivors = _follow(uow, retired)
            for gid in retired:
                current[gid] = survivors.get(gid)
    views = {gid: GoldenRecordView.from_row(row) for gid, row in current.items() if row}
    rows = (linked.get((k.entity_type, k.system, k.source_id)) for k in keys)
    return [views.get(row["golden_id"]) if row else None for row in rows]


def members_of(uow: UnitOfWork, golden_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """golden id -> its current source records (system, source_id)."""
    with uow:
        return uow.lookups.members(golden_ids)


def history_of(uow: UnitOfWork, golden_ids: Sequence[str]) -> dict[str, list[GoldenRecordVersion]]:
    """golden id -> its versions, oldest first."""
    with uow:
        rows = uow.lookups.versions(golden_ids)
    return {gid: [_version(r) for r in versions] for gid, versions in rows.items()}


def related_of(
    uow: UnitOfWork, config: HubConfig, golden_ids: Sequence[str]
) -> dict[str, list[RelatedRecord]]:
    """golden id -> related golden records (customer, parent, children, legal entities).

    From the store's relationship table when it has one; otherwise derived from the
    golden record's reference attributes (outgoing links only).
    """
    with uow:
        stored = uow.lookups.relationships(golden_ids)
        if stored is not None:
            return {gid: [_related(r) for r in rows] for gid, rows in stored.items()}
        return _derived_relationships(uow, config, golden_ids)


def change_feed(uow: UnitOfWork, after: int, first: int) -> Page:
    """Change events after sequence `after`, oldest first, at most `first` of them."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidQueryError(f"first must be between 1 and {MAX_PAGE}; got {first}")
    with uow:
        rows = uow.lookups.changes(after, first + 1)
    events = [ChangeEvent(**{k: r[k] for k in ChangeEvent.__slots__}) for r in rows[:first]]
    return Page(events, after, len(rows) > first)


def _follow(uow: UnitOfWork, golden_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """asked id -> row of the record it resolves to (following redirects, in batches)."""
    asked = list(dict.fromkeys(golden_ids))
    rows = uow.lookups.goldens(asked)
    resolved: dict[str, dict[str, Any]] = {}
    pending = {a: a for a in asked}
    for _ in range(_MAX_HOPS):
        onward: dict[str, str] = {}
        for start, current in pending.items():
            row = rows.get(current)
            if row is None:
                continue
            if row["redirect_to"] and row["redirect_to"] != current:
                onward[start] = row["redirect_to"]
            else:
                resolved[start] = row
        if not onward:
            break
        rows.update(uow.lookups.goldens({t for t in onward.values() if t not in rows}))
        pending = onward
    return resolved


def _golden_as_of(uow: UnitOfWork, golden_id: str, at: datetime) -> GoldenRecordView:
    if at.tzinfo is None:
        raise InvalidQueryError("asOf needs a time zone (for example 2024-05-01T00:00:00Z)")
    current = golden_id
    with uow:
        for _ in range(_MAX_HOPS):
            row = uow.lookups.version_as_of(current, at)
            if row is None or not row["redirect_to"]:
                break
            current = row["redirect_to"]
        entity = uow.lookups.goldens([current]).get(current)
    if row is None:
        raise NotFoundError(f"golden record {golden_id!r} did not exist at {at.isoformat()}")
    view = GoldenRecordView.from_row(row, entity["entity_type"] if entity else None)
    return replace(view, as_of=at).reached_from(golden_id)


def _version(row: dict[str, Any]) -> GoldenRecordVersion:
    return GoldenRecordVersion(
        row["version"],
        row["change"],
        row["valid_from"],
        row["valid_to"],
        GoldenRecordView.from_row(row),
    )


def _related(row: dict[str, Any]) -> RelatedRecord:
    out = row["direction"] == "out"
    relation = row.get("relation") or row.get("kind") or "related"
    return RelatedRecord(
        relation, row["to_golden_id"] if out else row["from_golden_id"], row["direction"]
    )


def _derived_relationships(
    uow: UnitOfWork, config: HubConfig, golden_ids: Sequence[str]
) -> dict[str, list[RelatedRecord]]:
    rows = uow.lookups.goldens(golden_ids)
    wanted: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)  # entity -> refs
    for gid, row in rows.items():
        spec = config.entity_types.get(row["entity_type"])
        for name, attr in spec.attributes.items() if spec else ():
            value = row["attributes"].get(name)
            origin = row["provenance"].get(name)
            system = attr.system or (origin.get("system") if isinstance(origin, dict) else None)
            if attr.type == "reference" and value and system:
                wanted[attr.entity].append((gid, name.removesuffix("_ref"), system, str(value)))
    found: dict[str, list[RelatedRecord]] = {gid: [] for gid in golden_ids}
    for entity_type, refs in wanted.items():
        targets = uow.lookups.golden_ids_by_xref(entity_type, [(s, v) for _, _, s, v in refs])
        for gid, relation, system, value in refs:
            if (system, value) in targets:
                found[gid].append(RelatedRecord(relation, targets[(system, value)]))
    return found
