"""Liveness and readiness probes (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mdm.api._security import Hub
from mdm.services.health import readiness

router = APIRouter(tags=["health"])


class Status(BaseModel):
    status: str
    detail: str = ""


@router.get("/health", response_model=Status, summary="Liveness: the process answers")
async def health() -> Status:
    return Status(status="ok")


@router.get(
    "/ready",
    response_model=Status,
    summary="Readiness: the store answers and its schema is current",
    responses={503: {"model": Status, "description": "Not ready"}},
)
async def ready(hub: Hub) -> JSONResponse:
    ok, detail = await run_in_threadpool(readiness, hub.engine)
    body = Status(status="ready" if ok else "not ready", detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
