"""Shared fixtures: a fresh store per test on SQLite, and on PostgreSQL when it is configured.

Set MDM_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
store and service test on PostgreSQL too; each test then gets its own database, cloned
from a migrated template.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mdm.config import HubConfig, load_hub_config
from mdm.store import UnitOfWork, create_store_engine, upgrade_store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POSTGRES_URL = os.environ.get("MDM_TEST_POSTGRES_URL")


def _pg_admin() -> sa.Engine:
    return create_store_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _pg_url(database: str) -> str:
    return str(
        sa.make_url(create_store_engine(POSTGRES_URL).url)
        .set(database=database)
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    name = f"mdm_tpl_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = create_store_engine(_pg_url(name))
    upgrade_store(engine)
    engine.dispose()
    yield name
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated, empty store."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hub.db'}"
        engine = create_store_engine(url)
        upgrade_store(engine)
        engine.dispose()
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("MDM_TEST_POSTGRES_URL is not set")
    template = request.getfixturevalue("_pg_template")
    name = f"mdm_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    engine = create_store_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: sa.Engine):
    """Builds units of work on the test's store, as the composition root would."""
    return lambda actor="test", correlation_id=None: UnitOfWork(engine, actor, correlation_id)


@pytest.fixture(scope="session")
def small_config() -> HubConfig:
    """A small hand-written hub config used by unit and service tests."""
    return load_hub_config(FIXTURES / "small_hub.toml")


@pytest.fixture(scope="session")
def sample_config() -> HubConfig:
    """The sample firm's hub config at the repository root."""
    return load_hub_config(ROOT / "hub.toml")


@pytest.fixture(scope="session")
def sample_free_config(small_config: HubConfig) -> HubConfig:
    """The small config with survivorship rules: PSA first for the name, most recent otherwise."""
    from mdm.config import parse_hub_config

    data = small_config.model_dump(by_alias=True, exclude_none=True)
    data["entity_types"]["customer"]["survivorship"] = {
        "default": {"rule": "most_recent", "then": ["most_complete"]},
        "attributes": {"name": {"rule": "source_priority", "systems": ["psa", "crm"]}},
    }
    return parse_hub_config(data)
