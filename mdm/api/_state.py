"""What the app's requests share: settings, config, engine, key verifier and rate limiter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mdm.api._rate_limit import RateLimiter
from mdm.config import HubConfig
from mdm.services.api_keys import KeyVerifier
from mdm.settings import Settings
from mdm.store import UnitOfWork


@dataclass
class HubState:
    """Built once by `create_app`; reached by dependencies as `request.app.state.hub`."""

    settings: Settings
    config: HubConfig
    engine: Any
    keys: KeyVerifier
    limiter: RateLimiter

    def uow(
        self, actor: str = "api", correlation_id: str | None = None, *, read_only: bool = False
    ) -> UnitOfWork:
        return UnitOfWork(
            self.engine, actor=actor, correlation_id=correlation_id, read_only=read_only
        )
