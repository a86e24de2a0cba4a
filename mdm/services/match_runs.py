"""Training and batch match runs: store -> Arrow -> matching -> pairs and clusters -> store.

Data moves in bulk: current records stream into one Arrow table, scored pairs come back as
an Arrow table and are written with one executemany per chunk.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import json
import logging
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

import matching
from mdm.config import HubConfig
from mdm.domain import NotFoundError
from mdm.services import golden
from mdm.services.match_inputs import load_match_input, split_unique_id, unique_id
from mdm.services.phases import Phases
from mdm.store import UnitOfWork, utcnow

log = logging.getLogger(__name__)


@dataclass
class TrainReport:
    entity_type: str
    model_version: str
    records: int
    comparisons: list[str]
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class MatchReport:
    entity_type: str
    run_id: int
    model_version: str
    records: int
    pairs: dict[str, int]
    clusters: int
    multi_member_clusters: int
    must_links: int
    cannot_links: int
    stale_references: list[dict[str, str]] = field(default_factory=list)
    refused_must_links: int = 0
    golden: Any = None
    assignments: dict[str, str] = field(default_factory=dict, repr=False)
    relationships: Any = None
    attached: int = 0  # lone records attached to their only plausible cluster
    ambiguous: int = 0  # records left between two clusters, for review
    vetoes: int = 0  # pairs inside chains the model called two entities
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase


def settings_for(config: HubConfig, entity_type: str) -> matching.MatchingSettings:
    """The entity type's matching settings: the config's table over the library defaults."""
    if entity_type not in config.entity_types:
        known = ", ".join(sorted(config.entity_types))
        raise NotFoundError(f"unknown entity type {entity_type!r} (configured: {known})")
    return matching.matching_settings(entity_type, config.entity_types[entity_type].matching)


def train(
    uow: UnitOfWork, config: HubConfig, entity_type: str, *, phases: Phases | None = None
) -> TrainReport:
    """Train the entity type's model without labels and store it as the active version."""
    settings = settings_for(config, entity_type)
    phases = phases or Phases()
    with phases("load"), uow:
        table = load_match_input(uow, config, entity_type)
    with phases("normalise"):
        table = matching.normalise_records(table, settings)
    model = _train_and_save(uow, entity_type, table, settings, phases)
    return TrainReport(
        entity_type, model.version, table.num_rows, model.comparison_names, phases.seconds
    )


def _train_and_save(
    uow: UnitOfWork,
    entity_type: str,
    table: pa.Table,
    settings: matching.MatchingSettings,
    phases: Phases,
) -> matching.MatchingModel:
    if table.num_rows < 2:
        raise NotFoundError(f"no {entity_type} records to train on: load some first")
    with phases("train"):
        model = matching.train_model(table, settings)
    with uow:
        uow.matching.save_model(
            model.version,
            entity_type,
            json.loads(model.to_json()),
            {"records": table.num_rows},
            utcnow(),
        )
        uow.record_audit(
            "train", entity_type, {"model_version": model.version, "records": table.num_rows}
        )
        uow.commit()
    log.info("trained %s model %s on %d records", entity_type, model.version, table.num_rows)
    return model


def run_match(
    uow: UnitOfWork,
    config: HubConfig,
    entity_type: str,
    *,
    retrain: bool = False,
    phases: Phases | None = None,
) -> MatchReport:
    """Match every current record of a type, cluster under constraints, rebuild golden records.

    Uses the active model; trains one first (on the same records, read once) when there is
    none or `retrain` is set.
    """
    settings = settings_for(config, entity_type)
    phases = phases or Phases()
    with phases("load"), uow:
        # The records matched are those stored when the input is read: anything stored
        # while the run goes on keeps needing a match. Read before the input, so a record
        # stored in between is matched and still flagged, never flagged done unmatched.
        read_up_to = uow.source_records.last_id()
        table = load_match_input(uow, config, entity_type)
        stored = uow.matching.active_model(entity_type)
        must, cannot = _steward_constraints(uow.matching.active_constraints(entity_type))
    with phases("normalise"):
        table = matching.normalise_records(table, settings)
    model = None if retrain else _model_from(stored)
    if model is None:
        log.info("training a %s model on the records of this run", entity_type)
        model = _train_and_save(uow, entity_type, table, settings, phases)
    with phases("predict"):
        pairs = matching.predict_pairs(model, table)
        _return_freed_memory()  # training's and prediction's DuckDB databases
    with phases("cluster"):
        constraints = matching.derive_constraints(
            table, settings, steward_must_links=must, steward_cannot_links=cannot
        )
        result = matching.checked_clustering(model, table, pairs, constraints)
    with phases("store pairs"):
        attached = {tuple(sorted((a, b))) for a, b, _ in result.clusters.attached}
        pair_rows = _pair_rows(result.pairs, model.settings.thresholds, attached)
    # What the store needs is in hand: let the records and pairs go before golden records
    # are built (at a million records they hold more than a gigabyte).
    records = table.num_rows
    result = dataclasses.replace(result, pairs=result.pairs.schema.empty_table())
    del table, pairs
    _return_freed_memory()
    report = _store_result(uow, config, entity_type, records, pair_rows, result, phases, read_up_to)
    report.timings = phases.seconds
    return report


def _return_freed_memory() -> None:
    """Hand memory freed by matching back to the system before golden records are built:
    Arrow's pool keeps freed buffers and glibc's malloc keeps freed heap pages otherwise,
    so the process would peak at matching plus golden records instead of the larger one."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        # Not glibc (musl, say): nothing to trim.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _store_result(
    uow: UnitOfWork,
    config: HubConfig,
    entity_type: str,
    records: int,
    pair_rows: list[tuple[Any, ...]],
    result: matching.MatchResult,
    phases: Phases,
    read_up_to: int,
) -> MatchReport:
    clusters = result.clusters
    with phases("golden: plan ids"):  # the clusters as golden building takes them
        assignments = {split_unique_id(uid): key for uid, key in clusters.assignments.items()}
    with uow:
        run_id = uow.matching.start_run(
            entity_type=entity_type,
            model_version=result.model.version,
            mode="batch",
            actor=uow.actor,
            correlation_id=uow.correlation_id,
            started_at=utcnow(),
        )
        with phases("store pairs"):
            uow.matching.add_pairs(run_id, entity_type, result.model.version, pair_rows)
            del pair_rows[:]
        built = golden.apply_clustering(
            uow, config, entity_type, assignments, match_run_id=run_id, phases=phases
        )
        with phases("relationships"):
            related = golden.rebuild_relationships(
                uow, config, known={entity_type: built.memberships}
            )
        with phases("mark matched"):
            uow.source_records.mark_matched(entity_type, up_to=read_up_to)
        sizes = Counter(clusters.assignments.values())
        stale = [
            {"record": s.unique_id, "reference": f"{s.column}={s.target}", "reason": s.reason}
            for s in result.constraints.stale_references
        ]
        pair_counts = uow.matching.count_pairs(run_id)
        stats = {
            "records": records,
            "pairs": pair_counts,
            "clusters": len(sizes),
            "attached": len(clusters.attached),
            "ambiguous": len(clusters.ambiguous),
            "vetoes": len(result.vetoes),
            "stale_references": len(stale),
            "relationships": related.current,
            "unresolved_references": related.unresolved,
            "hierarchy_cycles": related.cycles,
        }
        uow.matching.finish_run(run_id, "completed", stats, utcnow())
        uow.record_audit("match", entity_type, {"run_id": run_id, **stats})
        with phases("commit"):
            uow.commit()
    return MatchReport(
        entity_type,
        run_id,
        result.model.version,
        records,
        pair_counts,
        len(sizes),
        sum(1 for n in sizes.values() if n > 1),
        len(result.constraints.must_links),
        len(result.constraints.cannot_links),
        stale,
        len(clusters.refused_must_links),
        built,
        clusters.assignments,
        related,
        len(clusters.attached),
        len(clusters.ambiguous),
        len(result.vetoes),
    )


def _pair_rows(
    pairs: pa.Table, thresholds: matching.Thresholds, attached: set[tuple[str, str]]
) -> list[tuple[Any, ...]]:
    """Rows for the pairs a decision rests on: the auto-link and review bands, and the
    pairs that attached a lone record (prediction keeps weaker pairs than review for that).
    The explanation stays the JSON text the engine wrote (see `PAIR_COLUMNS`)."""
    rows = []
    columns = pairs.to_pydict()
    for left, right, probability, weight, explanation in zip(
        columns["unique_id_l"],
        columns["unique_id_r"],
        columns["match_probability"],
        columns["match_weight"],
        columns["explanation"],
        strict=True,
    ):
        if probability >= thresholds.auto_link:
            band = "auto_link"
        elif (left, right) in attached:
            band = "attached"
        elif probability >= thresholds.review:
            band = "review"
        else:
            continue
        ls, lid = split_unique_id(left)
        rs, rid = split_unique_id(right)
        rows.append(
            (
                ls,
                lid,
                rs,
                rid,
                probability,
                weight,
                explanation or None,
                band,
                "open" if band == "review" else None,
            )
        )
    return rows


def _steward_constraints(rows: list[dict[str, Any]]) -> tuple[list, list]:
    must, cannot = [], []
    for row in rows:
        pair = (
            unique_id(row["left_system"], row["left_source_id"]),
            unique_id(row["right_system"], row["right_source_id"]),
        )
        (must if row["kind"] == "must_link" else cannot).append(pair)
    return must, cannot


def _model_from(stored: dict[str, Any] | None) -> matching.MatchingModel | None:
    if not stored:
        return None
    return matching.MatchingModel.from_json(json.dumps(stored["model"]))
