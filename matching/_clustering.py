"""Constrained clustering: auto-link edges and must-links, never joining a cannot-link pair.

A Kruskal-style union-find: must-links first, then edges at or above the auto-link
threshold by descending match weight (ties broken on ids). A union that would put two
records with a cannot-link — or two different values of an exclusive key such as two
valid VAT numbers of one country — into one cluster is refused, so chains cannot sneak a
forbidden pair together; the component is in effect cut at its weakest edges.

Two refinements keep transitive closure from over-merging:

* *vetoes* (soft cannot-links): pairs the model scored as clearly different. They stop
  auto-link chains (A~x~B where A and B disagree) but not must-links, which rest on
  identifiers or a steward's word.
* *ambiguous records*: a record whose auto-link edges reach two clusters that may not
  merge, with weights too close to choose between (less apart than the auto-link
  threshold's own log-odds), is attached to neither; its pairs go to review.

And one that finds what pairwise scores miss. A sparse record (a PSA client with a name
and a city) rarely scores above the auto-link threshold on its own, yet often has exactly
one plausible counterpart. A record still alone after clustering is *attached* to a
cluster when its best pair there reaches `attach_threshold`, nothing in any of its pairs
with that cluster disagrees (only missing data kept the score down), no other cluster
comes within the same margin of it, and no constraint or veto forbids the union. Only
pairs across systems count: the argument is that most records of one system have a
counterpart in another, while a system's own duplicates are rare.

The order is fully determined by the data, so shuffled input gives identical clusters.
"""

from __future__ import annotations

import math
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
    ambiguous: tuple[str, ...] = ()  # records left unattached between two clusters
    attached: tuple[tuple[str, str, float], ...] = ()  # (record, its best match, probability)

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
    vetoed: dict[int, set[int]] = field(default_factory=dict)  # root -> vetoed nodes (soft)

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflict(self, a: int, b: int, *, soft: bool = False) -> str | None:
        """Why roots a and b may not merge (None if they may); `soft` checks vetoes too."""
        ka, kb = self.keys.get(a), self.keys.get(b)
        if ka and kb:
            small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
            for ns, value in small.items():
                if large.get(ns, value) != value:
                    return f"different {ns}"
        if self._linked(self.forbidden, a, b):
            return "cannot-link"
        if soft and self._linked(self.vetoed, a, b):
            return "veto"
        return None

    def _linked(self, links: dict[int, set[int]], a: int, b: int) -> bool:
        la, lb = links.get(a), links.get(b)
        if not (la and lb):  # links are stored on both ends: check the smaller side
            return False
        nodes, other = (la, b) if len(la) <= len(lb) else (lb, a)
        return any(self.find(n) == other for n in nodes)

    def union(self, a: int, b: int) -> None:
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        if b in self.keys:
            self.keys.setdefault(a, {}).update(self.keys.pop(b))
        for links in (self.forbidden, self.vetoed):
            if b in links:
                links.setdefault(a, set()).update(links.pop(b))


_PAIR_COLUMNS = [*REVIEW_SCHEMA.names[:4], "strongest_against"]


def _pairs_table(pairs: pa.Table | Iterable[Mapping[str, Any]] | None) -> pa.Table:
    empty = pa.schema([*REVIEW_SCHEMA][:4] + [("strongest_against", pa.float64())]).empty_table()
    if pairs is None:
        return empty
    table = pairs if isinstance(pairs, pa.Table) else pa.Table.from_pylist(list(pairs))
    if table.num_rows == 0:
        return empty
    if "match_weight" not in table.column_names:
        p = pc.max_element_wise(pc.min_element_wise(table["match_probability"], 1 - 1e-15), 1e-15)
        table = table.append_column("match_weight", pc.log2(pc.divide(p, pc.subtract(1, p))))
    if "strongest_against" not in table.column_names:  # no explanation: nothing disagrees
        table = table.append_column("strongest_against", pa.array([0.0] * table.num_rows))
    return table.select(_PAIR_COLUMNS)


def _index(ids: pa.Array, values: pa.ChunkedArray | pa.Array) -> list[int]:
    found = pc.index_in(values, value_set=ids)
    if found.null_count:
        raise ValueError("pairs or links mention ids that are not in `ids`")
    return found.to_pylist()


def _link_sets(position: dict[str, int], links: Iterable[Sequence[str]]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for link in links:
        a, b = position.get(link[0]), position.get(link[1])
        if a is None or b is None or a == b:
            continue
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def _exclusive(position: dict[str, int],
               exclusive_keys: Mapping[str, Iterable[str]] | None) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for uid, keys in (exclusive_keys or {}).items():
        i = position.get(uid)
        if i is None:
            continue
        for key in keys:
            ns, _, value = key.partition("=")
            out.setdefault(i, {})[ns] = value
    return out


@dataclass(frozen=True)
class _Edges:
    """Auto-link candidate edges as index lists, strongest first."""

    table: pa.Table
    left: list[int]
    right: list[int]
    weight: list[float]


def _edges(id_array: pa.Array, table: pa.Table, threshold: float) -> _Edges:
    strong = table.filter(pc.greater_equal(table["match_probability"], threshold))
    strong = strong.sort_by([("match_weight", "descending"), ("unique_id_l", "ascending"),
                             ("unique_id_r", "ascending")])
    return _Edges(strong, _index(id_array, strong["unique_id_l"]),
                  _index(id_array, strong["unique_id_r"]), strong["match_weight"].to_pylist())


def cluster_records(
    ids: Iterable[str],
    pairs: pa.Table | Iterable[Mapping[str, Any]] | None,
    must_links: Iterable[Sequence[str]] = (),
    cannot_links: Iterable[Sequence[str]] = (),
    auto_link_threshold: float = 0.95,
    *,
    review_threshold: float | None = None,
    exclusive_keys: Mapping[str, Iterable[str]] | None = None,
    vetoes: Iterable[Sequence[str]] = (),
    attach_threshold: float | None = None,
    systems: Mapping[str, str] | None = None,
) -> ClusterResult:
    """Cluster records; see the module docstring for the rules.

    `pairs` has unique_id_l, unique_id_r, match_probability (match_weight optional).
    Links are (id_a, id_b[, reason]) sequences. `exclusive_keys` maps an id to
    "namespace=value" strings; two different values of one namespace never share a
    cluster. `vetoes` are pairs that auto-link chains may not join (must-links may).
    `attach_threshold` (None: off) enables the attachment of lone records, through pairs
    whose records' `systems` differ (default: the "system|" prefix of the ids). Review pairs:
    probability in [review_threshold, auto_link_threshold) across clusters, auto-link pairs
    refused by a constraint, and the pairs of ambiguous records.
    """
    id_array = pa.array(sorted(set(ids)), type=pa.string())
    names: list[str] = id_array.to_pylist()
    position = {uid: i for i, uid in enumerate(names)}
    must = sorted({(min(lk[0], lk[1]), max(lk[0], lk[1])) for lk in must_links})
    cannot, veto = _link_sets(position, cannot_links), _link_sets(position, vetoes)
    keys = _exclusive(position, exclusive_keys)
    table = _pairs_table(pairs)
    edges = _edges(id_array, table, auto_link_threshold)
    margin = max(1.0, _log_odds(auto_link_threshold))
    excluded: set[int] = set()
    for _ in range(_MAX_ROUNDS):
        forest = _Forest(list(range(len(names))), [1] * len(names), dict(keys.items()),
                         {k: set(v) for k, v in cannot.items()},
                         {k: set(v) for k, v in veto.items()})
        refused = _apply_must_links(forest, position, must)
        accepted, blocked = _apply_edges(forest, edges, excluded)
        fresh = _ambiguous(forest, edges, accepted, blocked, margin) - excluded
        if not fresh:
            break
        excluded |= fresh
    attached = ([] if attach_threshold is None else _attach(
        forest, id_array, table, _across_systems(table, systems), attach_threshold, margin))
    assignments = dict(zip(names, _cluster_keys(forest, id_array).to_pylist(), strict=True))
    unattached = [k for k in range(len(edges.left))
                  if edges.left[k] in excluded or edges.right[k] in excluded]
    review = _review_pairs(table, assignments, auto_link_threshold,
                           auto_link_threshold if review_threshold is None else review_threshold,
                           refused=edges.table.take(pa.array(blocked, pa.int64())),
                           ambiguous=edges.table.take(pa.array(unattached, pa.int64())))
    return ClusterResult(assignments, review, tuple(refused),
                         tuple(sorted(names[i] for i in excluded)),
                         tuple((names[a], names[b], p) for a, b, p in attached))


_MAX_ROUNDS = 4


def _cluster_keys(forest: _Forest, id_array: pa.Array) -> pa.Array:
    """Each record's cluster key (the smallest id of its cluster), vectorised: pointer
    jumping to the roots, then the first member per root (ids are sorted)."""
    parent = pa.array(forest.parent, pa.int64())
    while True:
        grand = parent.take(parent)
        if grand.equals(parent):
            break
        parent = grand
    first = (pa.table({"root": parent, "i": pa.array(range(len(parent)), pa.int64())})
             .group_by("root").aggregate([("i", "min")]))
    smallest = first["i_min"].take(pc.index_in(parent, value_set=first["root"]))
    return id_array.take(smallest)


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def _apply_must_links(forest: _Forest, position: dict[str, int],
                      must_links: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    refused: list[tuple[str, str, str]] = []
    for link in must_links:
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


def _apply_edges(forest: _Forest, edges: _Edges, excluded: set[int]) -> tuple[list[int], list[int]]:
    """Union along edges in order (skipping excluded records' edges); return the positions
    of the edges that joined two clusters and of those refused by a constraint."""
    accepted, blocked = [], []
    parent = forest.parent
    has_constraints = bool(forest.keys or forest.forbidden or forest.vetoed)
    for k, (a, b) in enumerate(zip(edges.left, edges.right, strict=True)):
        if excluded and (a in excluded or b in excluded):
            continue
        ra, rb = a, b  # find with path halving, inline: this loop runs once per edge
        while parent[ra] != ra:
            parent[ra] = parent[parent[ra]]
            ra = parent[ra]
        while parent[rb] != rb:
            parent[rb] = parent[parent[rb]]
            rb = parent[rb]
        if ra == rb:
            continue
        if has_constraints and forest.conflict(ra, rb, soft=True):
            blocked.append(k)
            continue
        forest.union(ra, rb)
        accepted.append(k)
    return accepted, blocked


def _ambiguous(forest: _Forest, edges: _Edges, accepted: list[int], blocked: list[int],
               margin: float) -> set[int]:
    """Records that an accepted edge pulled into one cluster while a refused edge of nearly
    the same weight pulled them towards another: the evidence cannot tell the two apart."""
    if not blocked:
        return set()
    best: dict[int, float] = {}  # record -> weight of its strongest accepted edge
    for k in accepted:
        w = edges.weight[k]
        for x in (edges.left[k], edges.right[k]):
            if w > best.get(x, -math.inf):
                best[x] = w
    out: set[int] = set()
    for k in blocked:
        w = edges.weight[k]
        for x in (edges.left[k], edges.right[k]):
            if x in best and best[x] - w < margin:
                out.add(x)
    return out


def _across_systems(table: pa.Table, systems: Mapping[str, str] | None) -> list[bool]:
    def system(uid: str) -> str:
        return systems[uid] if systems is not None else uid.partition("|")[0]
    return [system(a) != system(b) for a, b in zip(table["unique_id_l"].to_pylist(),
                                                   table["unique_id_r"].to_pylist(), strict=True)]


@dataclass
class _Option:
    """One lone record's view of one cluster: its best pair there, and any disagreement."""

    weight: float = -math.inf
    probability: float = 0.0
    partner: int = -1
    linkable: bool = False  # the best pair crosses systems
    contradicted: bool = False


def _attach(forest: _Forest, id_array: pa.Array, table: pa.Table, across: list[bool],
            threshold: float, margin: float) -> list[tuple[int, int, float]]:
    """Attach lone records to their sole plausible cluster (see the module docstring).

    Candidates are weighed per target cluster (its best pair), against every pair the
    record has, so a competitor below the threshold, or a disagreement with any member,
    still stops it. Lone records are taken strongest candidate first; returns
    (record, partner, p).
    """
    parent, size = forest.parent, forest.size
    lone = {i for i in range(len(parent)) if parent[i] == i and size[i] == 1}
    left, right = _index(id_array, table["unique_id_l"]), _index(id_array, table["unique_id_r"])
    options: dict[int, dict[int, _Option]] = {}
    for a, b, p, w, against, cross in zip(left, right, table["match_probability"].to_pylist(),
                                          table["match_weight"].to_pylist(),
                                          table["strongest_against"].to_pylist(), across,
                                          strict=True):
        for x, y in ((a, b), (b, a)):
            if x not in lone:
                continue
            option = options.setdefault(x, {}).setdefault(forest.find(y), _Option())
            option.contradicted |= against < CONTRADICTION
            if w > option.weight:
                option.weight, option.probability, option.partner = w, p, y
                option.linkable = cross
    clear: dict[int, _Option] = {}
    for x, by_root in options.items():
        best_root = min(by_root, key=lambda r: (-by_root[r].weight, r))
        best = by_root[best_root]
        runner_up = max((o.weight for r, o in by_root.items() if r != best_root),
                        default=-math.inf)
        if (best.probability >= threshold and best.linkable and not best.contradicted
                and best.weight - runner_up >= margin):
            clear[x] = best
    # Two lone records pair up only if each is the other's clear choice: otherwise one
    # record with two suitors would join them (two CRM accounts through one PSA client).
    choices = [(-o.weight, x, o.partner, o.probability) for x, o in clear.items()
               if o.partner not in lone or getattr(clear.get(o.partner), "partner", None) == x]
    attached = []
    for _, x, partner, p in sorted(choices):
        rx, rp = forest.find(x), forest.find(partner)
        if forest.size[rx] == 1 and rx != rp and not forest.conflict(rx, rp, soft=True):
            forest.union(rx, rp)
            attached.append((x, partner, p))
    return attached


#: A comparison weighing at least this much against (log2: 2:1 odds) is a disagreement,
#: not merely missing data.
CONTRADICTION = -1.0


def _review_pairs(table: pa.Table, assignments: dict[str, str], auto: float, review: float, *,
                  refused: pa.Table, ambiguous: pa.Table) -> pa.Table:
    prob = table["match_probability"]
    band = table.filter(pc.and_(pc.greater_equal(prob, review), pc.less(prob, auto)))
    left = [assignments[u] for u in band["unique_id_l"].to_pylist()]
    right = [assignments[u] for u in band["unique_id_r"].to_pylist()]
    band = band.filter(pa.array([a != b for a, b in zip(left, right, strict=True)], pa.bool_()))
    parts = [(band, "review_band"), (refused, "refused_by_constraint"), (ambiguous, "ambiguous")]
    out = pa.concat_tables([
        part.select(REVIEW_SCHEMA.names[:4])
        .append_column("reason", pa.array([reason] * part.num_rows, pa.string()))
        .cast(REVIEW_SCHEMA) for part, reason in parts])
    out = out.sort_by([("match_weight", "descending"), ("unique_id_l", "ascending"),
                       ("unique_id_r", "ascending"), ("reason", "ascending")])
    return _first_per_pair(out)


def _first_per_pair(review: pa.Table) -> pa.Table:
    """One row per pair (a refused edge of an ambiguous record is listed once)."""
    seen: set[tuple[str, str]] = set()
    keep = []
    for a, b in zip(review["unique_id_l"].to_pylist(),
                    review["unique_id_r"].to_pylist(), strict=True):
        keep.append((a, b) not in seen)
        seen.add((a, b))
    return review.filter(pa.array(keep, pa.bool_()))
