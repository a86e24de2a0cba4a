"""Deciding, for a chunk of mapped records, what becomes a new version of what.

Rules: the same content is unchanged; an older source timestamp never overwrites a newer
one (the row is kept as a non-current version, so nothing is lost); anything else is a
new current version and the previous one is superseded, never edited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mdm.domain import IngestCounts, MappedRecord
from mdm.store import CurrentState, UnitOfWork, utcnow


class VersionPlanner:
    """Turns mapped records into version rows for one batch, with set-based writes."""

    def __init__(self, uow: UnitOfWork, entity_type: str, system: str, batch_id: int) -> None:
        self._uow, self._entity_type, self._system = uow, entity_type, system
        self._batch_id = batch_id

    def store(self, records: list[MappedRecord]) -> IngestCounts:
        """Store one chunk; returns what happened to each record."""
        counts = IngestCounts()
        states: dict[str, CurrentState | dict[str, Any]] = dict(
            self._uow.source_records.current_states(
                self._entity_type, self._system, (r.source_id for r in records)
            )
        )
        top: dict[str, int] = {}  # highest version number used per key, stale ones included
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        supersede: list[int] = []
        stored_keys: list[str] = []
        for record in records:
            state = states.get(record.source_id)
            if state is None:
                row = self._row(record, 1, now, current=True)
                inserts.append(row)
                states[record.source_id] = row
                counts.inserted += 1
                stored_keys.append(record.source_id)
                continue
            version, content_hash, updated_at = _view(state)
            version = max(version, top.get(record.source_id, 0))
            if content_hash == record.content_hash:
                counts.unchanged += 1
            elif _older(record.source_updated_at, updated_at):
                inserts.append(self._row(record, version + 1, now, current=False))
                top[record.source_id] = version + 1
                counts.stale += 1
            else:
                if isinstance(state, CurrentState):
                    supersede.append(state.id)
                else:  # a version inserted earlier in this chunk
                    state.update(is_current=False, needs_match=False, superseded_at=now)
                row = self._row(record, version + 1, now, current=True)
                inserts.append(row)
                states[record.source_id] = row
                counts.updated += 1
                stored_keys.append(record.source_id)
        self._uow.source_records.supersede(supersede, now)
        self._uow.source_records.insert_versions(inserts)
        self._uow.quarantine.resolve_for_keys(self._system, self._entity_type, stored_keys, now)
        return counts

    def _row(self, record: MappedRecord, version: int, now: datetime, *, current: bool) -> dict:
        return {
            "entity_type": self._entity_type,
            "system": self._system,
            "source_id": record.source_id,
            "version": version,
            "is_current": current,
            "needs_match": current,
            "raw": record.raw,
            "attributes": record.attributes,
            "issues": record.issues or None,
            "content_hash": record.content_hash,
            "source_updated_at": record.source_updated_at,
            "ingested_at": now,
            "superseded_at": None if current else now,
            "batch_id": self._batch_id,
            "line": record.line,
        }


def _view(state: CurrentState | dict[str, Any]) -> tuple[int, str, datetime | None]:
    if isinstance(state, CurrentState):
        return state.version, state.content_hash, state.source_updated_at
    return state["version"], state["content_hash"], state["source_updated_at"]


def _older(incoming: datetime | None, current: datetime | None) -> bool:
    return incoming is not None and current is not None and incoming < current
