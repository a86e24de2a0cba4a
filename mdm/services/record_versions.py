"""Deciding, for a chunk of mapped records, what becomes a new version of what.

Rules: the same content is unchanged; an older source timestamp never overwrites a newer
one (the row is kept as a non-current version, so nothing is lost, and is unchanged if a
version with that content is kept already); anything else is a new current version and the
previous one is superseded, never edited. Version numbers follow the highest one held,
stale ones included.

Records arrive as payloads encoded for the store (see mdm.store.VersionEncoder). A chunk of
keys the store has never held, none of them repeated, is written as first versions without
per-record work; only keys the store (or this load) may already hold are looked up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mdm.domain import IngestCounts
from mdm.store import (
    CurrentState,
    UnitOfWork,
    VersionBatch,
    payload_content_hash,
    payload_source_id,
    utcnow,
)

Payload = tuple[Any, ...]
_TRACKED_KEYS = 4_000_000  # keys remembered per load before falling back to store look-ups


class VersionPlanner:
    """Turns encoded records into version rows for one batch, with set-based writes."""

    def __init__(self, uow: UnitOfWork, entity_type: str, system: str, batch_id: int) -> None:
        self._uow, self._entity_type, self._system = uow, entity_type, system
        self._batch = VersionBatch(entity_type, system, batch_id)
        self._encoder = uow.source_records.encoder()
        # On a store without records of this type and system, only keys this load has
        # already written can exist: remember their hashes rather than ask the store.
        fresh = not uow.source_records.has_current(entity_type, system)
        self._written: set[int] | None = set() if fresh else None
        self._open_quarantine = uow.quarantine.has_open(system, entity_type)

    def quarantined(self) -> None:
        """Note that this load quarantined rows, which later rows of a key may resolve."""
        self._open_quarantine = True

    def store(self, payloads: list[Payload]) -> IngestCounts:
        """Store one chunk; returns what happened to each record."""
        keys = list(map(payload_source_id, payloads))
        known = self._known(keys)
        now = utcnow()
        if known is not None and not known:
            self._uow.source_records.insert_first_versions(self._batch, payloads, now)
            self._resolve_quarantine(keys, now)
            return IngestCounts(inserted=len(payloads))
        states = self._uow.source_records.current_states(
            self._entity_type, self._system, keys if known is None else known
        )
        return self._plan(payloads, states, now)

    def _known(self, keys: list[str]) -> list[str] | None:
        """Keys that may already be stored, if cheaply known (None: ask the store for all)."""
        if self._written is None:
            return None
        hashes = list(map(hash, keys))
        written = self._written
        if written.isdisjoint(hashes) and len(set(hashes)) == len(hashes):
            known: list[str] = []
        else:  # a hash seen before or repeated here (or a rare collision): check those
            here: set[int] = set()
            known = []
            for key, h in zip(keys, hashes, strict=True):
                if h in written or h in here:
                    known.append(key)
                here.add(h)
        written.update(hashes)
        if len(written) > _TRACKED_KEYS:
            self._written = None
        return known

    def _plan(
        self, payloads: list[Payload], states: dict[str, CurrentState], now: datetime
    ) -> IngestCounts:
        """The general case: compare each record with what is stored or written before."""
        counts = IngestCounts()
        encoder = self._encoder
        current: dict[str, Any] = dict(states)  # key -> CurrentState, or index into versions
        top = {key: state.top_version for key, state in states.items()}  # highest version used
        held = {key: set(state.hashes) for key, state in states.items()}  # hashes of versions
        versions: list[list[Any]] = []  # [payload, version, is_current] in input order
        supersede: list[int] = []
        stored_keys: list[str] = []
        for payload in payloads:
            key, incoming = payload_source_id(payload), payload_content_hash(payload)
            state = current.get(key)
            if state is None:
                current[key], top[key], held[key] = len(versions), 1, {incoming}
                versions.append([payload, 1, True])
                counts.inserted += 1
                stored_keys.append(key)
                continue
            if isinstance(state, CurrentState):
                stored_hash, updated_at = state.content_hash, state.source_updated_at
            else:
                earlier = versions[state][0]
                stored_hash = payload_content_hash(earlier)
                updated_at = encoder.source_updated_at(earlier)
            version = top[key] + 1
            if stored_hash == incoming:
                counts.unchanged += 1
            elif _older(encoder.source_updated_at(payload), updated_at):
                if incoming in held[key]:  # this older content is kept already
                    counts.unchanged += 1
                    continue
                versions.append([payload, version, False])
                top[key] = version
                held[key].add(incoming)
                counts.stale += 1
            else:
                if isinstance(state, CurrentState):
                    supersede.append(state.id)
                else:  # a version written earlier in this chunk
                    versions[state][2] = False
                current[key], top[key] = len(versions), version
                held[key].add(incoming)
                versions.append([payload, version, True])
                counts.updated += 1
                stored_keys.append(key)
        self._uow.source_records.supersede(supersede, now)
        self._write(versions, now)
        self._resolve_quarantine(stored_keys, now)
        return counts

    def _write(self, versions: list[list[Any]], now: datetime) -> None:
        """Insert versions in input order: runs of first versions, then of later ones."""
        records = self._uow.source_records
        start = 0
        while start < len(versions):
            first = versions[start][1] == 1 and versions[start][2]
            end = start
            while end < len(versions) and (versions[end][1] == 1 and versions[end][2]) == first:
                end += 1
            run = versions[start:end]
            if first:
                records.insert_first_versions(self._batch, [v[0] for v in run], now)
            else:
                records.insert_later_versions(self._batch, [tuple(v) for v in run], now)
            start = end

    def _resolve_quarantine(self, keys: list[str], now: datetime) -> None:
        if self._open_quarantine:
            self._uow.quarantine.resolve_for_keys(self._system, self._entity_type, keys, now)


def _older(incoming: datetime | None, current: datetime | None) -> bool:
    return incoming is not None and current is not None and incoming < current
