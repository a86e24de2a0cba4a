"""Read side of golden records and xrefs: indexed, set-based look-ups for the query API.

Every method answers many keys with a bounded number of statements (IN lists in chunks), so
a batch of a thousand keys costs a handful of round trips, never one per key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mdm.store._tables import golden_record_versions as v
from mdm.store._tables import golden_records as g
from mdm.store._tables import metadata, outbox
from mdm.store._tables import xrefs as x

_IN_CHUNK = 1000
_GOLDEN_COLUMNS = (
    g.c.golden_id,
    g.c.entity_type,
    g.c.status,
    g.c.redirect_to,
    g.c.version,
    g.c.attributes,
    g.c.provenance,
    g.c.updated_at,
)
_XREF_JOIN = x.join(g, g.c.golden_id == x.c.golden_id)
# The hot path: the current xref by its unique partial index, then the record by its key.
_XREF_GOLDEN = (
    sa.select(*_GOLDEN_COLUMNS)
    .select_from(_XREF_JOIN)
    .where(
        x.c.entity_type == sa.bindparam("entity_type"),
        x.c.system == sa.bindparam("system"),
        x.c.source_id == sa.bindparam("source_id"),
        x.c.valid_to.is_(None),
    )
)


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_system(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """system -> its distinct source ids, in the order given."""
    by_system: dict[str, list[str]] = defaultdict(list)
    for system, source_id in dict.fromkeys(keys):
        by_system[system].append(source_id)
    return by_system


class Lookups:
    """Queries over golden records, xrefs, history and the outbox (never writes)."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def golden_by_xref(
        self, entity_type: str, system: str, source_id: str
    ) -> dict[str, Any] | None:
        """The golden record a current xref points at: one indexed join (the hot path)."""
        row = self._c.execute(
            _XREF_GOLDEN, {"entity_type": entity_type, "system": system, "source_id": source_id}
        ).first()
        return row._asdict() if row else None

    def goldens_by_xref(
        self, entity_type: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """(system, source_id) -> row of the golden record its current xref points at: one
        indexed join per system and 1,000 keys, not one look-up per key."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for system, ids in _by_system(keys).items():
            for chunk in _chunks(ids):
                query = (
                    sa.select(x.c.source_id, *_GOLDEN_COLUMNS)
                    .select_from(_XREF_JOIN)
                    .where(
                        x.c.entity_type == entity_type,
                        x.c.system == system,
                        x.c.source_id.in_(chunk),
                        x.c.valid_to.is_(None),
                    )
                )
                result = self._c.execute(query)
                names = list(result.keys())[1:]
                for source_id, *values in result:
                    found[(system, source_id)] = dict(zip(names, values, strict=True))
        return found

    def golden_ids_by_xref(
        self, entity_type: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """(system, source_id) -> golden id of the current xrefs, one IN list per system."""
        found: dict[tuple[str, str], str] = {}
        for system, ids in _by_system(keys).items():
            for chunk in _chunks(ids):
                query = sa.select(x.c.source_id, x.c.golden_id).where(
                    x.c.entity_type == entity_type,
                    x.c.system == system,
                    x.c.source_id.in_(chunk),
                    x.c.valid_to.is_(None),
                )
                for source_id, golden_id in self._c.execute(query):
                    found[(system, source_id)] = golden_id
        return found

    def goldens(self, golden_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Current rows of the given golden ids (active or retired) that exist."""
        ids = list(dict.fromkeys(golden_ids))
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            result = self._c.execute(sa.select(*_GOLDEN_COLUMNS).where(g.c.golden_id.in_(chunk)))
            names = list(result.keys())
            for values in result:
                found[values[0]] = dict(zip(names, values, strict=True))
        return found

    def members(
        self, golden_ids: Iterable[str], system: str | None = None
    ) -> dict[str, list[tuple[str, str]]]:
        """golden id -> current (system, source_id) members, in a stable order."""
        ids = list(dict.fromkeys(golden_ids))
        found: dict[str, list[tuple[str, str]]] = {gid: [] for gid in ids}
        for chunk in _chunks(ids):
            query = (
                sa.select(x.c.golden_id, x.c.system, x.c.source_id)
                .where(x.c.golden_id.in_(chunk), x.c.valid_to.is_(None))
                .order_by(x.c.golden_id, x.c.system, x.c.source_id)
            )
            if system is not None:
                query = query.where(x.c.system == system)
            for golden_id, sys_name, source_id in self._c.execute(query):
                found[golden_id].append((sys_name, source_id))
        return found

    def versions(self, golden_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """golden id -> its versions, oldest first."""
        ids = list(dict.fromkeys(golden_ids))
        found: dict[str, list[dict[str, Any]]] = {gid: [] for gid in ids}
        for chunk in _chunks(ids):
            query = (
                sa.select(v).where(v.c.golden_id.in_(chunk)).order_by(v.c.golden_id, v.c.version)
            )
            for row in self._c.execute(query).mappings():
                found[row["golden_id"]].append(dict(row))
        return found

    def version_as_of(self, golden_id: str, at: datetime) -> dict[str, Any] | None:
        """The version of a golden record valid at `at`, if it existed then."""
        query = (
            sa.select(v)
            .where(
                v.c.golden_id == golden_id,
                v.c.valid_from <= at,
                sa.or_(v.c.valid_to.is_(None), v.c.valid_to > at),
            )
            .order_by(v.c.version.desc())
            .limit(1)
        )
        row = self._c.execute(query).mappings().first()
        return dict(row) if row else None

    def search_candidates(
        self, entity_type: str, tokens: Sequence[str], limit: int
    ) -> list[dict[str, Any]]:
        """Active golden records with a word of the folded search name starting with any of
        `tokens` (callers pass short prefixes, so misspellings further in still match)."""
        if not tokens:
            return []
        pattern = []
        for token in tokens:
            escaped = _escape_like(token)
            pattern.append(g.c.search_name.like(f"{escaped}%", escape="\\"))
            pattern.append(g.c.search_name.like(f"% {escaped}%", escape="\\"))
        query = (
            sa.select(*_GOLDEN_COLUMNS, g.c.search_name)
            .where(g.c.entity_type == entity_type, g.c.status == "active", sa.or_(*pattern))
            .order_by(g.c.golden_id)
            .limit(limit)
        )
        return [dict(r) for r in self._c.execute(query).mappings()]

    def changes(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Outbox events after sequence `after`, in order."""
        query = (
            sa.select(outbox).where(outbox.c.sequence > after).order_by(outbox.c.sequence)
        ).limit(limit)
        return [dict(r) for r in self._c.execute(query).mappings()]

    def relationships(self, golden_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]] | None:
        """golden id -> current relationships; None when the store has no relationship table."""
        table = metadata.tables.get("golden_relationships")
        if table is None or not _has_columns(table, "from_golden_id", "to_golden_id"):
            return None
        ids = list(dict.fromkeys(golden_ids))
        found: dict[str, list[dict[str, Any]]] = {gid: [] for gid in ids}
        current = [table.c.valid_to.is_(None)] if "valid_to" in table.c else []
        for chunk in _chunks(ids):
            for column, direction in (("from_golden_id", "out"), ("to_golden_id", "in")):
                query = sa.select(table).where(table.c[column].in_(chunk), *current)
                for row in self._c.execute(query).mappings():
                    found[row[column]].append({**row, "direction": direction})
        return found


def _has_columns(table: sa.Table, *names: str) -> bool:
    return all(name in table.c for name in names)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
