"""The GraphQL xref API at /graphql (strawberry). Not a top-level `graphql` package, which
would shadow graphql-core."""

from mdm.api.gql._context import HubContext
from mdm.api.gql._schema import HubSchema, build_schema, schema_sdl

__all__ = ["HubContext", "HubSchema", "build_schema", "schema_sdl"]
