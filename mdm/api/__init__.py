"""The hub's HTTP API: FastAPI app with GraphQL (mdm.api.gql) and REST (mdm.api.rest)."""

from mdm.api.app import app_from_environment, create_app

__all__ = ["app_from_environment", "create_app"]
