"""The GraphQL schema with its guards (mdm.api.gql._guards: depth, token and alias limits,
a cache of parsed and validated documents, masked unexpected errors) and a time limit."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import strawberry
from graphql import GraphQLError, specified_rules
from graphql import execute as execute_document
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult

from mdm.api.gql._guards import LIMIT_RULES, DocumentCache, OperationGuards, mask_unexpected
from mdm.api.gql._query import Query

# The rules of the lean path: strawberry's defaults (graphql-core's specified rules; its own
# two are added by validate_document) and the limits. The same tuple as on strawberry's path,
# so both share cache entries.
_RULES = (*specified_rules, *LIMIT_RULES)


class HubSchema(strawberry.Schema):
    """A schema whose operations end with a TIMEOUT error after `timeout` seconds."""

    timeout: float = 10.0
    documents: DocumentCache

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        return await self._within_time_limit(super().execute(*args, **kwargs))

    async def execute_lean(
        self,
        query: str,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        operation_name: str | None = None,
    ) -> ExecutionResult:
        """`execute` for the POST hot path, without strawberry's per-operation extension
        round (~0.15 ms): the same document cache, rules (limits included), masking and
        time limit; graphql-core runs the operation with strawberry's executor class."""
        try:
            document, errors = self.documents.prepare(query, _RULES)
        except GraphQLError as error:  # bad syntax or too many tokens
            return self._answer(None, [error])
        if errors:
            return self._answer(None, list(errors))
        result = execute_document(
            self._schema,
            document,
            context_value=context_value,
            variable_values=variable_values,
            operation_name=operation_name,
            executor_class=self.execution_context_class,
            is_awaitable=optimized_is_awaitable,
        )
        if inspect.isawaitable(result):  # async resolvers: under the time limit
            result = await self._within_time_limit(result)
        return self._answer(result.data, result.errors)

    def _answer(self, data: Any, errors: list[GraphQLError] | None) -> ExecutionResult:
        if errors:
            self.process_errors(errors)  # logged as strawberry logs them, then masked
            errors = mask_unexpected(errors)
        return ExecutionResult(data=data, errors=errors or None)

    async def _within_time_limit(self, operation: Any) -> Any:
        try:
            async with asyncio.timeout(self.timeout):
                return await operation
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
