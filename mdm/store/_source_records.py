"""Source records: versioned, never edited, bulk-written with set-based statements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from mdm.store._bulk import bulk_insert, fetch_plain, insert_encoded
from mdm.store._current_arrow import current_columns
from mdm.store._tables import source_records as t
from mdm.store._version_rows import JSON_COLUMNS, PAYLOAD_COLUMNS, VersionBatch, VersionEncoder

_IN_CHUNK = 5000  # keys per IN (...) look-up; well inside SQLite's and PostgreSQL's limits
older = t.alias("older")  # other versions of the same key


@dataclass(frozen=True, slots=True)
class CurrentState:
    """What the store holds now for one source key."""

    id: int
    version: int
    content_hash: str
    source_updated_at: datetime | None
    top_version: int = 0  # the highest version number held, stale ones included
    hashes: frozenset[str] = frozenset()  # the content hashes of every version held


class SourceRecords:
    """Repository of source records (all versions; one current per key)."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection
        self._encoder: VersionEncoder | None = None

    def encoder(self) -> VersionEncoder:
        """The encoder of version payloads for this store's backend (picklable)."""
        if self._encoder is None:
            self._encoder = VersionEncoder.for_connection(self._c)
        return self._encoder

    def has_current(self, entity_type: str, system: str) -> bool:
        """Whether any current record of this type and system is stored."""
        query = sa.select(t.c.id).where(
            t.c.entity_type == entity_type, t.c.system == system, t.c.is_current
        )
        return self._c.execute(query.limit(1)).first() is not None

    def current_states(
        self, entity_type: str, system: str, source_ids: Iterable[str]
    ) -> dict[str, CurrentState]:
        """Current version of each given key that exists, with what its other versions hold.

        Set-based look-ups: the current rows with their keys' highest version number, then
        the content hashes of keys that hold more than one version (few do).
        """
        ids = list(dict.fromkeys(source_ids))
        ids_param = sa.bindparam("ids", expanding=True)
        same_key = (
            (older.c.entity_type == t.c.entity_type)
            & (older.c.system == t.c.system)
            & (older.c.source_id == t.c.source_id)
        )
        top = sa.select(sa.func.max(older.c.version)).where(same_key).scalar_subquery()
        current = sa.select(
            t.c.source_id, t.c.id, t.c.version, t.c.content_hash, t.c.source_updated_at, top
        ).where(
            t.c.entity_type == entity_type,
            t.c.system == system,
            t.c.is_current,
            t.c.source_id.in_(ids_param),
        )
        rows = []
        for start in range(0, len(ids), _IN_CHUNK):
            rows += self._c.execute(current, {"ids": ids[start : start + _IN_CHUNK]}).all()
        several = [row[0] for row in rows if row[5] != 1]
        hashes = self._version_hashes(entity_type, system, several)
        return {
            key: CurrentState(
                rid,
                version,
                content_hash,
                updated,
                top_version,
                hashes.get(key) or frozenset((content_hash,)),
            )
            for key, rid, version, content_hash, updated, top_version in rows
        }

    def _version_hashes(
        self, entity_type: str, system: str, source_ids: list[str]
    ) -> dict[str, frozenset[str]]:
        """The content hashes of every version of each given key."""
        query = sa.select(t.c.source_id, t.c.content_hash).where(
            t.c.entity_type == entity_type,
            t.c.system == system,
            t.c.source_id.in_(sa.bindparam("ids", expanding=True)),
        )
        found: dict[str, set[str]] = {}
        for start in range(0, len(source_ids), _IN_CHUNK):
            chunk = source_ids[start : start + _IN_CHUNK]
            for key, content_hash in self._c.execute(query, {"ids": chunk}):
                found.setdefault(key, set()).add(content_hash)
        return {key: frozenset(values) for key, values in found.items()}

    def insert_versions(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert new versions in one executemany (rows carry every column but id)."""
        bulk_insert(self._c, t, rows)

    def _batch_columns(self, batch: VersionBatch, now: datetime) -> dict[str, Any]:
        """What every version row written by one batch holds, encoded for the driver."""
        return {
            "entity_type": batch.entity_type,
            "system": batch.system,
            "batch_id": batch.batch_id,
            "ingested_at": self.encoder().time(now),
        }

    def insert_first_versions(
        self, batch: VersionBatch, payloads: Sequence[tuple[Any, ...]], now: datetime
    ) -> None:
        """Insert encoded payloads (PAYLOAD_COLUMNS) as version 1, current, of their keys."""
        encoder = self.encoder()
        shared = {
            **self._batch_columns(batch, now),
            "version": 1,
            "is_current": encoder.flag(True),
            "needs_match": encoder.flag(True),
            "superseded_at": None,
        }
        insert_encoded(self._c, t, shared, PAYLOAD_COLUMNS, payloads, JSON_COLUMNS)

    def insert_later_versions(
        self,
        batch: VersionBatch,
        versions: Sequence[tuple[tuple[Any, ...], int, bool]],
        now: datetime,
    ) -> None:
        """Insert encoded payloads as given (payload, version, is_current) versions."""
        encoder = self.encoder()
        shared = self._batch_columns(batch, now)
        columns = (*PAYLOAD_COLUMNS, "version", "is_current", "needs_match", "superseded_at")
        superseded = encoder.time(now)
        rows = [
            (
                *payload,
                version,
                encoder.flag(current),
                encoder.flag(current),
                None if current else superseded,
            )
            for payload, version, current in versions
        ]
        insert_encoded(self._c, t, shared, columns, rows, JSON_COLUMNS)

    def supersede(self, record_ids: Sequence[int], at: datetime) -> None:
        """Mark versions as no longer current (their successors are inserted next)."""
        if not record_ids:
            return
        stmt = (
            sa.update(t)
            .where(t.c.id == sa.bindparam("rid"))
            .values(is_current=False, needs_match=False, superseded_at=at)
        )
        self._c.execute(stmt, [{"rid": rid} for rid in record_ids])

    def count_current(self) -> list[tuple[str, str, int]]:
        """(entity_type, system, count) of current records."""
        query = (
            sa.select(t.c.entity_type, t.c.system, sa.func.count())
            .where(t.c.is_current)
            .group_by(t.c.entity_type, t.c.system)
            .order_by(t.c.entity_type, t.c.system)
        )
        return [tuple(row) for row in self._c.execute(query)]

    def get_current(self, entity_type: str, system: str, source_id: str) -> dict[str, Any] | None:
        row = (
            self._c.execute(
                sa.select(t).where(
                    t.c.entity_type == entity_type,
                    t.c.system == system,
                    t.c.source_id == source_id,
                    t.c.is_current,
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def versions(self, entity_type: str, system: str, source_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(t)
            .where(t.c.entity_type == entity_type, t.c.system == system, t.c.source_id == source_id)
            .order_by(t.c.version)
        )
        return [dict(row) for row in self._c.execute(query).mappings()]

    def current_columns(self, entity_type: str, names: Sequence[str]) -> Iterator[pa.Table]:
        """The current records of a type as Arrow blocks (system, source_id, each named
        attribute as text, source_updated_at), in no particular order, read in bulk as one
        consistent snapshot."""
        return current_columns(self._c, entity_type, names)

    def current_versions(self, entity_type: str) -> dict[tuple[str, str], int]:
        """(system, source_id) -> version of every current record of a type."""
        query = sa.select(t.c.system, t.c.source_id, t.c.version).where(
            t.c.entity_type == entity_type, t.c.is_current
        )
        return {(s, i): v for s, i, v in fetch_plain(self._c, query)}

    def current_rows(
        self,
        entity_type: str,
        keys: Iterable[tuple[str, str]] | None = None,
        batch_size: int = 50_000,
    ) -> Iterator[Sequence[tuple[str, str, int, datetime | None, str]]]:
        """(system, source_id, version, source_updated_at, attributes as JSON text) of the
        current records of a type, all of them or those of `keys`, in batches."""
        query = sa.select(
            t.c.system,
            t.c.source_id,
            t.c.version,
            t.c.source_updated_at,
            sa.cast(t.c.attributes, sa.Text),
        ).where(t.c.entity_type == entity_type, t.c.is_current)
        if keys is None:
            result = self._c.execute(query.execution_options(yield_per=batch_size))
            yield from result.partitions(batch_size)
            return
        by_system: dict[str, list[str]] = {}
        for system, source_id in keys:
            by_system.setdefault(system, []).append(source_id)
        for system, ids in sorted(by_system.items()):
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                yield self._c.execute(
                    query.where(t.c.system == system, t.c.source_id.in_(chunk))
                ).all()

    def iter_references(
        self, entity_type: str, names: Sequence[str], batch_size: int = 50_000
    ) -> Iterator[Sequence[tuple[Any, ...]]]:
        """(system, source_id, *the named attributes) of current records holding any of them,
        read out of the JSON by the database rather than decoded whole."""
        values = [t.c.attributes[name].as_string() for name in names]
        query = sa.select(t.c.system, t.c.source_id, *values).where(
            t.c.entity_type == entity_type,
            t.c.is_current,
            sa.or_(*(v.is_not(None) for v in values)),
        )
        result = self._c.execute(query.execution_options(yield_per=batch_size))
        yield from result.partitions(batch_size)

    def last_id(self) -> int:
        """The highest row id stored so far (0: none; one look-up at the end of the primary
        key): any record or version stored later has a higher id."""
        return int(self._c.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0)

    def mark_matched(self, entity_type: str, up_to: int) -> int:
        """Clear the needs-match flag of the current records of a type with a row id up to
        `up_to` (`last_id` when a match run read them), not of those stored while it ran:
        they still need matching."""
        stmt = (
            sa.update(t)
            .where(t.c.entity_type == entity_type, t.c.is_current, t.c.needs_match, t.c.id <= up_to)
            .values(needs_match=False)
        )
        return self._c.execute(stmt).rowcount
