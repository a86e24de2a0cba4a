"""Per-request GraphQL context: the caller, a unit-of-work factory and batching loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from mdm.api._state import HubState
from mdm.domain.access import ApiKey
from mdm.services import xref_queries
from mdm.store import UnitOfWork


class HubContext(BaseContext):
    """Loaders batch the look-ups of one request: nested fields never cost one query each."""

    def __init__(self, hub: HubState, key: ApiKey, correlation_id: str) -> None:
        super().__init__()
        self.hub = hub
        self.key = key
        self.correlation_id = correlation_id

    @property
    def config(self):  # noqa: ANN201 - HubConfig
        return self.hub.config

    def uow(self) -> UnitOfWork:
        """A read-only unit of work: the GraphQL API only queries."""
        return self.hub.uow(self.key.id, self.correlation_id, read_only=True)

    async def in_thread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking service call off the event loop (so request timeouts can fire)."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def _loader(self, batch: Callable[[Sequence[str]], dict[str, Any]], empty: Any) -> DataLoader:
        async def load(keys: list[str]) -> list[Any]:
            found = await self.in_thread(batch, keys)
            return [found.get(k, empty) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def members(self) -> DataLoader:
        return self._loader(lambda ids: xref_queries.members_of(self.uow(), ids), [])

    @cached_property
    def history(self) -> DataLoader:
        return self._loader(lambda ids: xref_queries.history_of(self.uow(), ids), [])

    @cached_property
    def related(self) -> DataLoader:
        return self._loader(lambda ids: xref_queries.related_of(self.uow(), self.config, ids), [])

    @cached_property
    def goldens(self) -> DataLoader:
        def batch(ids: Sequence[str]) -> dict[str, Any]:
            views = xref_queries.golden_records(self.uow(), ids)
            return {gid: view for gid, view in zip(ids, views, strict=True) if view}

        return self._loader(batch, None)
