"""`match_records`: the whole run for one entity type in one call.

normalise -> train (unless a model is given) -> predict -> derive constraints -> cluster.
The hub calls this per entity type; the pieces stay public for incremental use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from matching._clustering import ClusterResult, cluster_records
from matching._constraints import Constraints, derive_constraints
from matching._model import MatchingModel, train_model
from matching._normalise import normalise_records
from matching._predict import predict_pairs
from matching._settings import MatchingSettings


@dataclass(frozen=True)
class MatchResult:
    """Everything one run produced; `model.version` identifies the model used."""

    model: MatchingModel
    pairs: pa.Table
    constraints: Constraints
    clusters: ClusterResult


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
    constraints = derive_constraints(table, settings, steward_must_links=steward_must_links,
                                     steward_cannot_links=steward_cannot_links)
    clusters = cluster_records(
        table["unique_id"].to_pylist(), pairs, constraints.must_links,
        constraints.cannot_links, settings.thresholds.auto_link,
        review_threshold=settings.thresholds.review, exclusive_keys=constraints.exclusive_keys)
    return MatchResult(model, pairs, constraints, clusters)
