"""Authentication (API keys), authorisation (roles, systems) and rate limiting, as FastAPI
dependencies. No key: 401; wrong role or system: 403; over the rate: 429 with Retry-After."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from mdm.api._state import HubState
from mdm.domain.access import ApiKey


def hub_state(request: Request) -> HubState:
    return request.app.state.hub


Hub = Annotated[HubState, Depends(hub_state)]


def correlation_id(request: Request) -> str:
    return request.scope.get("state", {}).get("correlation_id") or ""


CorrelationId = Annotated[str, Depends(correlation_id)]


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    return key_in_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))


def key_in_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request presents, given its first Authorization and X-API-Key headers."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return x_api_key or None


def authenticated_key(request: Request, hub: Hub) -> ApiKey:
    """The caller's live API key, within its rate limit."""
    return check_key(hub, presented_key(request))


def check_key(hub: HubState, presented: str | None) -> ApiKey:
    """The live key `presented` is, within its rate limit; else an HTTPException."""
    if not presented:
        raise HTTPException(
            401,
            "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key = hub.keys.verify(presented)
    if key is None:
        raise HTTPException(
            401, "the API key is unknown or revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    wait = hub.limiter.acquire(key.id)
    if wait > 0:
        raise HTTPException(
            429,
            f"rate limit of {hub.limiter.rate:g} requests/s for key {key.id} exceeded; "
            f"retry in {wait:.2f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return key


AnyKey = Annotated[ApiKey, Depends(authenticated_key)]


def reader_key(key: AnyKey) -> ApiKey:
    if not key.may_query():
        raise HTTPException(403, f"key {key.id} (role {key.role}) may not query")
    return key


def writer_key(system: str, key: AnyKey) -> ApiKey:
    """A key that may load records of the path's `system`."""
    if not key.may_write(system):
        scope = f" for systems {', '.join(key.systems)}" if key.systems else ""
        raise HTTPException(
            403, f"key {key.id} (role {key.role}{scope}) may not write {system!r} records"
        )
    return key


def steward_key(key: AnyKey) -> ApiKey:
    if not key.may_steward():
        raise HTTPException(403, f"key {key.id} (role {key.role}) may not act as a steward")
    return key


ReaderKey = Annotated[ApiKey, Depends(reader_key)]
WriterKey = Annotated[ApiKey, Depends(writer_key)]
StewardKey = Annotated[ApiKey, Depends(steward_key)]
