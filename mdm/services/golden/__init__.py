"""Golden records: survivorship by system-of-record authority, stable IDs, xrefs, history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mdm.config import HubConfig
from mdm.domain import NotFoundError
from mdm.services.golden._builder import GoldenBuildReport, apply_clustering
from mdm.services.golden._identity import plan_ids
from mdm.services.golden._relationships import (
    RelationshipReport,
    find_cycles,
    rebuild_relationships,
)
from mdm.services.golden._survivorship import RULES, Member, choose, survive
from mdm.store import UnitOfWork

__all__ = [
    "RULES",
    "GoldenBuildReport",
    "Member",
    "RelationshipReport",
    "apply_clustering",
    "build_golden_records",
    "choose",
    "find_cycles",
    "golden_as_of",
    "plan_ids",
    "rebuild_relationships",
    "resolve_golden_id",
    "survive",
    "xref_as_of",
]


def build_golden_records(
    uow: UnitOfWork,
    config: HubConfig,
    entity_type: str,
    assignments: Mapping[tuple[str, str], str],
    *,
    match_run_id: int | None = None,
    now: datetime | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> GoldenBuildReport:
    """Rebuild golden records of a type from a clustering, and the relationships between
    golden records, in a transaction of its own."""
    with uow:
        report = apply_clustering(
            uow,
            config,
            entity_type,
            assignments,
            match_run_id=match_run_id,
            now=now,
            overrides=overrides,
        )
        rebuild_relationships(uow, config, now, known={entity_type: report.memberships})
        uow.commit()
    return report


def resolve_golden_id(uow: UnitOfWork, golden_id: str) -> tuple[str, list[str]]:
    """The active golden ID a (possibly retired) ID stands for, and the redirect path."""
    with uow:
        active, path = uow.golden.resolve(golden_id)
    if active is None:
        raise NotFoundError(
            f"golden id {golden_id!r} does not resolve to an active record "
            f"(path: {' -> '.join(path)})"
        )
    return active, path


def golden_as_of(uow: UnitOfWork, golden_id: str, at: datetime) -> dict[str, Any]:
    """The version of a golden record that was valid at `at`."""
    with uow:
        version = uow.lookups.version_as_of(golden_id, at)
    if version is None:
        raise NotFoundError(f"golden id {golden_id!r} did not exist at {at.isoformat()}")
    return version


def xref_as_of(
    uow: UnitOfWork, entity_type: str, system: str, source_id: str, at: datetime
) -> str | None:
    """Which golden record held (system, source_id) at `at`."""
    with uow:
        return uow.golden.xref_as_of(entity_type, system, source_id, at)
