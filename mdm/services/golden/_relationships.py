"""Relationships between golden records, resolved from the source records' references.

A project's `customer_ref`, a customer's `parent_ref` or `legal_entity_ref` names a record
of its own system; through the xrefs it becomes a link between golden records. References
to another system's record of the same type (`crm_ref`) are identity evidence for matching,
not relationships. Parent cycles are detected and reported, never followed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mdm.config import HubConfig
from mdm.store import UnitOfWork, utcnow


@dataclass
class RelationshipReport:
    current: int = 0
    added: int = 0
    removed: int = 0
    unresolved: int = 0
    cycles: list[list[str]] = field(default_factory=list)


def rebuild_relationships(
    uow: UnitOfWork,
    config: HubConfig,
    now: datetime | None = None,
    known: Mapping[str, Mapping[tuple[str, str], str]] | None = None,
) -> RelationshipReport:
    """Bring the relationship table in line with the current references, in the open UoW.

    `known` gives the memberships of types just rebuilt (as the builder reports them), which
    are then not read back."""
    now = now or utcnow()
    report = RelationshipReport()
    known = known or {}
    memberships = {
        t: known[t] if t in known else uow.golden.memberships(t) for t in config.entity_types
    }
    wanted: dict[tuple[str, str, str], list[list[str]]] = defaultdict(list)
    for entity_type, entity in config.entity_types.items():
        refs = {
            name: spec
            for name, spec in entity.attributes.items()
            if spec.type == "reference" and not (spec.system and spec.entity == entity_type)
        }
        if not refs:
            continue
        names = sorted(refs)
        held, targets = memberships[entity_type], {n: memberships[refs[n].entity] for n in names}
        for batch in uow.source_records.iter_references(entity_type, names):
            for system, source_id, *values in batch:
                origin = held.get((system, source_id))
                if origin is None:
                    continue
                for name, value in zip(names, values, strict=True):
                    if not value:
                        continue
                    spec = refs[name]
                    target = targets[name].get((spec.system or system, str(value)))
                    if target is None:
                        report.unresolved += 1
                    elif target != origin:
                        wanted[(origin, name.removesuffix("_ref"), target)].append(
                            [system, source_id]
                        )
    existing = uow.golden.open_relationships()
    gone = [row_id for key, row_id in existing.items() if key not in wanted]
    new = [
        {
            "from_golden_id": f,
            "relation": r,
            "to_golden_id": t,
            "evidence": sorted(ev),
            "valid_from": now,
            "valid_to": None,
        }
        for (f, r, t), ev in sorted(wanted.items())
        if (f, r, t) not in existing
    ]
    uow.golden.end_relationships(gone, now)
    uow.golden.add_relationships(new)
    report.current, report.added, report.removed = len(wanted), len(new), len(gone)
    report.cycles = find_cycles([(f, t) for f, r, t in wanted if r == "parent"])
    return report


def find_cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Each cycle of a directed graph once (as the list of its nodes), iteratively."""
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        graph[a].append(b)
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    cycles: list[list[str]] = []
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [], [(start, iter(sorted(graph[start])))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                cycles.append(path[path.index(child) :])
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return cycles
