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

And one finds what pairwise scores miss: a record still alone is *attached* to its only
plausible cluster (see `_attachment`).

Follow-up rounds (after an ambiguous record is set aside, or when the caller adds vetoes
with `previous=`) re-solve only the components concerned: records joined by auto-link
edges, must-links or attachments; a lone record outside keeps its earlier decision. The order is
fully determined by the data, so shuffled input gives identical clusters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from matching._attachment import CONTRADICTION, attach
from matching._forest import Forest, exclusive_values, link_sets

__all__ = ["CONTRADICTION", "REVIEW_SCHEMA", "ClusterResult", "cluster_records"]

REVIEW_SCHEMA = pa.schema(
    [
        ("unique_id_l", pa.string()),
        ("unique_id_r", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("reason", pa.string()),
    ]
)


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


def _with_positions(ids: pa.Array, table: pa.Table) -> pa.Table:
    """`table` with the positions of its ids in `ids` (li, ri), from one hash look-up."""
    n = table.num_rows
    both = pa.concat_arrays(
        [table["unique_id_l"].combine_chunks(), table["unique_id_r"].combine_chunks()]
    )
    found = pc.index_in(both, value_set=ids)
    if found.null_count:
        raise ValueError("pairs or links mention ids that are not in `ids`")
    return table.append_column("li", found.slice(0, n)).append_column("ri", found.slice(n))


@dataclass(frozen=True)
class _Edges:
    """Auto-link candidate edges as index lists, strongest first."""

    table: pa.Table
    left: list[int]
    right: list[int]
    weight: list[float]


def _edges(table: pa.Table, threshold: float) -> _Edges:
    """`table` (with positions) cut at `threshold`, strongest first."""
    strong = table.filter(pc.greater_equal(table["match_probability"], threshold))
    strong = strong.sort_by(
        [("match_weight", "descending"), ("unique_id_l", "ascending"), ("unique_id_r", "ascending")]
    )
    return _Edges(
        strong,
        strong["li"].to_pylist(),
        strong["ri"].to_pylist(),
        strong["match_weight"].to_pylist(),
    )


@dataclass
class _Problem:
    """One clustering problem: records, scored pairs, links and thresholds, by index."""

    names: list[str]  # sorted ids; index = position
    table: pa.Table  # scored pairs
    must: list[tuple[str, str]]
    cannot: list[tuple[str, str]]
    vetoes: list[tuple[str, str]]
    keys: Mapping[str, Collection[str]]
    systems: SystemColumn | None
    auto: float
    review: float
    attach: float | None

    @cached_property
    def id_array(self) -> pa.Array:
        return pa.array(self.names, type=pa.string())

    def index_of(self, uids: Sequence[str]) -> list[int | None]:
        """Positions of ids (None for unknown ones), looked up in bulk."""
        if not uids:
            return []
        return pc.index_in(pa.array(uids, pa.string()), value_set=self.id_array).to_pylist()

    @cached_property
    def indexed(self) -> pa.Table:
        """The scored pairs with their records' positions (li, ri)."""
        return _with_positions(self.id_array, self.table)

    @cached_property
    def edges(self) -> _Edges:
        return _edges(self.indexed, self.auto)

    @cached_property
    def system_array(self) -> pa.Array:
        """Each record's system, by position."""
        if self.systems is None:
            return pc.extract_regex(self.id_array, r"^(?P<s>[^|]*)").field("s")
        return self.systems.of(self.id_array)

    @property
    def margin(self) -> float:
        return max(1.0, _log_odds(self.auto))

    def forest(self) -> Forest:
        n = len(self.names)
        return Forest(
            list(range(n)),
            [1] * n,
            exclusive_values(self.index_of, self.keys),
            link_sets(self.index_of, self.cannot),
            link_sets(self.index_of, self.vetoes),
        )

    def subset(self, region: set[str]) -> _Problem:
        """The same problem restricted to `region` (closed under pairs and must-links)."""
        inside = pa.array(sorted(region), pa.string())
        table = self.table.filter(
            pc.and_(
                pc.is_in(self.table["unique_id_l"], value_set=inside),
                pc.is_in(self.table["unique_id_r"], value_set=inside),
            )
        )

        def within(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
            return [(a, b) for a, b in links if a in region and b in region]

        return _Problem(
            inside.to_pylist(),
            table,
            within(self.must),
            within(self.cannot),
            within(self.vetoes),
            {k: v for k, v in self.keys.items() if k in region},
            None if self.systems is None else self.systems.within(region),
            self.auto,
            self.review,
            self.attach,
        )


def _sorted_unique(ids: Iterable[str] | pa.Array | pa.ChunkedArray) -> list[str]:
    """Distinct ids in code-point order (UTF-8 byte order is the same), sorted by Arrow
    (an Arrow column of ids is taken as it is)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    array = ids.cast(pa.string()) if isinstance(ids, pa.Array) else pa.array(list(ids), pa.string())
    unique = pc.unique(array)
    return unique.take(pc.sort_indices(unique)).to_pylist()


class SystemColumn(Mapping[str, str]):
    """Record id -> system, kept as the two Arrow columns of a table (a million-entry dict
    costs more to build than clustering takes to use it); a dict is made only if asked
    for by id. Clustering holds any mapping of systems as one of these."""

    @classmethod
    def of_mapping(cls, systems: Mapping[str, str]) -> SystemColumn:
        if isinstance(systems, SystemColumn):
            return systems
        return cls(pa.array(list(systems), pa.string()), pa.array(list(systems.values())))

    def __init__(self, ids: pa.ChunkedArray | pa.Array, systems: pa.ChunkedArray | pa.Array):
        self.ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
        values = systems.combine_chunks() if isinstance(systems, pa.ChunkedArray) else systems
        self.systems = values.cast(pa.string())
        self._dict: dict[str, str] | None = None

    def _mapping(self) -> dict[str, str]:
        if self._dict is None:
            self._dict = dict(zip(self.ids.to_pylist(), self.systems.to_pylist(), strict=True))
        return self._dict

    def __getitem__(self, uid: str) -> str:
        return self._mapping()[uid]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids.to_pylist())

    def __len__(self) -> int:
        return len(self.ids)

    def of(self, ids: pa.Array) -> pa.Array:
        """The system of each of `ids`, in bulk (null where unknown)."""
        return self.systems.take(pc.index_in(ids, value_set=self.ids))

    def within(self, region: set[str]) -> SystemColumn:
        """The systems of the ids in `region` only."""
        inside = pc.is_in(self.ids, value_set=pa.array(sorted(region), pa.string()))
        return SystemColumn(self.ids.filter(inside), self.systems.filter(inside))


def _pairs_of(links: Iterable[Sequence[str]]) -> list[tuple[str, str]]:
    return [(str(link[0]), str(link[1])) for link in links]


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
    previous: ClusterResult | None = None,
    changed: Iterable[str] = (),
) -> ClusterResult:
    """Cluster records; see the module docstring for the rules.

    `pairs` has unique_id_l, unique_id_r, match_probability (match_weight and
    strongest_against optional). Links are (id_a, id_b[, reason]) sequences.
    `exclusive_keys` maps an id to "namespace=value" strings; two different values of one
    namespace never share a cluster. `vetoes` are pairs that auto-link chains may not join
    (must-links may). `attach_threshold` (None: off) enables the attachment of lone
    records, through pairs whose records' `systems` differ (default: the "system|" prefix
    of the ids). With `previous` (a result for the same ids and pairs), only the weak
    components of the `changed` ids are solved again. Review pairs: probability in
    [review_threshold, auto_link_threshold) across clusters, auto-link pairs refused by a
    constraint, and the pairs of ambiguous records.
    """
    problem = _Problem(
        # A follow-up round solves a subset, which sorts its own ids.
        _sorted_unique(ids) if previous is None else [],
        _pairs_table(pairs),
        sorted({(min(lk[0], lk[1]), max(lk[0], lk[1])) for lk in must_links}),
        _pairs_of(cannot_links),
        _pairs_of(vetoes),
        dict(exclusive_keys or {}),
        None if systems is None else SystemColumn.of_mapping(systems),
        auto_link_threshold,
        auto_link_threshold if review_threshold is None else review_threshold,
        attach_threshold,
    )
    if previous is None:
        return _solve(problem)
    region = _region(previous, changed)
    return _merge(previous, _solve(problem.subset(region)), region) if region else previous


def _solve(problem: _Problem) -> ClusterResult:
    """Cluster; while records turn out ambiguous, set them aside and solve their
    components again."""
    result, fresh = _cluster_once(problem, set())
    excluded: set[str] = set()
    for _ in range(_MAX_ROUNDS - 1):
        if not fresh:
            break
        excluded |= fresh
        region = _region(result, fresh)
        sub = problem.subset(region)
        sub_result, fresh = _cluster_once(sub, excluded & region)
        result = _merge(result, sub_result, region)
        fresh -= excluded
    return result


def _cluster_once(problem: _Problem, excluded_ids: set[str]) -> tuple[ClusterResult, set[str]]:
    """One pass: must-links, edges, attachment; and the records newly found ambiguous."""
    forest = problem.forest()
    excluded = set(problem.index_of(sorted(excluded_ids)))
    edges = problem.edges
    refused = _apply_must_links(forest, problem.index_of, problem.must)
    accepted, blocked = _apply_edges(forest, edges, excluded)
    fresh = _ambiguous(forest, edges, accepted, blocked, problem.margin) - excluded
    table = problem.indexed
    attached = []
    if problem.attach is not None:
        near = _touching_lone(forest, table)
        attached = attach(
            forest,
            near["li"].to_pylist(),
            near["ri"].to_pylist(),
            near["match_probability"].to_pylist(),
            near["match_weight"].to_pylist(),
            near["strongest_against"].to_pylist(),
            _across_systems(problem, near),
            problem.attach,
            problem.margin,
        )
    names = problem.names
    cluster_keys = _cluster_keys(forest, problem.id_array)
    assignments = dict(zip(names, cluster_keys.to_pylist(), strict=True))
    unattached = [
        k for k in range(len(edges.left)) if edges.left[k] in excluded or edges.right[k] in excluded
    ]
    review = _review_pairs(
        table,
        cluster_keys,
        problem.auto,
        problem.review,
        refused=edges.table.take(pa.array(blocked, pa.int64())),
        ambiguous=edges.table.take(pa.array(unattached, pa.int64())),
    )
    result = ClusterResult(
        assignments,
        review,
        tuple(refused),
        tuple(sorted(names[i] for i in excluded)),
        tuple((names[a], names[b], p) for a, b, p in attached),
    )
    return result, {names[i] for i in fresh}


def _region(result: ClusterResult, seeds: Iterable[str]) -> set[str]:
    """The clusters of `seeds`, and those an auto-link edge or must-link joins to them
    that a constraint refused, transitively: what a new solution for them can change.
    (Accepted edges and attachments lie inside clusters.)"""
    assignments = result.assignments
    review = result.review_pairs
    joined = pc.is_in(review["reason"], value_set=pa.array(["refused_by_constraint", "ambiguous"]))
    links = list(
        zip(
            review.filter(joined)["unique_id_l"].to_pylist(),
            review.filter(joined)["unique_id_r"].to_pylist(),
            strict=True,
        )
    )
    links += [(a, b) for a, b, _ in result.refused_must_links]
    neighbours: dict[str, set[str]] = {}
    for a, b in links:
        ka, kb = assignments[a], assignments[b]
        neighbours.setdefault(ka, set()).add(kb)
        neighbours.setdefault(kb, set()).add(ka)
    todo = [assignments[s] for s in seeds if s in assignments]
    keys: set[str] = set()
    while todo:
        key = todo.pop()
        if key not in keys:
            keys.add(key)
            todo.extend(neighbours.get(key, ()))
    table = pa.table({"uid": list(assignments), "key": list(assignments.values())})
    inside = table.filter(pc.is_in(table["key"], value_set=pa.array(sorted(keys), pa.string())))
    return set(inside["uid"].to_pylist())


def _merge(result: ClusterResult, sub: ClusterResult, region: set[str]) -> ClusterResult:
    """`result` with the components of `region` replaced by their new solution."""
    inside = pa.array(sorted(region), pa.string())
    pairs = result.review_pairs
    keep = pc.invert(
        pc.and_(
            pc.is_in(pairs["unique_id_l"], value_set=inside),
            pc.is_in(pairs["unique_id_r"], value_set=inside),
        )
    )
    review = pa.concat_tables([result.review_pairs.filter(keep), sub.review_pairs])
    review = review.sort_by(
        [
            ("match_weight", "descending"),
            ("unique_id_l", "ascending"),
            ("unique_id_r", "ascending"),
            ("reason", "ascending"),
        ]
    )
    return ClusterResult(
        {**result.assignments, **sub.assignments},
        review,
        tuple(r for r in result.refused_must_links if r[0] not in region) + sub.refused_must_links,
        tuple(sorted({u for u in result.ambiguous if u not in region} | set(sub.ambiguous))),
        tuple(sorted((a for a in result.attached if a[0] not in region), key=lambda a: a[0]))
        + sub.attached,
    )


_MAX_ROUNDS = 4


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def _cluster_keys(forest: Forest, id_array: pa.Array) -> pa.Array:
    """Each record's cluster key (the smallest id of its cluster), vectorised: pointer
    jumping to the roots, then the first member per root (ids are sorted)."""
    parent = pa.array(forest.parent, pa.int64())
    while True:
        grand = parent.take(parent)
        if grand.equals(parent):
            break
        parent = grand
    first = (
        pa.table({"root": parent, "i": pa.array(range(len(parent)), pa.int64())})
        .group_by("root")
        .aggregate([("i", "min")])
    )
    smallest = first["i_min"].take(pc.index_in(parent, value_set=first["root"]))
    return id_array.take(smallest)


def _apply_must_links(
    forest: Forest,
    index_of: Callable[[Sequence[str]], list[int | None]],
    must_links: list[tuple[str, str]],
) -> list[tuple[str, str, str]]:
    refused: list[tuple[str, str, str]] = []
    ends = index_of([a for a, _ in must_links] + [b for _, b in must_links])
    for link, a, b in zip(
        must_links, ends[: len(must_links)], ends[len(must_links) :], strict=True
    ):
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


def _apply_edges(forest: Forest, edges: _Edges, excluded: set[int]) -> tuple[list[int], list[int]]:
    """Union along edges in order (skipping excluded records' edges); return the positions
    of the edges that joined two clusters and of those refused by a constraint."""
    accepted, blocked = [], []
    parent = forest.parent
    has_constraints = forest.has_constraints()
    keys, forbidden, vetoed = forest.keys, forest.forbidden, forest.vetoed
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
        if (
            has_constraints
            and (  # a conflict needs constraints on both sides: check cheaply
                (ra in keys and rb in keys)
                or (ra in forbidden and rb in forbidden)
                or (ra in vetoed and rb in vetoed)
            )
            and forest.conflict(ra, rb, soft=True)
        ):
            blocked.append(k)
            continue
        forest.union(ra, rb)
        accepted.append(k)
    return accepted, blocked


def _ambiguous(
    forest: Forest, edges: _Edges, accepted: list[int], blocked: list[int], margin: float
) -> set[int]:
    """Records that an accepted edge pulled into one cluster while a refused edge of nearly
    the same weight pulled them towards another: the evidence cannot tell the two apart."""
    if not blocked:
        return set()
    refused_weight: dict[int, float] = {}  # record -> weight of its strongest refused edge
    for k in blocked:
        for x in (edges.left[k], edges.right[k]):
            refused_weight[x] = max(refused_weight.get(x, -math.inf), edges.weight[k])
    best: dict[int, float] = {}  # those records -> weight of their strongest accepted edge
    for k in accepted:
        a, b = edges.left[k], edges.right[k]
        if a in refused_weight or b in refused_weight:
            w = edges.weight[k]
            for x in (a, b):
                if x in refused_weight and w > best.get(x, -math.inf):
                    best[x] = w
    return {x for x, w in refused_weight.items() if x in best and best[x] - w < margin}


def _touching_lone(forest: Forest, table: pa.Table) -> pa.Table:
    """The pairs with a record still alone at one end: the only ones attachment reads."""
    parent = pa.array(forest.parent, pa.int64())
    alone = pc.and_(
        pc.equal(parent, pa.array(range(len(parent)), pa.int64())),
        pc.equal(pa.array(forest.size, pa.int64()), 1),
    )
    return table.filter(pc.or_(alone.take(table["li"]), alone.take(table["ri"])))


def _across_systems(problem: _Problem, pairs: pa.Table) -> list[bool]:
    system = problem.system_array
    return pc.not_equal(system.take(pairs["li"]), system.take(pairs["ri"])).to_pylist()


def _review_pairs(
    table: pa.Table,
    cluster_keys: pa.Array,
    auto: float,
    review: float,
    *,
    refused: pa.Table,
    ambiguous: pa.Table,
) -> pa.Table:
    prob = table["match_probability"]
    band = table.filter(pc.and_(pc.greater_equal(prob, review), pc.less(prob, auto)))
    band = band.filter(pc.not_equal(cluster_keys.take(band["li"]), cluster_keys.take(band["ri"])))
    parts = [(band, "review_band"), (refused, "refused_by_constraint"), (ambiguous, "ambiguous")]
    out = pa.concat_tables(
        [
            part.select(REVIEW_SCHEMA.names[:4])
            .append_column("reason", pa.array([reason] * part.num_rows, pa.string()))
            .cast(REVIEW_SCHEMA)
            for part, reason in parts
        ]
    )
    out = out.sort_by(
        [
            ("match_weight", "descending"),
            ("unique_id_l", "ascending"),
            ("unique_id_r", "ascending"),
            ("reason", "ascending"),
        ]
    )
    return _first_per_pair(out)


def _first_per_pair(review: pa.Table) -> pa.Table:
    """One row per pair (a refused edge of an ambiguous record is listed once)."""
    seen: set[tuple[str, str]] = set()
    keep = []
    for a, b in zip(
        review["unique_id_l"].to_pylist(), review["unique_id_r"].to_pylist(), strict=True
    ):
        keep.append((a, b) not in seen)
        seen.add((a, b))
    return review.filter(pa.array(keep, pa.bool_()))
