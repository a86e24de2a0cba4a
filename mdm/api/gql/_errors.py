"""Hub errors as typed GraphQL errors: each carries `extensions.code` so clients can branch
on it (NOT_FOUND, BAD_USER_INPUT, STORE_UNAVAILABLE, TIMEOUT, INTERNAL_SERVER_ERROR)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError

from mdm.domain import MdmError, NotFoundError, StoreUnavailableError
from mdm.services.xref_queries import InvalidQueryError


class HubGraphQLError(GraphQLError):
    """An expected failure, reported with a code and a message meant for the caller."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def code_of(exc: MdmError) -> str:
    if isinstance(exc, NotFoundError):
        return "NOT_FOUND"
    if isinstance(exc, InvalidQueryError):
        return "BAD_USER_INPUT"
    if isinstance(exc, StoreUnavailableError):
        return "STORE_UNAVAILABLE"
    return "INTERNAL_SERVER_ERROR"


@contextmanager
def hub_errors() -> Iterator[None]:
    """Turn hub errors raised inside a resolver into typed GraphQL errors."""
    try:
        yield
    except MdmError as exc:
        raise HubGraphQLError(str(exc), code_of(exc)) from exc


def is_unexpected(error: GraphQLError) -> bool:
    """Errors to mask: raised by our code but neither a hub error nor a GraphQL one."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)
