"""REST API under /api/v1: ingestion of records and files, health and readiness."""

from fastapi import APIRouter

from mdm.api.rest import files, health, records

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(health.router)
api_router.include_router(records.router)
api_router.include_router(files.router)

__all__ = ["api_router"]
