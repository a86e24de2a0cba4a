"""Constrained clustering: auto-link edges and must-links, never joining a cannot-link pair.

A Kruskal-style union-find: must-links first, then edges at or above the auto-link
threshold by descending match weight (ties broken on ids). A union that would put two
records with a cannot-link — or two different values of an exclusive key such as two
valid VAT numbers of one country — into one cluster is refused, so chains cannot sneak a
forbidden pair together; the component is in effect cut at its weakest edges. The order
is fully determined by the data, so shuffled input gives identical clusters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

REVIEW_SCHEMA = pa.schema([("unique_id_l", pa.string()), ("unique_id_r", pa.string()),
                           ("match_probability", pa.float64()), ("match_weight", pa.float64()),
                           ("reason", pa.string())])


@dataclass(frozen=True)
class ClusterResult:
    """Cluster key (smallest member id) per record, pairs for review, refused must-links."""

    assignments: dict[str, str]
    review_pairs: pa.Table
    refused_must_links: tuple[tuple[str, str, str], ...] = ()

    def as_table(self) -> pa.Table:
        """Assignments as a table (unique_id, cluster_id), sorted by unique_id."""
        ids = sorted(self.assignments)
        return pa.table({"unique_id": ids, "cluster_id": [self.assignments[i] for i in ids]})


@dataclass
class _Forest:
    """Union-find over record indices with per-root constraint bookkeeping."""

    parent: list[int]
    size: list[int]
    keys: dict[int, dict[str, str]] = field(default_factory=dict)  # root -> namespace -> value
    forbidden: dict[int, set[int]] = field(default_factory=dict)  # root -> cannot-link nodes

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflict(self, a: int, b: int) -> str | None:
        """Why roots a and b may not merge (None if they may)."""
        ka, kb = self.keys.get(a), self.keys.get(b)
        if ka and kb:
            small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
            for ns, value in small.items():
                if large.get(ns, value) != value:
                    return f"different {ns}"
        fa, fb = self.forbidden.get(a), self.forbidden.get(b)
        if fa and fb:  # cannot-links are stored on both ends: check the smaller side
            nodes, other = (fa, b) if len(fa) <= len(fb) else (fb, a)
            if any(self.find(n) == other for n in nodes):
                return "cannot-link"
        return None

    def union(self, a: int, b: int) -> None:
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        if b in self.keys:
            self.keys.setdefault(a, {}).update(self.keys.pop(b))
        if b in self.forbidden:
            self.forbidden.setdefault(a, set()).update(self.forbidden.pop(b))


def _pairs_table(pairs: pa.Table | Iterable[Mapping[str, Any]] | None) -> pa.Table:
    if pairs is None:
        return REVIEW_SCHEMA.empty_table().drop_columns(["reason"])
    table = pairs if isinstance(pairs, pa.Table) else pa.Table.from_pylist(list(pairs))
    if table.num_rows == 0:
        return REVIEW_SCHEMA.empty_table().drop_columns(["reason"])
    if "match_weight" not in table.column_names:
        p = pc.max_element_wise(pc.min_element_wise(table["match_probability"], 1 - 1e-15), 1e-15)
        table = table.append_column("match_weight", pc.log2(pc.divide(p, pc.subtract(1, p))))
    return table.select(["unique_id_l", "unique_id_r", "match_probability", "match_weight"])


def _index(ids: pa.Array, values: pa.ChunkedArray | pa.Array) -> list[int]:
    found = pc.index_in(values, value_set=ids)
    if found.null_count:
        raise ValueError("pairs or links mention ids that are not in `ids`")
    return found.to_pylist()


def _seed_constraints(forest: _Forest, position: dict[str, int],
                      cannot_links: Iterable[Sequence[str]],
                      exclusive_keys: Mapping[str, Iterable[str]] | None) -> None:
    for link in cannot_links:
        a, b = position.get(link[0]), position.get(link[1])
        if a is None or b is None or a == b:
            continue
        forest.forbidden.setdefault(a, set()).add(b)
        forest.forbidden.setdefault(b, set()).add(a)
    for uid, keys in (exclusive_keys or {}).items():
        i = position.get(uid)
        if i is None:
            continue
        for key in keys:
            ns, _, value = key.partition("=")
            forest.keys.setdefault(i, {})[ns] = value


def cluster_records(
    ids: Iterable[str],
    pairs: pa.Table | Iterable[Mapping[str, Any]] | None,
    must_links: Iterable[Sequence[str]] = (),
    cannot_links: Iterable[Sequence[str]] = (),
    auto_link_threshold: float = 0.95,
    *,
    review_threshold: float | None = None,
    exclusive_keys: Mapping[str, Iterable[str]] | None = None,
) -> ClusterResult:
    """Cluster records; see the module docstring for the rules.

    `pairs` has unique_id_l, unique_id_r, match_probability (match_weight optional).
    Links are (id_a, id_b[, reason]) sequences. `exclusive_keys` maps an id to
    "namespace=value" strings; two different values of one namespace never share a
    cluster. Review pairs: probability in [review_threshold, auto_link_threshold) across
    clusters, plus auto-link pairs refused by a constraint.
    """
    id_array = pa.array(sorted(set(ids)), type=pa.string())
    names: list[str] = id_array.to_pylist()
    position = {uid: i for i, uid in enumerate(names)}
    forest = _Forest(list(range(len(names))), [1] * len(names))
    _seed_constraints(forest, position, cannot_links, exclusive_keys)
    refused = _apply_must_links(forest, position, must_links)
    table = _pairs_table(pairs)
    strong = table.filter(pc.greater_equal(table["match_probability"], auto_link_threshold))
    strong = strong.sort_by([("match_weight", "descending"), ("unique_id_l", "ascending"),
                             ("unique_id_r", "ascending")])
    blocked = _apply_edges(forest, _index(id_array, strong["unique_id_l"]),
                           _index(id_array, strong["unique_id_r"]))
    root_key: dict[int, str] = {}
    for i, uid in enumerate(names):  # names are sorted: first seen is the smallest
        root_key.setdefault(forest.find(i), uid)
    assignments = {uid: root_key[forest.find(i)] for i, uid in enumerate(names)}
    review = _review_pairs(table, strong.take(pa.array(blocked, pa.int64())), assignments,
                           auto_link_threshold,
                           auto_link_threshold if review_threshold is None else review_threshold)
    return ClusterResult(assignments, review, tuple(refused))


def _apply_must_links(forest: _Forest, position: dict[str, int],
                      must_links: Iterable[Sequence[str]]) -> list[tuple[str, str, str]]:
    refused: list[tuple[str, str, str]] = []
    for link in sorted((min(lk[0], lk[1]), max(lk[0], lk[1])) for lk in must_links):
        a, b = position.get(link[0]), position.get(link[1])
        if a is None or b is None:
            continue
        ra, rb = forest.find(a), forest.find(b)
        if ra == rb:
            continue
        why = forest.conflict(ra, rb)
        if why:
            refused.append((link[0], link[1], why))
        else:
            forest.union(ra, rb)
    return refused


def _apply_edges(forest: _Forest, left: list[int], right: list[int]) -> list[int]:
    """Union along edges in order; return the positions of edges refused by a constraint."""
    blocked = []
    find, has_constraints = forest.find, bool(forest.keys or forest.forbidden)
    for k, (a, b) in enumerate(zip(left, right, strict=True)):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if has_constraints and forest.conflict(ra, rb):
            blocked.append(k)
            continue
        forest.union(ra, rb)
    return blocked


def _review_pairs(table: pa.Table, blocked: pa.Table, assignments: dict[str, str],
                  auto: float, review: float) -> pa.Table:
    prob = table["match_probability"]
    band = table.filter(pc.and_(pc.greater_equal(prob, review), pc.less(prob, auto)))
    left = [assignments[u] for u in band["unique_id_l"].to_pylist()]
    right = [assignments[u] for u in band["unique_id_r"].to_pylist()]
    band = band.filter(pa.array([a != b for a, b in zip(left, right, strict=True)], pa.bool_()))
    parts = [band.append_column("reason", pa.array(["review_band"] * band.num_rows, pa.string())),
             blocked.append_column("reason", pa.array(["refused_by_constraint"] * blocked.num_rows,
                                                      pa.string()))]
    out = pa.concat_tables([p.cast(REVIEW_SCHEMA) for p in parts])
    return out.sort_by([("match_weight", "descending"), ("unique_id_l", "ascending"),
                        ("unique_id_r", "ascending")])
