"""Runtime settings from the environment (prefix MDM_), read by the composition roots only."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the hub keeps its store and finds its config."""

    model_config = SettingsConfigDict(env_prefix="MDM_", frozen=True)

    database_url: str = "sqlite:///mdm.db"
    config: Path = Path("hub.toml")
    log_level: str = "INFO"
    actor: str = "cli"
