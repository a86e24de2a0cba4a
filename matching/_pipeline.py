"""`match_records`: the whole run for one entity type in one call.

normalise -> train (unless a model is given) -> predict -> derive constraints -> cluster,
then check the clusters: every pair of records a chain put together is scored, and pairs
the model calls clearly different become vetoes for a second clustering. The hub calls
this per entity type; the pieces stay public for incremental use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from matching._clustering import CONTRADICTION, ClusterResult, SystemColumn, cluster_records
from matching._constraints import Constraints, derive_constraints
from matching._model import MatchingModel, train_model
from matching._normalise import normalise_records
from matching._predict import predict_pairs, score_within_clusters, term_frequencies
from matching._settings import MatchingSettings, Thresholds

_CHECK_ROUNDS = 3


@dataclass(frozen=True)
class MatchResult:
    """Everything one run produced; `model.version` identifies the model used."""

    model: MatchingModel
    pairs: pa.Table
    constraints: Constraints
    clusters: ClusterResult
    vetoes: tuple[tuple[str, str], ...] = ()


def match_records(
    records: pa.Table | Sequence[Mapping[str, Any]],
    settings: MatchingSettings,
    *,
    model: MatchingModel | None = None,
    steward_must_links: Iterable[Sequence[str]] = (),
    steward_cannot_links: Iterable[Sequence[str]] = (),
) -> MatchResult:
    """Normalise, train if needed, predict, constrain and cluster `records`."""
    table = normalise_records(records, settings)
    model = model or train_model(table, settings)
    pairs = predict_pairs(model, table)
    constraints = derive_constraints(
        table,
        settings,
        steward_must_links=steward_must_links,
        steward_cannot_links=steward_cannot_links,
    )
    return checked_clustering(model, table, pairs, constraints)


def checked_clustering(
    model: MatchingModel, table: pa.Table, pairs: pa.Table, constraints: Constraints
) -> MatchResult:
    """Cluster, then score the pairs inside each cluster of three or more and re-cluster
    with the clearly different ones as vetoes, until no new veto appears.

    `pairs` are `model`'s scores over `table` (`predict_pairs`): those at or above review
    are taken as they are, not scored again."""
    thresholds = model.settings.thresholds
    ids = table["unique_id"]
    systems = SystemColumn(ids, table["system"])
    vetoes: set[tuple[str, str]] = set()

    def cluster(
        previous: ClusterResult | None = None, changed: Iterable[str] = ()
    ) -> ClusterResult:
        return cluster_records(
            ids,
            pairs,
            constraints.must_links,
            constraints.cannot_links,
            thresholds.auto_link,
            review_threshold=thresholds.review,
            exclusive_keys=constraints.exclusive_keys,
            vetoes=sorted(vetoes),
            attach_threshold=thresholds.attach,
            systems=systems,
            previous=previous,
            changed=changed,
        )

    clusters = cluster()
    checked: set[frozenset[str]] = set()  # clusters whose pairs were scored already
    frequencies = None  # over all records, computed once for every round
    # Pairs prediction scored at or above review can be no veto: not scored again.
    settled = pairs.filter(pc.greater_equal(pairs["match_probability"], thresholds.review))
    for _ in range(_CHECK_ROUNDS):
        unchecked = _unchecked(clusters.assignments, checked)
        if not unchecked:
            break
        if frequencies is None:
            frequencies = term_frequencies(model, table)
        scored = score_within_clusters(
            model, table, unchecked, frequencies=frequencies, explain=False, skip=settled
        )
        fresh = _vetoes(scored, thresholds, {a for a, _, _ in clusters.attached}) - vetoes
        if not fresh:
            break
        vetoes |= fresh
        clusters = cluster(clusters, {uid for pair in fresh for uid in pair})
    return MatchResult(model, pairs, constraints, clusters, tuple(sorted(vetoes)))


def _unchecked(assignments: Mapping[str, str], checked: set[frozenset[str]]) -> dict[str, str]:
    """The assignments of the records in clusters of three or more not yet checked, and
    mark those clusters checked."""
    keys = pa.array(list(assignments.values()), pa.string())
    counts = pc.value_counts(keys)
    big = counts.field("values").filter(pc.greater_equal(counts.field("counts"), 3))
    grouped = pa.table({"key": keys, "uid": pa.array(list(assignments), pa.string())})
    grouped = grouped.filter(pc.is_in(keys, value_set=big)).sort_by("key")
    out: dict[str, str] = {}
    uids = grouped["uid"].to_pylist()
    start = 0
    for key, n in zip(*_runs(grouped["key"]), strict=True):
        group = frozenset(uids[start : start + n])
        start += n
        if group not in checked:
            checked.add(group)
            out.update(dict.fromkeys(group, key))
    return out


def _runs(values: pa.ChunkedArray) -> tuple[list[str], list[int]]:
    """Consecutive equal values of a sorted column: (value, length) per run."""
    runs = pc.run_end_encode(values.combine_chunks())
    ends = runs.run_ends.to_pylist()
    return runs.values.to_pylist(), [e - s for s, e in zip([0, *ends][:-1], ends, strict=True)]


def _vetoes(scored: pa.Table, thresholds: Thresholds, attached: set[str]) -> set[tuple[str, str]]:
    """Pairs inside clusters that no chain may join: those the model calls clearly
    different, and, for records that were attached (on the premise that nothing
    disagrees), any pair below review in which something does disagree."""
    out = set()
    for left, right, p, against in zip(
        scored["unique_id_l"].to_pylist(),
        scored["unique_id_r"].to_pylist(),
        scored["match_probability"].to_pylist(),
        scored["strongest_against"].to_pylist(),
        strict=True,
    ):
        if p < thresholds.veto or (
            p < thresholds.review
            and against < CONTRADICTION
            and (left in attached or right in attached)
        ):
            out.add((left, right))
    return out
