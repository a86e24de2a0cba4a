"""Stable golden IDs across match runs.

Each new cluster keeps the ID of the previous golden record it shares the most source
records with; a previous ID goes to one cluster only (the one holding most of its
members), so on a merge the loser's ID is retired and redirects to the survivor, and on a
split the majority keeps the ID and the rest get new ones. Ties break on the IDs and the
smallest member key, so the same input always gives the same IDs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MemberKey = tuple[str, str]  # (system, source_id)


@dataclass
class IdPlan:
    """Which previous ID each cluster keeps, and what happens to the IDs left over."""

    kept: dict[str, str] = field(default_factory=dict)  # cluster key -> previous golden id
    new_clusters: list[str] = field(default_factory=list)  # cluster keys needing a new id
    retired: dict[str, str | None] = field(default_factory=dict)  # old id -> successor cluster
    split_from: dict[str, str] = field(default_factory=dict)  # new cluster -> old id it left
    sizes: dict[str, int] = field(default_factory=dict)  # previous id -> members it held
    exact: set[str] = field(default_factory=set)  # clusters holding just what their id held


def plan_ids(
    clusters: Mapping[str, Sequence[MemberKey]], previous: Mapping[MemberKey, str]
) -> IdPlan:
    """Decide ID inheritance from the clusters and the previous memberships."""
    overlap: list[tuple[int, str, MemberKey, str]] = []
    old_sizes: Counter[str] = Counter(previous.values())
    plan = IdPlan(sizes=dict(old_sizes))
    taken: set[str] = set()
    best_home: dict[str, str] = {}  # old id -> cluster holding most of its members
    for key, members in clusters.items():
        held = previous.get(members[0])
        if (
            held is not None
            and old_sizes[held] == len(members)
            and all(previous.get(m) == held for m in members)
        ):
            # Exactly the members of one previous record: no other cluster can claim its
            # ID, nor can this cluster have any other (the common case of a re-run).
            plan.kept[key] = held
            plan.exact.add(key)
            taken.add(held)
            best_home[held] = key
            continue
        held_before = [previous[m] for m in members if m in previous]
        if not held_before:  # all new records: a new ID
            continue
        first = min(members)
        for old_id, count in Counter(held_before).items():
            overlap.append((count, old_id, first, key))
    overlap.sort(key=lambda t: (-t[0], t[1], t[2]))
    for _count, old_id, _first, key in overlap:
        best_home.setdefault(old_id, key)
        if key in plan.kept or old_id in taken:
            continue
        plan.kept[key] = old_id
        taken.add(old_id)
    plan.new_clusters = sorted(
        (k for k in clusters if k not in plan.kept), key=lambda k: min(clusters[k])
    )
    for key in plan.new_clusters if previous else ():
        sources = Counter(previous[m] for m in clusters[key] if m in previous)
        if sources:
            plan.split_from[key] = min(sources, key=lambda i: (-sources[i], i))
    for old_id in sorted(old_sizes.keys() - taken):
        plan.retired[old_id] = best_home.get(old_id)
    return plan


def group_clusters(
    assignments: Mapping[MemberKey, str], members: Sequence[MemberKey]
) -> dict[str, list[MemberKey]]:
    """Cluster key -> sorted members; records without an assignment are singletons."""
    clusters: dict[str, list[MemberKey]] = defaultdict(list)
    get = assignments.get
    for member in members:
        key = get(member)  # the singleton's key only when needed: not one per member
        clusters[f"single:{member[0]}|{member[1]}" if key is None else key].append(member)
    for key in clusters:
        clusters[key].sort()
    return dict(clusters)
