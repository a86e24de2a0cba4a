"""Cluster quality against a ground truth: pairwise and B-cubed precision/recall/F1.

Pairwise scores count record pairs (what a steward reviews); B-cubed scores average per
record (so one giant wrong cluster does not dominate as it does pairwise). The lists of
wrongly merged clusters and wrongly split entities say where to look.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ClusterMetrics:
    """Scores, plus clusters mixing entities and entities spread over clusters."""

    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    wrongly_merged: dict[str, dict[str, list[str]]]  # cluster -> entity -> ids
    wrongly_split: dict[str, dict[str, list[str]]]  # entity -> cluster -> ids


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def evaluate_clusters(assignments: Mapping[str, str], truth: Mapping[str, str]) -> ClusterMetrics:
    """Compare `assignments` (id -> cluster) with `truth` (id -> entity) over the truth's ids.

    Ids missing from `assignments` count as singletons; ids without truth are ignored.
    With no true or no predicted pairs, the corresponding pairwise score is 1.0.
    """
    ids = sorted(truth)
    cluster = {i: assignments.get(i, f"\x00{i}") for i in ids}
    cells = Counter((cluster[i], truth[i]) for i in ids)
    cluster_size = Counter(cluster.values())
    entity_size = Counter(truth[i] for i in ids)
    tp = sum(_pairs(n) for n in cells.values())
    predicted = sum(_pairs(n) for n in cluster_size.values())
    actual = sum(_pairs(n) for n in entity_size.values())
    p = tp / predicted if predicted else 1.0
    r = tp / actual if actual else 1.0
    bp = sum(n * n / cluster_size[c] for (c, _), n in cells.items()) / len(ids) if ids else 1.0
    br = sum(n * n / entity_size[e] for (_, e), n in cells.items()) / len(ids) if ids else 1.0
    by_cluster: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    by_entity: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for i in ids:
        by_cluster[cluster[i]][truth[i]].append(i)
        by_entity[truth[i]][cluster[i]].append(i)
    merged = {c: dict(e) for c, e in sorted(by_cluster.items()) if len(e) > 1}
    split = {
        e: {c.lstrip("\x00"): v for c, v in cs.items()}
        for e, cs in sorted(by_entity.items())
        if len(cs) > 1
    }
    return ClusterMetrics(p, r, _f1(p, r), bp, br, _f1(bp, br), merged, split)
