"""Trained models, match runs, candidate pairs and match constraints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mdm.store._bulk import insert_encoded
from mdm.store._tables import (
    candidate_pairs,
    match_constraints,
    match_runs,
    model_versions,
    xrefs,
)

PAIR_COLUMNS = (
    "left_system",
    "left_source_id",
    "right_system",
    "right_source_id",
    "match_probability",
    "match_weight",
    "explanation",
    "band",
    "review_status",
)


class MatchingRepository:
    """Storage of what matching produces and what constrains it."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def save_model(
        self,
        model_id: str,
        entity_type: str,
        model: dict[str, Any],
        stats: dict[str, Any],
        at: datetime,
    ) -> None:
        """Store a trained model (idempotent by its content id) and make it the active one."""
        self._c.execute(
            sa.update(model_versions)
            .where(model_versions.c.entity_type == entity_type)
            .values(is_active=False)
        )
        exists = self._c.execute(
            sa.select(model_versions.c.id).where(model_versions.c.id == model_id)
        ).first()
        if exists:
            self._c.execute(
                sa.update(model_versions)
                .where(model_versions.c.id == model_id)
                .values(is_active=True)
            )
            return
        self._c.execute(
            sa.insert(model_versions).values(
                id=model_id,
                entity_type=entity_type,
                model=model,
                trained_at=at,
                training_stats=stats,
                is_active=True,
            )
        )

    def active_model(self, entity_type: str) -> dict[str, Any] | None:
        row = (
            self._c.execute(
                sa.select(model_versions).where(
                    model_versions.c.entity_type == entity_type, model_versions.c.is_active
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def start_run(self, **values: Any) -> int:
        values.setdefault("status", "running")
        result = self._c.execute(sa.insert(match_runs).values(**values).returning(match_runs.c.id))
        return int(result.scalar_one())

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any], at: datetime) -> None:
        self._c.execute(
            sa.update(match_runs)
            .where(match_runs.c.id == run_id)
            .values(status=status, stats=stats, finished_at=at)
        )

    def last_run(self, entity_type: str) -> dict[str, Any] | None:
        row = (
            self._c.execute(
                sa.select(match_runs)
                .where(match_runs.c.entity_type == entity_type, match_runs.c.status == "completed")
                .order_by(match_runs.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def add_pairs(
        self,
        run_id: int,
        entity_type: str,
        model_version: str | None,
        rows: Sequence[tuple[Any, ...]],
        chunk: int = 50_000,
    ) -> None:
        """Bulk-insert a run's candidate pairs: rows of PAIR_COLUMNS, the explanation as
        JSON text."""
        shared = {"run_id": run_id, "entity_type": entity_type, "model_version": model_version}
        for start in range(0, len(rows), chunk):
            insert_encoded(
                self._c,
                candidate_pairs,
                shared,
                PAIR_COLUMNS,
                rows[start : start + chunk],
                frozenset({"explanation"}),
            )

    def pairs(
        self, run_id: int, band: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        query = sa.select(candidate_pairs).where(candidate_pairs.c.run_id == run_id)
        if band:
            query = query.where(candidate_pairs.c.band == band)
        query = query.order_by(candidate_pairs.c.match_probability.desc()).limit(limit)
        return [dict(r) for r in self._c.execute(query).mappings()]

    def count_pairs(self, run_id: int) -> dict[str, int]:
        query = (
            sa.select(candidate_pairs.c.band, sa.func.count())
            .where(candidate_pairs.c.run_id == run_id)
            .group_by(candidate_pairs.c.band)
        )
        return {band: n for band, n in self._c.execute(query)}

    def active_constraints(self, entity_type: str) -> list[dict[str, Any]]:
        query = sa.select(match_constraints).where(
            match_constraints.c.entity_type == entity_type, match_constraints.c.revoked_at.is_(None)
        )
        return [dict(r) for r in self._c.execute(query).mappings()]

    def add_constraint(self, **values: Any) -> int:
        result = self._c.execute(
            sa.insert(match_constraints).values(**values).returning(match_constraints.c.id)
        )
        return int(result.scalar_one())

    def current_clustering(self, entity_type: str) -> dict[tuple[str, str], str]:
        """(system, source_id) -> golden id of every current cross-reference of a type."""
        query = sa.select(xrefs.c.system, xrefs.c.source_id, xrefs.c.golden_id).where(
            xrefs.c.entity_type == entity_type, xrefs.c.valid_to.is_(None)
        )
        return {(s, i): g for s, i, g in self._c.execute(query)}
