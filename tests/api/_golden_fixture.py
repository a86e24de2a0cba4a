"""Golden records for API tests, built by the real `build_golden_records` when it exists.

Until then a small store-level stand-in (tests only) writes what it would: golden records
with provenance and search names, versions, xrefs, redirects of merged-away ids, events.
"""

from __future__ import annotations

import importlib
from collections import Counter, defaultdict
from datetime import datetime

import sqlalchemy as sa

from mdm.config import HubConfig
from mdm.services.search import fold_name
from mdm.store import UnitOfWork
from mdm.store._tables import (
    golden_record_versions,
    golden_records,
    id_counters,
    outbox,
    source_records,
    xrefs,
)

Assignments = dict[tuple[str, str], str]


def build_goldens(
    engine: sa.Engine,
    config: HubConfig,
    entity_type: str,
    assignments: Assignments,
    now: datetime,
) -> None:
    try:
        golden = importlib.import_module("mdm.services.golden")
    except ImportError:
        golden = None
    if golden is not None and hasattr(golden, "build_golden_records"):
        golden.build_golden_records(
            UnitOfWork(engine, "test"), config, entity_type, assignments, now=now
        )
        return
    with engine.begin() as c:
        _stand_in_build(c, config, entity_type, assignments, now)


def _stand_in_build(
    c: sa.Connection,
    config: HubConfig,
    entity_type: str,
    assignments: Assignments,
    now: datetime,
) -> None:
    prefix = config.entity_types[entity_type].id_prefix
    clusters: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for member, cluster in assignments.items():
        clusters[cluster].append(member)
    x, g, sr = xrefs, golden_records, source_records
    current = {
        (r.system, r.source_id): r.golden_id
        for r in c.execute(
            sa.select(x).where(x.c.entity_type == entity_type, x.c.valid_to.is_(None))
        )
    }
    records = {
        (r.system, r.source_id): r.attributes
        for r in c.execute(sa.select(sr).where(sr.c.entity_type == entity_type, sr.c.is_current))
    }
    counter = c.execute(
        sa.select(id_counters.c.next_value).where(id_counters.c.entity_type == entity_type)
    ).scalar()
    next_value = counter or 1
    kept: dict[str, str] = {}  # old golden id -> the id its members now have
    for cluster in sorted(clusters):
        members = sorted(clusters[cluster])
        votes = Counter(current[m] for m in members if m in current)
        gid = next((g_ for g_, _ in votes.most_common() if g_ not in kept.values()), None)
        if gid is None:
            gid, next_value = f"{prefix}-{next_value:06d}", next_value + 1
        for m in members:
            if m in current:
                kept.setdefault(current[m], gid)
        attributes, provenance = {}, {}
        for system, source_id in members:
            for name, value in (records.get((system, source_id)) or {}).items():
                if value is not None and name not in attributes:
                    attributes[name] = value
                    provenance[name] = {
                        "system": system,
                        "source_id": source_id,
                        "rule": "authority",
                    }
        _write_version(c, entity_type, gid, "active", None, attributes, provenance, members, now)
        for m in members:
            if current.get(m) != gid:
                c.execute(
                    sa.update(x)
                    .where(
                        x.c.entity_type == entity_type,
                        x.c.system == m[0],
                        x.c.source_id == m[1],
                        x.c.valid_to.is_(None),
                    )
                    .values(valid_to=now)
                )
                c.execute(
                    sa.insert(x).values(
                        entity_type=entity_type,
                        system=m[0],
                        source_id=m[1],
                        golden_id=gid,
                        valid_from=now,
                    )
                )
    for old, survivor in kept.items():
        if old != survivor and old not in {gid for gid in kept.values()}:
            row = c.execute(sa.select(g).where(g.c.golden_id == old)).mappings().one()
            _write_version(
                c,
                entity_type,
                old,
                "retired",
                survivor,
                row["attributes"],
                row["provenance"],
                [],
                now,
            )
    values = {"entity_type": entity_type, "next_value": next_value}
    if counter is None:
        c.execute(sa.insert(id_counters).values(values))
    else:
        c.execute(
            sa.update(id_counters)
            .where(id_counters.c.entity_type == entity_type)
            .values(next_value=next_value)
        )


def _write_version(c, entity_type, gid, status, redirect_to, attributes, provenance, members, now):
    g, v = golden_records, golden_record_versions
    row = c.execute(sa.select(g).where(g.c.golden_id == gid)).mappings().first()
    version = row["version"] + 1 if row else 1
    values = dict(
        status=status,
        redirect_to=redirect_to,
        version=version,
        attributes=attributes,
        provenance=provenance,
        search_name=fold_name(str(attributes.get("name") or "")) or None,
        updated_at=now,
        retired_at=now if status == "retired" else None,
    )
    if row:
        c.execute(sa.update(g).where(g.c.golden_id == gid).values(values))
        c.execute(
            sa.update(v).where(v.c.golden_id == gid, v.c.valid_to.is_(None)).values(valid_to=now)
        )
    else:
        c.execute(
            sa.insert(g).values(golden_id=gid, entity_type=entity_type, created_at=now, **values)
        )
    change = "created" if not row else ("merged" if status == "retired" else "updated")
    c.execute(
        sa.insert(v).values(
            golden_id=gid,
            version=version,
            status=status,
            redirect_to=redirect_to,
            attributes=attributes,
            provenance=provenance,
            members=[{"system": s, "source_id": i} for s, i in members],
            change=change,
            valid_from=now,
        )
    )
    c.execute(
        sa.insert(outbox).values(
            event_type=f"GoldenRecord{change.capitalize()}",
            entity_type=entity_type,
            aggregate_id=gid,
            payload={"golden_id": gid, "version": version, "status": status},
            actor="test",
            correlation_id="fixture",
            occurred_at=now,
        )
    )
