"""The API's composition root: `create_app(settings)` builds the engine, the hub config and
the app. Nothing connects at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from mdm.api._correlation import CorrelationIdMiddleware
from mdm.api._errors import install_error_handler
from mdm.api._rate_limit import RateLimiter
from mdm.api._security import CorrelationId, Hub, ReaderKey
from mdm.api._state import HubState
from mdm.api.gql import HubContext, HubSchema, build_schema
from mdm.api.gql._endpoint import GraphQLPostEndpoint
from mdm.api.rest import api_router
from mdm.config import load_hub_config
from mdm.services.api_keys import KeyVerifier
from mdm.settings import Settings
from mdm.store import UnitOfWork, create_store_engine, limit_statement_time

log = logging.getLogger(__name__)


class HubApp(FastAPI):
    """The FastAPI app, except that `POST /graphql` goes straight to the lean GraphQL
    endpoint (under the correlation-id middleware only): the hot path skips the router,
    dependency injection and Starlette's middleware stack."""

    graphql_post: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (
            self.graphql_post is not None
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == "/graphql"
        ):
            await self.graphql_post(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The hub's HTTP app: GraphQL at /graphql, REST at /api/v1, OpenAPI at /openapi.json."""
    settings = settings or Settings()
    config = load_hub_config(settings.config)
    engine = create_store_engine(settings.database_url)
    limit_statement_time(engine, settings.request_timeout_seconds)
    hub = HubState(
        settings=settings,
        config=config,
        engine=engine,
        keys=KeyVerifier(
            lambda: UnitOfWork(engine, actor="api"), ttl=settings.api_key_cache_seconds
        ),
        limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = HubApp(
        lifespan=lifespan,
        title=f"{config.hub.name} API",
        version="1",
        description="Ingestion of source records (REST) and the cross-reference API "
        "(GraphQL at /graphql; contract in graphql/schema.graphql). Send an API key as "
        "`Authorization: Bearer <key>` or `X-API-Key`; `X-Correlation-ID` is echoed back.",
    )
    app.state.hub = hub
    install_error_handler(app)
    app.include_router(api_router)
    schema = build_schema(timeout=settings.request_timeout_seconds)
    app.state.graphql_schema = schema
    app.graphql_post = CorrelationIdMiddleware(GraphQLPostEndpoint(hub, schema))
    app.include_router(_graphql_router(schema), prefix="/graphql", include_in_schema=False)
    app.add_middleware(CorrelationIdMiddleware)

    log.info("API ready: store %s, config %s", engine.url.render_as_string(), settings.config)
    return app


def _graphql_router(schema: HubSchema) -> GraphQLRouter:
    async def context(hub: Hub, key: ReaderKey, correlation_id: CorrelationId) -> HubContext:
        return HubContext(hub, key, correlation_id)

    return GraphQLRouter(
        schema,
        context_getter=context,
        graphql_ide="graphiql",
        allow_queries_via_get=True,
    )


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and `mdm serve --workers N` (settings from MDM_*)."""
    return create_app(Settings())
