"""Golden records, their versions, cross-references and ID counters (the write side)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mdm.store._bulk import bulk_insert, fetch_plain, insert_encoded
from mdm.store._engine import json_text
from mdm.store._tables import golden_record_versions as versions
from mdm.store._tables import golden_records as golden
from mdm.store._tables import golden_relationships as relationships
from mdm.store._tables import id_counters, xrefs
from mdm.store._types import bind_time

_CHUNK = 5000
_GOLDEN_COLUMNS = ("golden_id", "version", "attributes", "provenance", "search_name", "build_hash")
_VERSION_COLUMNS = (
    "golden_id",
    "version",
    "status",
    "redirect_to",
    "attributes",
    "provenance",
    "members",
    "change",
)
_JSON = frozenset({"attributes", "provenance", "members", "payload"})


class GoldenRepository:
    """Set-based reads and writes of golden records and memberships."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    @property
    def encode_json(self) -> Callable[[Any], str]:
        """The function giving a value as the JSON text this store writes (for the rows
        given to `write_*`)."""
        return getattr(self._c.dialect, "_json_serializer", None) or json_text

    def _time(self, value: datetime | None) -> Any:
        return bind_time(self._c.dialect, value)

    def active_states(self, entity_type: str) -> dict[str, tuple[int, str | None]]:
        """Active golden records of a type: id -> (version, build hash)."""
        query = sa.select(golden.c.golden_id, golden.c.version, golden.c.build_hash).where(
            golden.c.entity_type == entity_type, golden.c.status == "active"
        )
        return {gid: (version, digest) for gid, version, digest in fetch_plain(self._c, query)}

    def records(self, golden_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> version, attributes and provenance of the given golden records."""
        ids = sorted(set(golden_ids))
        found: dict[str, dict[str, Any]] = {}
        columns = (golden.c.golden_id, golden.c.version, golden.c.attributes, golden.c.provenance)
        for start in range(0, len(ids), _CHUNK):
            query = sa.select(*columns).where(golden.c.golden_id.in_(ids[start : start + _CHUNK]))
            for r in self._c.execute(query):
                found[r.golden_id] = {
                    "version": r.version,
                    "attributes": r.attributes,
                    "provenance": r.provenance,
                }
        return found

    def write_new(self, entity_type: str, at: datetime, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert active golden records: rows of (golden_id, version, attributes JSON text,
        provenance JSON text, search_name, build_hash)."""
        when = self._time(at)
        shared = {
            "entity_type": entity_type,
            "status": "active",
            "redirect_to": None,
            "created_at": when,
            "updated_at": when,
            "retired_at": None,
        }
        for start in range(0, len(rows), _CHUNK):
            insert_encoded(
                self._c, golden, shared, _GOLDEN_COLUMNS, rows[start : start + _CHUNK], _JSON
            )

    def write_versions(
        self, at: datetime, run_id: int | None, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Insert golden record versions valid from `at`: rows of (golden_id, version, status,
        redirect_to, attributes JSON text, provenance JSON text, members JSON text, change)."""
        shared = {"valid_from": self._time(at), "valid_to": None, "match_run_id": run_id}
        for start in range(0, len(rows), _CHUNK):
            insert_encoded(
                self._c, versions, shared, _VERSION_COLUMNS, rows[start : start + _CHUNK], _JSON
            )

    def write_xrefs(
        self,
        entity_type: str,
        at: datetime,
        run_id: int | None,
        rows: Sequence[tuple[str, str, str]],
    ) -> None:
        """Open cross-references from `at`: rows of (system, source_id, golden_id)."""
        shared = {
            "entity_type": entity_type,
            "valid_from": self._time(at),
            "valid_to": None,
            "match_run_id": run_id,
        }
        columns = ("system", "source_id", "golden_id")
        for start in range(0, len(rows), _CHUNK):
            insert_encoded(self._c, xrefs, shared, columns, rows[start : start + _CHUNK])

    def set_build_hashes(self, rows: Sequence[tuple[str, str]]) -> None:
        """Record (golden_id, build_hash) for records whose rebuild changed nothing."""
        if rows:
            self._c.execute(
                sa.update(golden)
                .where(golden.c.golden_id == sa.bindparam("b_gid"))
                .values(build_hash=sa.bindparam("b_hash")),
                [{"b_gid": gid, "b_hash": digest} for gid, digest in rows],
            )

    def memberships(self, entity_type: str) -> dict[tuple[str, str], str]:
        """(system, source_id) -> golden id of every open cross-reference of a type."""
        query = sa.select(xrefs.c.system, xrefs.c.source_id, xrefs.c.golden_id).where(
            xrefs.c.entity_type == entity_type, xrefs.c.valid_to.is_(None)
        )
        return {(s, i): g for s, i, g in fetch_plain(self._c, query)}

    def allocate_ids(self, entity_type: str, prefix: str, count: int) -> list[str]:
        """`count` new golden IDs, in order, from the type's counter."""
        if count == 0:
            return []
        row = self._c.execute(
            sa.select(id_counters.c.next_value)
            .where(id_counters.c.entity_type == entity_type)
            .with_for_update()
        ).first()
        start = row.next_value if row else 1
        if row:
            self._c.execute(
                sa.update(id_counters)
                .where(id_counters.c.entity_type == entity_type)
                .values(next_value=start + count)
            )
        else:
            self._c.execute(
                sa.insert(id_counters).values(entity_type=entity_type, next_value=start + count)
            )
        return [f"{prefix}-{n:06d}" for n in range(start, start + count)]

    def update(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rewrite attributes, provenance and version of existing golden records."""
        if not rows:
            return
        stmt = (
            sa.update(golden)
            .where(golden.c.golden_id == sa.bindparam("b_gid"))
            .values(
                version=sa.bindparam("b_version"),
                attributes=sa.bindparam("b_attributes"),
                provenance=sa.bindparam("b_provenance"),
                search_name=sa.bindparam("b_search_name"),
                build_hash=sa.bindparam("b_build_hash"),
                updated_at=sa.bindparam("b_updated_at"),
            )
        )
        self._c.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])

    def retire(self, redirects: dict[str, str | None], at: datetime) -> None:
        """Retire IDs; each redirects to its survivor, and older redirects follow along."""
        if not redirects:
            return
        rows = [{"b_old": old, "b_new": new} for old, new in redirects.items()]
        self._c.execute(
            sa.update(golden)
            .where(golden.c.golden_id == sa.bindparam("b_old"))
            .values(
                status="retired",
                redirect_to=sa.bindparam("b_new"),
                retired_at=at,
                updated_at=at,
                version=golden.c.version + 1,
            ),
            rows,
        )
        moving = [r for r in rows if r["b_new"]]
        if moving:
            self._c.execute(
                sa.update(golden)
                .where(golden.c.redirect_to == sa.bindparam("b_old"))
                .values(redirect_to=sa.bindparam("b_new")),
                moving,
            )

    def resolve(self, golden_id: str) -> tuple[str | None, list[str]]:
        """Follow redirects to an active record: (active id or None, path walked)."""
        path = [golden_id]
        current = golden_id
        while True:
            row = self._c.execute(
                sa.select(golden.c.status, golden.c.redirect_to).where(
                    golden.c.golden_id == current
                )
            ).first()
            if row is None:
                return None, path
            if row.status == "active":
                return current, path
            if not row.redirect_to or row.redirect_to in path:
                return None, path
            current = row.redirect_to
            path.append(current)

    def get(self, golden_id: str) -> dict[str, Any] | None:
        row = (
            self._c.execute(sa.select(golden).where(golden.c.golden_id == golden_id))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def close_versions(self, golden_ids: Iterable[str], at: datetime) -> None:
        ids = list(golden_ids)
        for start in range(0, len(ids), _CHUNK):
            self._c.execute(
                sa.update(versions)
                .where(
                    versions.c.golden_id.in_(ids[start : start + _CHUNK]),
                    versions.c.valid_to.is_(None),
                )
                .values(valid_to=at)
            )

    def end_xrefs(self, entity_type: str, keys: Sequence[tuple[str, str]], at: datetime) -> None:
        if not keys:
            return
        stmt = (
            sa.update(xrefs)
            .where(
                xrefs.c.entity_type == entity_type,
                xrefs.c.system == sa.bindparam("k_system"),
                xrefs.c.source_id == sa.bindparam("k_source_id"),
                xrefs.c.valid_to.is_(None),
            )
            .values(valid_to=at)
        )
        self._c.execute(stmt, [{"k_system": s, "k_source_id": i} for s, i in keys])

    def xref_as_of(self, entity_type: str, system: str, source_id: str, at: datetime) -> str | None:
        row = self._c.execute(
            sa.select(xrefs.c.golden_id)
            .where(
                xrefs.c.entity_type == entity_type,
                xrefs.c.system == system,
                xrefs.c.source_id == source_id,
                xrefs.c.valid_from <= at,
                sa.or_(xrefs.c.valid_to.is_(None), xrefs.c.valid_to > at),
            )
            .order_by(xrefs.c.valid_from.desc())
            .limit(1)
        ).first()
        return row.golden_id if row else None

    def iter_xrefs(
        self, entity_type: str | None, batch_size: int = 20_000
    ) -> Iterator[list[sa.Row]]:
        """Open cross-references, streamed in key order, for exports."""
        query = sa.select(
            xrefs.c.entity_type, xrefs.c.system, xrefs.c.source_id, xrefs.c.golden_id
        ).where(xrefs.c.valid_to.is_(None))
        if entity_type:
            query = query.where(xrefs.c.entity_type == entity_type)
        query = query.order_by(xrefs.c.entity_type, xrefs.c.system, xrefs.c.source_id)
        result = self._c.execute(query.execution_options(yield_per=batch_size))
        yield from result.partitions(batch_size)

    def open_relationships(self) -> dict[tuple[str, str, str], int]:
        """(from, relation, to) -> row id of every current relationship."""
        query = sa.select(
            relationships.c.id,
            relationships.c.from_golden_id,
            relationships.c.relation,
            relationships.c.to_golden_id,
        ).where(relationships.c.valid_to.is_(None))
        return {
            (r.from_golden_id, r.relation, r.to_golden_id): r.id for r in self._c.execute(query)
        }

    def end_relationships(self, ids: Sequence[int], at: datetime) -> None:
        for start in range(0, len(ids), _CHUNK):
            self._c.execute(
                sa.update(relationships)
                .where(relationships.c.id.in_(ids[start : start + _CHUNK]))
                .values(valid_to=at)
            )

    def add_relationships(self, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), _CHUNK):
            bulk_insert(self._c, relationships, rows[start : start + _CHUNK])
