"""The GraphQL schema with its guards: depth, token and alias limits, a time limit, masked
unexpected errors, and parser and validation caches (a cached query skips ~1 ms of work)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionResult

from mdm.api.gql._errors import is_unexpected
from mdm.api.gql._query import Query

log = logging.getLogger(__name__)

MAX_DEPTH = 10
MAX_TOKENS = 20_000  # resolveMany of 1,000 keys fits; a runaway document does not
MAX_ALIASES = 30
CACHE_SIZE = 512
# Built once: the validation cache is keyed by the rule classes, so fresh classes per
# request (as the limiters' own constructors make) would never hit it.
_LIMIT_RULES = [
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
]


class _MaskUnexpected(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected error in %s", error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


class HubSchema(strawberry.Schema):
    """A schema whose operations end with a TIMEOUT error after `timeout` seconds."""

    timeout: float = 10.0

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            async with asyncio.timeout(self.timeout):
                return await super().execute(*args, **kwargs)
        except TimeoutError:
            error = GraphQLError(
                f"the operation took longer than {self.timeout:g} s and was stopped; "
                "ask for fewer keys or fields",
                extensions={"code": "TIMEOUT"},
            )
            return ExecutionResult(data=None, errors=[error])


def build_schema(timeout: float = 10.0) -> HubSchema:
    """A fresh schema object (the SDL does not depend on `timeout`)."""
    schema = HubSchema(
        query=Query,
        extensions=[
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: AddValidationRules(_LIMIT_RULES),
            lambda: _MaskUnexpected(should_mask_error=is_unexpected),
        ],
    )
    schema.timeout = timeout
    return schema


def schema_sdl() -> str:
    """The schema as SDL, the contract exported to graphql/schema.graphql."""
    return build_schema().as_str() + "\n"
