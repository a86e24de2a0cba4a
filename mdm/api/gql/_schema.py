"""The GraphQL schema with its guards (mdm.api.gql._guards: depth, token and alias limits,
a cache of parsed and validated documents, masked unexpected errors) and a time limit."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from mdm.api.gql._guards import DocumentCache, OperationGuards
from mdm.api.gql._query import Query


class HubSchema(strawberry.Schema):
    """A schema whose operations end with a TIMEOUT error after `timeout` seconds."""

    timeout: float = 10.0
    documents: DocumentCache

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
    """A fresh schema object with its own document cache (the SDL does not depend on
    `timeout`)."""
    schema = HubSchema(query=Query, extensions=[lambda: OperationGuards(schema.documents)])
    schema.documents = DocumentCache(schema._schema)
    schema.timeout = timeout
    return schema


def schema_sdl() -> str:
    """The schema as SDL, the contract exported to graphql/schema.graphql."""
    return build_schema().as_str() + "\n"
