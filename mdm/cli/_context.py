"""The CLI's composition root: settings, config, engine and units of work, built on demand."""

from __future__ import annotations

import logging
import uuid
from functools import cached_property

from rich.console import Console

from mdm.config import HubConfig, load_hub_config
from mdm.settings import Settings
from mdm.store import UnitOfWork, create_store_engine

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


class CliContext:
    """Lazily builds what a command needs, so `mdm --help` touches nothing."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.correlation_id = uuid.uuid4().hex

    @cached_property
    def config(self) -> HubConfig:
        return load_hub_config(self.settings.config)

    @cached_property
    def engine(self):  # noqa: ANN201 - an SQLAlchemy engine, typed in mdm.store
        return create_store_engine(self.settings.database_url)

    def close(self) -> None:
        """Release the engine's pooled connections, if a command opened any."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.engine, actor=self.settings.actor, correlation_id=self.correlation_id
        )


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
