"""Batch upsert of source records sent as JSON: the same mapping, validation, idempotency
and quarantine as file loads."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from mdm.api._security import CorrelationId, Hub, WriterKey
from mdm.api.rest._models import LoadResult, RecordBatch
from mdm.services import ingestion

router = APIRouter(tags=["ingestion"])


@router.post(
    "/systems/{system}/{entity_type}/records",
    response_model=LoadResult,
    summary="Upsert a batch of source records",
    responses={
        401: {"description": "No or unknown API key"},
        403: {"description": "The key may not write this system's records"},
        404: {"description": "Unknown system, or no mapping for the entity type"},
        413: {"description": "Too many records in one request"},
        429: {"description": "Rate limit exceeded (see Retry-After)"},
    },
)
def upsert_records(
    system: str,
    entity_type: str,
    batch: RecordBatch,
    hub: Hub,
    key: WriterKey,
    correlation_id: CorrelationId,
    dry_run: bool = Query(False, description="Validate and count, then roll back."),
) -> LoadResult:
    """Every record ends stored (new version, unchanged or stale) or quarantined with its
    reasons; a repeated batch changes nothing."""
    limit = hub.settings.max_records_per_request
    if len(batch.records) > limit:
        raise HTTPException(413, f"at most {limit} records per request; send several batches")
    report = ingestion.load_rows(
        hub.uow(key.id, correlation_id),
        hub.config,
        system,
        entity_type,
        batch.records,
        dry_run=dry_run,
    )
    return LoadResult.of(report, correlation_id)
