"""Identity matching for the hub: rows in, scored pairs and clusters out.

The library knows nothing of the hub's database. It takes records of one entity type (a
pyarrow Table or a list of dicts with `unique_id` = "system|source_id", `system`,
`source_id` and canonical attributes), normalises them, trains and applies a Splink
model declared as data, derives deterministic constraints and clusters under them.
Only this package imports splink, duckdb and networkx.
"""

from matching._clustering import ClusterResult, cluster_records
from matching._comparisons import COMPARISON_BUILDERS, PARTIAL_DISAGREEMENT, PARTIAL_LEVELS
from matching._constraints import Constraints, Link, StaleReference, derive_constraints
from matching._engine import EngineUnavailableError, make_db_api
from matching._labels import refine_with_labels
from matching._metrics import ClusterMetrics, evaluate_clusters
from matching._model import MatchingModel, train_model
from matching._normalise import normalise_records
from matching._pipeline import MatchResult, checked_clustering, match_records
from matching._predict import (
    match_new_records,
    predict_pairs,
    score_within_clusters,
    term_frequencies,
)
from matching._settings import (
    ComparisonSpec,
    MatchingSettings,
    NormalisationSettings,
    ReferenceSpec,
    Thresholds,
    TrainingSettings,
    default_matching_settings,
    matching_settings,
)

__all__ = [
    "COMPARISON_BUILDERS",
    "ClusterMetrics",
    "ClusterResult",
    "ComparisonSpec",
    "Constraints",
    "EngineUnavailableError",
    "Link",
    "MatchResult",
    "MatchingModel",
    "MatchingSettings",
    "PARTIAL_DISAGREEMENT",
    "PARTIAL_LEVELS",
    "NormalisationSettings",
    "ReferenceSpec",
    "StaleReference",
    "Thresholds",
    "TrainingSettings",
    "checked_clustering",
    "cluster_records",
    "default_matching_settings",
    "derive_constraints",
    "evaluate_clusters",
    "make_db_api",
    "match_new_records",
    "match_records",
    "matching_settings",
    "normalise_records",
    "predict_pairs",
    "refine_with_labels",
    "score_within_clusters",
    "term_frequencies",
    "train_model",
]
