"""One handler maps the hub's errors to HTTP statuses; the message says what to do."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mdm.domain import (
    ConfigError,
    ConflictError,
    InvalidRecordError,
    MalformedFileError,
    MdmError,
    MergeNotAllowedError,
    NotFoundError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)

STATUS: tuple[tuple[type[MdmError], int, str], ...] = (
    (NotFoundError, 404, "NOT_FOUND"),
    (InvalidRecordError, 422, "INVALID_RECORD"),
    (MalformedFileError, 422, "MALFORMED_FILE"),
    (ConflictError, 409, "CONFLICT"),
    (MergeNotAllowedError, 409, "MERGE_NOT_ALLOWED"),
    (ConfigError, 500, "CONFIG_ERROR"),
    (StoreUnavailableError, 503, "STORE_UNAVAILABLE"),
)


def status_of(exc: MdmError) -> tuple[int, str]:
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            return status, code
    return 400, "BAD_REQUEST"


async def hub_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MdmError)
    status, code = status_of(exc)
    body: dict = {"code": code, "detail": str(exc)}
    if isinstance(exc, ConfigError):
        body["problems"] = exc.problems
    if isinstance(exc, InvalidRecordError):
        body["reasons"] = exc.reasons
    if status >= 500:
        log.error("%s: %s", code, exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(MdmError, hub_error_handler)
