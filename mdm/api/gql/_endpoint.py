"""The lean path for `POST /graphql`, the integrations' hot path, as a plain ASGI app.

The app hands it POST /graphql before FastAPI's middleware, router and dependency
injection, which cost several times what a cached xref query does. It authenticates with
the same checks as every other route (401, 403, 429), executes with `execute_lean` on the
same schema (the same document cache, limits, masking and time limit, without strawberry's
extension round) and writes the result with orjson. GET (the GraphiQL IDE) is served by
strawberry's router.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import HTTPException

from mdm.api._security import check_key, key_in_headers, reader_key
from mdm.api._state import HubState
from mdm.api.gql._context import HubContext
from mdm.api.gql._schema import HubSchema

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024  # resolveMany of 1,000 keys is ~100 KB
_JSON = [(b"content-type", b"application/json")]


class GraphQLPostEndpoint:
    """ASGI app answering `POST /graphql` with a JSON body."""

    def __init__(self, hub: HubState, schema: HubSchema) -> None:
        self.hub = hub
        self.schema = schema

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            status, body, headers = await self._answer(scope, receive)
        except Exception:
            log.exception("unexpected error answering POST /graphql")
            status, body, headers = 500, {"detail": "internal server error"}, {}
        data = orjson.dumps(body)
        head = [*_JSON, (b"content-length", str(len(data)).encode())]
        head += [(k.lower().encode(), str(v).encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": data})

    async def _answer(self, scope: dict, receive: Any) -> tuple[int, Any, dict[str, str]]:
        try:
            key = reader_key(check_key(self.hub, _presented_key(scope["headers"])))
        except HTTPException as exc:
            return exc.status_code, {"detail": exc.detail}, dict(exc.headers or {})
        raw = await _read_body(receive)
        if raw is None:
            return 413, {"detail": f"the body is over {MAX_BODY_BYTES} bytes"}, {}
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return 400, {"detail": "the body is not JSON"}, {}
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return 400, {"detail": "expected a JSON object with a `query` string"}, {}
        if not isinstance(payload.get("variables") or {}, dict):
            return 400, {"detail": "`variables` must be a JSON object"}, {}
        if not isinstance(payload.get("operationName") or "", str):
            return 400, {"detail": "`operationName` must be a string"}, {}
        correlation_id = scope.get("state", {}).get("correlation_id") or ""
        result = await self.schema.execute_lean(
            payload["query"],
            variable_values=payload.get("variables"),
            context_value=HubContext(self.hub, key, correlation_id),
            operation_name=payload.get("operationName"),
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            body["extensions"] = result.extensions
        return 200, body, {}


def _presented_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key in the raw ASGI headers, read as the REST routes read it."""
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name in (b"authorization", b"x-api-key") and name not in found:
            found[name] = value.decode("latin-1")
    return key_in_headers(found.get(b"authorization"), found.get(b"x-api-key"))


async def _read_body(receive: Any) -> bytes | None:
    """The request body, or None once it grows past MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
