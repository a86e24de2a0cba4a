"""The guards every GraphQL operation passes, in one schema extension: token, depth and
alias limits, a cache of parsed and validated documents, and masking of unexpected errors.

Parsing and validating the xref query costs ~1 ms; a cached one ~0.1 ms. The cache holds
what validation said about a document text *with the limit rules included*, so a document
refused for its depth or aliases is refused again from the cache, never let through. One
extension rather than strawberry's ParserCache, ValidationCache, limiters and MaskErrors:
each extension costs every request a round of hook set-up, several times what a cache hit
costs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from mdm.api.gql._errors import is_unexpected

log = logging.getLogger(__name__)

MAX_DEPTH = 10
MAX_TOKENS = 20_000  # resolveMany of 1,000 keys fits; a runaway document does not
MAX_ALIASES = 30
CACHE_SIZE = 512  # distinct document texts kept; integrations send a handful
# Built once, so the rule classes (part of the cache key) are the same for every request.
LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
)

Rules = tuple[type[ASTValidationRule], ...]
Prepared = tuple[DocumentNode, tuple[GraphQLError, ...]]


class DocumentCache:
    """Document text -> (parsed document, validation errors), least recently used first out.

    Keyed by the text and the exact tuple of validation rules, so a change of rules can
    never be answered from an entry made under other rules.
    """

    def __init__(self, schema: GraphQLSchema, maxsize: int = CACHE_SIZE) -> None:
        self._schema = schema
        self.prepare = lru_cache(maxsize=maxsize)(self._prepare)

    def _prepare(self, query: str, rules: Rules) -> Prepared:
        """Parse (raising GraphQLError on bad syntax or too many tokens; not cached) and
        validate against every rule, the limits included."""
        document = parse(query, max_tokens=MAX_TOKENS)
        return document, tuple(validate_document(self._schema, document, rules))

    def clear(self) -> None:
        self.prepare.cache_clear()


class OperationGuards(SchemaExtension):
    """Limits, the document cache and error masking around each operation."""

    def __init__(self, documents: DocumentCache) -> None:
        self.documents = documents

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS  # if strawberry parses after all
        context.validation_rules = (*context.validation_rules, *LIMIT_RULES)
        if context.query:
            try:
                document, errors = self.documents.prepare(context.query, context.validation_rules)
            except GraphQLError:
                pass  # strawberry parses again and reports the syntax or token error
            else:
                context.graphql_document = document
                context.pre_execution_errors = list(errors)  # set: strawberry won't revalidate
        yield
        result = context.result
        if result is not None and result.errors:
            result.errors = mask_unexpected(result.errors)


def mask_unexpected(errors: list[GraphQLError]) -> list[GraphQLError]:
    """The errors as the caller sees them: unexpected ones masked, the others as they are."""
    return [_masked(e) if is_unexpected(e) else e for e in errors]


def _masked(error: GraphQLError) -> GraphQLError:
    """The error as the caller sees it: no message or trace of ours, a code to branch on."""
    log.error("unexpected error in %s", error.path, exc_info=error.original_error)
    masked = MaskErrors().anonymise_error(error)
    masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
    return masked
