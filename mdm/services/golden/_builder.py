"""Rebuilding golden records from a clustering: IDs, survivorship, xrefs, history, events.

Works inside an open unit of work so a match run's pairs, golden records, cross-references
and change events commit together. Only clusters whose members or values changed are
written; an unchanged re-run writes nothing and emits no event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mdm.config import HubConfig
from mdm.services.golden._identity import IdPlan, MemberKey, group_clusters, plan_ids
from mdm.services.golden._survivorship import Member, survive
from mdm.services.search import fold_name
from mdm.store import UnitOfWork, utcnow


@dataclass
class GoldenBuildReport:
    """What one rebuild changed."""

    entity_type: str
    active: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    xrefs_added: int = 0
    xrefs_removed: int = 0
    events: int = 0
    merged: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.active} active, {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired (merged), "
            f"xrefs +{self.xrefs_added}/-{self.xrefs_removed}, {self.events} events"
        )


def apply_clustering(
    uow: UnitOfWork,
    config: HubConfig,
    entity_type: str,
    assignments: Mapping[MemberKey, str],
    *,
    match_run_id: int | None = None,
    now: datetime | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> GoldenBuildReport:
    """Bring golden records of a type in line with `assignments`, in the open transaction."""
    now = now or utcnow()
    entity = config.entity_types[entity_type]
    members = _current_members(uow, entity_type)
    clusters = group_clusters(assignments, sorted(members))
    previous = uow.golden.memberships(entity_type)
    plan = plan_ids(clusters, previous)
    ids = dict(plan.kept)
    fresh = uow.golden.allocate_ids(entity_type, entity.id_prefix, len(plan.new_clusters))
    ids.update(zip(plan.new_clusters, fresh, strict=True))
    existing = uow.golden.active(entity_type)
    report = GoldenBuildReport(entity_type, active=len(clusters))
    writes = _Writes(entity_type, match_run_id, now)
    for key, keys in clusters.items():
        gid = ids[key]
        values, provenance = survive(
            [members[k] for k in keys],
            list(entity.attributes),
            entity.survivorship,
            (overrides or {}).get(gid),
        )
        old = existing.get(gid)
        if (
            old
            and old["attributes"] == values
            and old["provenance"] == provenance
            and all(previous.get(k) == gid for k in keys)
        ):
            report.unchanged += 1
            continue
        writes.golden(gid, old, values, provenance, keys, plan.split_from.get(key))
        report.created += old is None
        report.updated += old is not None
    _memberships(writes, clusters, ids, previous, report)
    _retirements(writes, plan, ids, existing, report)
    writes.flush(uow)
    report.events = len(writes.events)
    return report


def _current_members(uow: UnitOfWork, entity_type: str) -> dict[MemberKey, Member]:
    members: dict[MemberKey, Member] = {}
    columns = ("system", "source_id", "version", "attributes", "source_updated_at")
    for batch in uow.source_records.iter_current(entity_type, columns):
        for system, source_id, version, attributes, updated_at in batch:
            members[(system, source_id)] = Member(
                system, source_id, version, updated_at, attributes
            )
    return members


def _memberships(
    writes: _Writes,
    clusters: dict[str, list[MemberKey]],
    ids: dict[str, str],
    previous: Mapping[MemberKey, str],
    report: GoldenBuildReport,
) -> None:
    current: set[MemberKey] = set()
    for key, keys in clusters.items():
        for member in keys:
            current.add(member)
            if previous.get(member) != ids[key]:
                writes.xref(member, previous.get(member), ids[key])
                report.xrefs_added += 1
                report.xrefs_removed += member in previous
    for member, gid in previous.items():
        if member not in current:  # the record is gone from its system
            writes.xref(member, gid, None)
            report.xrefs_removed += 1


def _retirements(
    writes: _Writes,
    plan: IdPlan,
    ids: dict[str, str],
    existing: Mapping[str, Any],
    report: GoldenBuildReport,
) -> None:
    for old_id, home in plan.retired.items():
        if old_id not in existing:
            continue
        survivor = ids.get(home) if home else None
        writes.retire(old_id, survivor, existing[old_id])
        report.retired += 1
        if survivor:
            report.merged.setdefault(survivor, []).append(old_id)


class _Writes:
    """Collects rows and events, then writes them with a few set-based statements."""

    def __init__(self, entity_type: str, run_id: int | None, now: datetime) -> None:
        self.entity_type, self.run_id, self.now = entity_type, run_id, now
        self.inserts: list[dict] = []
        self.updates: list[dict] = []
        self.versions: list[dict] = []
        self.closed: list[str] = []
        self.ends: list[MemberKey] = []
        self.xrefs: list[dict] = []
        self.retired: dict[str, str | None] = {}
        self.events: list[dict] = []
        self._members: dict[str, list[MemberKey]] = {}

    def golden(
        self,
        gid: str,
        old: dict | None,
        values: dict,
        provenance: dict,
        keys: list[MemberKey],
        split_from: str | None,
    ) -> None:
        version = (old["version"] + 1) if old else 1
        row = {
            "version": version,
            "attributes": values,
            "provenance": provenance,
            "search_name": _search_name(values),
            "updated_at": self.now,
        }
        if old:
            self.updates.append({"gid": gid, **row})
            self.closed.append(gid)
        else:
            self.inserts.append(
                {
                    "golden_id": gid,
                    "entity_type": self.entity_type,
                    "status": "active",
                    "redirect_to": None,
                    "created_at": self.now,
                    "retired_at": None,
                    **row,
                }
            )
        self._version(
            gid,
            version,
            "active",
            None,
            values,
            provenance,
            keys,
            "updated" if old else ("split" if split_from else "created"),
        )
        payload = {"golden_id": gid, "version": version, "members": [list(k) for k in keys]}
        if split_from and not old:
            payload["split_from"] = split_from
        kind = "golden.updated" if old else ("golden.split" if split_from else "golden.created")
        self._event(kind, gid, payload)

    def retire(self, gid: str, survivor: str | None, old: dict) -> None:
        self.retired[gid] = survivor
        self.closed.append(gid)
        self._version(
            gid,
            old["version"] + 1,
            "retired",
            survivor,
            old["attributes"],
            old["provenance"],
            [],
            "merged" if survivor else "retired",
        )
        if survivor:
            self._event("golden.merged", survivor, {"survivor": survivor, "merged": gid})
        self._event("golden.retired", gid, {"golden_id": gid, "redirect_to": survivor})

    def xref(self, member: MemberKey, old: str | None, new: str | None) -> None:
        system, source_id = member
        if old:
            self.ends.append(member)
            self._event(
                "xref.removed", old, {"system": system, "source_id": source_id, "golden_id": old}
            )
        if new:
            self.xrefs.append(
                {
                    "entity_type": self.entity_type,
                    "system": system,
                    "source_id": source_id,
                    "golden_id": new,
                    "valid_from": self.now,
                    "valid_to": None,
                    "match_run_id": self.run_id,
                }
            )
            self._event(
                "xref.added", new, {"system": system, "source_id": source_id, "golden_id": new}
            )

    def _version(
        self,
        gid: str,
        version: int,
        status: str,
        redirect: str | None,
        values: dict,
        provenance: dict,
        keys: list[MemberKey],
        change: str,
    ) -> None:
        self.versions.append(
            {
                "golden_id": gid,
                "version": version,
                "status": status,
                "redirect_to": redirect,
                "attributes": values,
                "provenance": provenance,
                "members": [list(k) for k in keys],
                "change": change,
                "valid_from": self.now,
                "valid_to": None,
                "match_run_id": self.run_id,
            }
        )

    def _event(self, event_type: str, aggregate: str, payload: dict[str, Any]) -> None:
        self.events.append(
            {
                "event_type": event_type,
                "aggregate_id": aggregate,
                "entity_type": self.entity_type,
                "payload": payload,
            }
        )

    def flush(self, uow: UnitOfWork) -> None:
        golden = uow.golden
        golden.close_versions(self.closed, self.now)
        golden.insert(self.inserts)
        golden.update(self.updates)
        golden.retire(self.retired, self.now)
        golden.add_versions(self.versions)
        golden.end_xrefs(self.entity_type, self.ends, self.now)
        golden.add_xrefs(self.xrefs)
        events = [
            {**e, "actor": uow.actor, "correlation_id": uow.correlation_id} for e in self.events
        ]
        uow.outbox.append_many(events)


def _search_name(values: dict[str, Any]) -> str | None:
    name = values.get("name") or values.get("legal_name")
    return fold_name(str(name))[:512] or None if name else None


def group_by_golden(assignments: Mapping[MemberKey, str]) -> dict[str, list[MemberKey]]:
    """Golden id -> members, the inverse of a membership mapping."""
    grouped: dict[str, list[MemberKey]] = defaultdict(list)
    for member, gid in assignments.items():
        grouped[gid].append(member)
    return dict(grouped)
