"""Every request carries a correlation id (the caller's X-Correlation-ID, or a new one),
echoed in the response and handed to the unit of work for the audit trail and events."""

from __future__ import annotations

import re
import uuid
from typing import Any

HEADER = b"x-correlation-id"
_VALID = re.compile(rb"^[A-Za-z0-9._:\-]{1,64}$")


class CorrelationIdMiddleware:
    """Plain ASGI middleware (no per-request task, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), None)
        cid = given if given is not None and _VALID.match(given) else uuid.uuid4().hex.encode()
        scope.setdefault("state", {})["correlation_id"] = cid.decode()

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER, cid)]
            await send(message)

        await self.app(scope, receive, send_with_id)
