"""Store administration and read-only summaries for the CLI and the API."""

from __future__ import annotations

from typing import Any

from mdm.store import UnitOfWork, store_revision, upgrade_store


def initialise_store(engine: Any) -> tuple[str | None, str]:
    """Create or upgrade the store's schema."""
    return upgrade_store(engine)


def schema_status(engine: Any) -> tuple[str | None, str]:
    return store_revision(engine)


def current_counts(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    with uow:
        return {(e, s): n for e, s, n in uow.source_records.count_current()}


def quarantine_counts(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    with uow:
        return {(e, s): n for e, s, n in uow.quarantine.count_open()}


def quarantined(
    uow: UnitOfWork, system: str | None, entity_type: str | None, batch_id: int | None, limit: int
) -> list[dict[str, Any]]:
    with uow:
        return uow.quarantine.list(system, entity_type, batch_id, limit)
