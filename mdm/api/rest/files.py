"""Upload of a whole extract file (CSV or JSON Lines, as the system's mapping says), sent
as the raw request body: `curl --data-binary @accounts.csv -H 'Content-Type: text/csv'`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from mdm.api._security import CorrelationId, Hub, WriterKey
from mdm.api.rest._models import LoadResult
from mdm.services import ingestion

router = APIRouter(tags=["ingestion"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/systems/{system}/{entity_type}/files",
    response_model=LoadResult,
    summary="Load an extract file",
    openapi_extra=_BODY,
    responses={
        401: {"description": "No or unknown API key"},
        403: {"description": "The key may not write this system's records"},
        404: {"description": "Unknown system, or no mapping for the entity type"},
        422: {"description": "The file cannot be read; nothing from it was stored"},
        429: {"description": "Rate limit exceeded (see Retry-After)"},
    },
)
async def upload_file(
    system: str,
    entity_type: str,
    request: Request,
    hub: Hub,
    key: WriterKey,
    correlation_id: CorrelationId,
    dry_run: bool = Query(False, description="Validate and count, then roll back."),
) -> LoadResult:
    """The body is saved to a temporary file, then loaded like `mdm load`."""
    hub.config.source_entity(system, entity_type)  # unknown system/type: 404 before upload
    handle, name = tempfile.mkstemp(prefix=f"mdm-{system}-{entity_type}-", suffix=".upload")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        report = await run_in_threadpool(
            ingestion.load_file,
            hub.uow(key.id, correlation_id),
            hub.config,
            system,
            entity_type,
            path,
            dry_run=dry_run,
            workers=1,
        )
    finally:
        path.unlink(missing_ok=True)
    return LoadResult.of(report, correlation_id)
