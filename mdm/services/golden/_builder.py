"""Rebuilding golden records from a clustering: IDs, survivorship, xrefs, history, events.

Works inside an open unit of work so a match run's pairs, golden records, cross-references
and change events commit together. Only clusters whose members or values changed are
written; an unchanged re-run reads no source values, writes nothing and emits no event.
Rows go to the store already encoded, in multi-row statements.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from mdm.config import EntityTypeConfig, HubConfig
from mdm.services.golden._identity import IdPlan, MemberKey, group_clusters, plan_ids
from mdm.services.golden._survivorship import Member, Survivorship
from mdm.services.phases import Phases
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
    # (system, source_id) -> golden id after the rebuild, for the relationships that follow
    memberships: dict[MemberKey, str] = field(default_factory=dict, repr=False)

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
    phases: Phases | None = None,
) -> GoldenBuildReport:
    """Bring golden records of a type in line with `assignments`, in the open transaction.

    A golden record whose members, their versions, its rules and its override hash the same
    as when it was last built is left alone without reading a value; the others are rebuilt,
    and written only if their values, provenance or members changed.
    """
    now = now or utcnow()
    entity = config.entity_types[entity_type]
    overrides = overrides or {}
    phases = phases or Phases()
    with _collector_paused(), phases("golden: plan ids"):
        versions = uow.source_records.current_versions(entity_type)
        clusters = group_clusters(assignments, sorted(versions))
        previous = uow.golden.memberships(entity_type)
        plan = plan_ids(clusters, previous)
        ids = dict(plan.kept)
        fresh = uow.golden.allocate_ids(entity_type, entity.id_prefix, len(plan.new_clusters))
        ids.update(zip(plan.new_clusters, fresh, strict=True))
        states = uow.golden.active_states(entity_type)
        report = GoldenBuildReport(entity_type, active=len(clusters))
        rules = _rules_digest(entity)
        todo: list[tuple[str, str, list[MemberKey], str, bool]] = []
        for key, keys in clusters.items():
            gid = ids[key]
            digest = _build_digest(rules, keys, versions, overrides.get(gid))
            state = states.get(gid)
            same_members = state is not None and key in plan.exact
            if same_members and state[1] == digest:
                report.unchanged += 1
            else:
                todo.append((key, gid, keys, digest, same_members))
    writes = _Writes(uow, entity_type, match_run_id, now)
    with _collector_paused(), phases("golden: survivorship"):
        retiring = [old for old in plan.retired if old in states]
        olds = uow.golden.records([gid for _, gid, *_ in todo if gid in states] + retiring)
        stored = _stored_members(uow, entity_type, todo, len(versions))
        survivorship = Survivorship(list(entity.attributes), entity.survivorship)
    loads = orjson.loads
    for start in range(0, len(todo), _CLUSTERS_PER_ROUND):
        with _collector_paused(), phases("golden: survivorship"):
            for key, gid, keys, digest, same_members in todo[start : start + _CLUSTERS_PER_ROUND]:
                members = [
                    Member(k[0], k[1], version, updated_at, loads(text) if text else {})
                    for k in keys
                    for version, updated_at, text in (stored.pop(k),)
                ]
                values, provenance = survivorship(members, overrides.get(gid))
                old = olds.get(gid)
                if (
                    old
                    and same_members
                    and old["attributes"] == values
                    and old["provenance"] == provenance
                ):
                    writes.rehashed.append((gid, digest))
                    report.unchanged += 1
                    continue
                writes.golden(gid, old, values, provenance, keys, plan.split_from.get(key), digest)
                report.created += old is None
                report.updated += old is not None
        with _collector_paused(), phases("golden: write"):
            writes.flush()
    with _collector_paused(), phases("golden: write"):
        _memberships(writes, clusters, ids, previous, report)
        _retirements(writes, plan, ids, olds, report)
        writes.flush()
    report.events = writes.event_count
    report.memberships = {member: ids[key] for key, keys in clusters.items() for member in keys}
    return report


_CLUSTERS_PER_ROUND = 50_000  # golden records surviving and written per round


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Millions of small containers and no cycles among them: the cyclic collector would
    walk the growing heap again and again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rules_digest(entity: EntityTypeConfig) -> bytes:
    """What the survivorship of this type depends on besides the members (a hash key)."""
    text = entity.survivorship.model_dump_json() + "|" + ",".join(entity.attributes)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=32).digest()


def _build_digest(
    rules: bytes,
    keys: list[MemberKey],
    versions: Mapping[MemberKey, int],
    override: Mapping[str, Any] | None,
) -> str:
    parts: list[Any] = [keys, [versions[k] for k in keys]]
    if override:
        parts.append(override)
    text = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(text, digest_size=16, key=rules).hexdigest()


def _stored_members(
    uow: UnitOfWork,
    entity_type: str,
    todo: list[tuple[str, str, list[MemberKey], str, bool]],
    current: int,
) -> dict[MemberKey, tuple[int, datetime | None, str]]:
    """(version, source timestamp, attributes as JSON text) of the members of the clusters
    to rebuild: read in one pass when most are, else by key. The text is decoded a round
    of clusters at a time, which holds a fraction of the memory of decoded values."""
    wanted = [k for _, _, keys, _, _ in todo for k in keys]
    if not wanted:
        return {}
    keys = None if len(wanted) > current // 4 else wanted
    stored: dict[MemberKey, tuple[int, datetime | None, str]] = {}
    for batch in uow.source_records.current_rows(entity_type, keys):
        for system, source_id, version, updated_at, attributes in batch:
            stored[(system, source_id)] = (version, updated_at, attributes)
    return stored


def _memberships(
    writes: _Writes,
    clusters: dict[str, list[MemberKey]],
    ids: dict[str, str],
    previous: Mapping[MemberKey, str],
    report: GoldenBuildReport,
) -> None:
    held = 0  # members that had a golden record before
    for key, keys in clusters.items():
        gid = ids[key]
        for member in keys:
            old = previous.get(member)
            held += old is not None
            if old != gid:
                writes.xref(member, old, gid)
                report.xrefs_added += 1
                report.xrefs_removed += old is not None
    if len(previous) > held:
        current = {member for keys in clusters.values() for member in keys}
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
    """Collects rows and events, encoded for the store, then writes them with a few
    set-based statements."""

    def __init__(
        self, uow: UnitOfWork, entity_type: str, run_id: int | None, now: datetime
    ) -> None:
        self.uow, self.entity_type, self.run_id, self.now = uow, entity_type, run_id, now
        self.json = uow.golden.encode_json
        self.inserts: list[tuple[Any, ...]] = []
        self.updates: list[dict] = []
        self.versions: list[tuple[Any, ...]] = []
        self.closed: list[str] = []
        self.ends: list[MemberKey] = []
        self.xrefs: list[tuple[str, str, str]] = []
        self.retired: dict[str, str | None] = {}
        self.rehashed: list[tuple[str, str]] = []
        self.events: list[tuple[str, str | None, str]] = []
        self.event_count = 0  # events written so far

    def golden(
        self,
        gid: str,
        old: dict | None,
        values: dict,
        provenance: dict,
        keys: list[MemberKey],
        split_from: str | None,
        digest: str,
    ) -> None:
        version = (old["version"] + 1) if old else 1
        attributes_json, provenance_json = self.json(values), self.json(provenance)
        search_name = _search_name(values)
        if old:
            self.updates.append(
                {
                    "gid": gid,
                    "version": version,
                    "attributes": values,
                    "provenance": provenance,
                    "search_name": search_name,
                    "build_hash": digest,
                    "updated_at": self.now,
                }
            )
            self.closed.append(gid)
            change = "updated"
        else:
            self.inserts.append(
                (gid, version, attributes_json, provenance_json, search_name, digest)
            )
            change = "split" if split_from else "created"
        members = [list(k) for k in keys]
        self.versions.append(
            (
                gid,
                version,
                "active",
                None,
                attributes_json,
                provenance_json,
                self.json(members),
                change,
            )
        )
        payload: dict[str, Any] = {"golden_id": gid, "version": version, "members": members}
        if split_from and not old:
            payload["split_from"] = split_from
        self._event(f"golden.{change}", gid, payload)

    def retire(self, gid: str, survivor: str | None, old: dict) -> None:
        self.retired[gid] = survivor
        self.closed.append(gid)
        self.versions.append(
            (
                gid,
                old["version"] + 1,
                "retired",
                survivor,
                self.json(old["attributes"]),
                self.json(old["provenance"]),
                "[]",
                "merged" if survivor else "retired",
            )
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
            self.xrefs.append((system, source_id, new))
            self._event(
                "xref.added", new, {"system": system, "source_id": source_id, "golden_id": new}
            )

    def _event(self, event_type: str, aggregate: str, payload: dict[str, Any]) -> None:
        self.events.append((event_type, aggregate, self.json(payload)))

    def flush(self) -> None:
        """Write what was collected, in an order that keeps one open version per record,
        and start collecting afresh."""
        uow, golden, now = self.uow, self.uow.golden, self.now
        golden.close_versions(self.closed, now)
        golden.write_new(self.entity_type, now, self.inserts)
        golden.update(self.updates)
        golden.set_build_hashes(self.rehashed)
        golden.retire(self.retired, now)
        golden.write_versions(now, self.run_id, self.versions)
        golden.end_xrefs(self.entity_type, self.ends, now)
        golden.write_xrefs(self.entity_type, now, self.run_id, self.xrefs)
        uow.outbox.append_encoded(self.entity_type, uow.actor, uow.correlation_id, self.events)
        self.event_count += len(self.events)
        for rows in (self.inserts, self.updates, self.versions, self.closed, self.ends):
            rows.clear()
        for rows in (self.xrefs, self.rehashed, self.events):
            rows.clear()
        self.retired = {}


def _search_name(values: dict[str, Any]) -> str | None:
    name = values.get("name") or values.get("legal_name")
    return fold_name(str(name))[:512] or None if name else None


def group_by_golden(assignments: Mapping[MemberKey, str]) -> dict[str, list[MemberKey]]:
    """Golden id -> members, the inverse of a membership mapping."""
    grouped: dict[str, list[MemberKey]] = defaultdict(list)
    for member, gid in assignments.items():
        grouped[gid].append(member)
    return dict(grouped)
