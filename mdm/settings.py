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
    # API (`mdm serve`): per-key token bucket, request time limit, key cache, batch limit
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 200
    request_timeout_seconds: float = 10.0
    api_key_cache_seconds: float = 5.0
    max_records_per_request: int = 10_000
