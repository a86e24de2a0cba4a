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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from mdm.config import EntityTypeConfig, HubConfig
from mdm.services.golden._identity import IdPlan, MemberKey, group_clusters, plan_ids
from mdm.services.golden._rounds import Task, survival_rounds
from mdm.services.golden._rows import EncodedRows, RowEncoder
from mdm.services.golden._survivorship import Survivorship
from mdm.services.phases import Phases
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
    with _collector_paused(), uow.page_cache(_PAGE_CACHE_MB):
        return _apply(uow, entity, entity_type, assignments, match_run_id, now, overrides, phases)


def _apply(
    uow: UnitOfWork,
    entity: EntityTypeConfig,
    entity_type: str,
    assignments: Mapping[MemberKey, str],
    match_run_id: int | None,
    now: datetime,
    overrides: Mapping[str, Mapping[str, Any]],
    phases: Phases,
) -> GoldenBuildReport:
    with phases("golden: plan ids"):
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
    with ExitStack() as stack:
        with phases("golden: survivorship"):
            retiring = [old for old in plan.retired if old in states]
            olds = uow.golden.records([gid for _, gid, *_ in todo if gid in states] + retiring)
            survivorship = Survivorship(list(entity.attributes), entity.survivorship)

            def make_round(start: int, stop: int) -> list[Task]:
                return [
                    (
                        gid,
                        keys,
                        digest,
                        same,
                        plan.split_from.get(key),
                        overrides.get(gid),
                        olds.get(gid),
                        [stored[k] for k in keys],
                    )
                    for key, gid, keys, digest, same in todo[start:stop]
                ]

            rounds = stack.enter_context(
                survival_rounds(len(todo), make_round, survivorship, writes.encoder.json, now)
            )
            stored = _stored_members(uow, entity_type, todo, len(versions))
        while True:
            with phases("golden: survivorship"):
                start, stop, rows = next(rounds, (0, 0, None))
            if rows is None:
                break
            for _, _, keys, _, _ in todo[start:stop]:  # this round's values are done with
                for k in keys:
                    del stored[k]
            report.created += rows.created
            report.updated += rows.updated
            report.unchanged += rows.unchanged
            with phases("golden: write"):
                writes.flush(rows)
    with phases("golden: write"):
        _memberships(writes.encoder, clusters, ids, previous, report)
        _retirements(writes.encoder, plan, ids, olds, report)
        writes.flush(writes.encoder.rows)
    report.events = writes.event_count
    report.memberships = {member: ids[key] for key, keys in clusters.items() for member in keys}
    return report


_PAGE_CACHE_MB = 256  # measured at 200k records: writes -15% CPU, for 180 MB


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Millions of small containers and no cycles among them: the cyclic collector would
    walk the growing heap again and again for nothing (paused for the whole rebuild, not
    per phase: the allocations of a paused phase would be walked as soon as it ends)."""
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
    writes: RowEncoder,
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
    writes: RowEncoder,
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
    """Writes encoded rows and events with a few set-based statements per table."""

    def __init__(
        self, uow: UnitOfWork, entity_type: str, run_id: int | None, now: datetime
    ) -> None:
        self.uow, self.entity_type, self.run_id, self.now = uow, entity_type, run_id, now
        self.encoder = RowEncoder(uow.golden.encode_json, now)  # rows made in this process
        self.event_count = 0  # events written so far

    def flush(self, rows: EncodedRows) -> None:
        """Write `rows` in an order that keeps one open version per record, and clear them."""
        uow, golden, now = self.uow, self.uow.golden, self.now
        golden.close_versions(rows.closed, now)
        golden.write_new(self.entity_type, now, rows.inserts)
        golden.update(rows.updates)
        golden.set_build_hashes(rows.rehashed)
        golden.retire(rows.retired, now)
        golden.write_versions(now, self.run_id, rows.versions)
        golden.end_xrefs(self.entity_type, rows.ends, now)
        golden.write_xrefs(self.entity_type, now, self.run_id, rows.xrefs)
        uow.outbox.append_encoded(self.entity_type, uow.actor, uow.correlation_id, rows.events)
        self.event_count += len(rows.events)
        rows.clear_rows()


def group_by_golden(assignments: Mapping[MemberKey, str]) -> dict[str, list[MemberKey]]:
    """Golden id -> members, the inverse of a membership mapping."""
    grouped: dict[str, list[MemberKey]] = defaultdict(list)
    for member, gid in assignments.items():
        grouped[gid].append(member)
    return dict(grouped)
