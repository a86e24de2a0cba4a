"""Scoring the current clustering (the golden records' members) against a ground truth."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import matching
from mdm.domain import MalformedFileError
from mdm.services.match_inputs import unique_id
from mdm.store import UnitOfWork

TRUTH_COLUMNS = ("entity_type", "system", "source_id", "entity_id")


def read_truth(path: Path) -> dict[str, dict[str, str]]:
    """entity_type -> unique_id -> true entity id, from a CSV with TRUTH_COLUMNS."""
    truth: dict[str, dict[str, str]] = defaultdict(dict)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TRUTH_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise MalformedFileError(
                str(path), f"missing column(s) {', '.join(missing)}", 1, missing[0]
            )
        for row in reader:
            truth[row["entity_type"]][unique_id(row["system"], row["source_id"])] = row["entity_id"]
    return dict(truth)


def evaluate_clustering(
    uow: UnitOfWork, truth: dict[str, str], entity_type: str
) -> matching.ClusterMetrics:
    """Metrics over the records present both in the store's clustering and in the truth."""
    with uow:
        clustering = uow.matching.current_clustering(entity_type)
    assignments = {unique_id(s, i): g for (s, i), g in clustering.items()}
    known = {uid: entity for uid, entity in truth.items() if uid in assignments}
    return matching.evaluate_clusters({u: assignments[u] for u in known}, known)
