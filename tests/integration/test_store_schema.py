"""The migrations and the table definitions describe the same schema, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mdm.store import store_revision, upgrade_store
from mdm.store._tables import metadata


def test_the_migrated_store_matches_the_table_definitions(engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_upgrading_an_up_to_date_store_changes_nothing(engine):
    current, head = store_revision(engine)
    assert current == head
    assert upgrade_store(engine) == (head, head)


def test_a_read_only_unit_of_work_reads_but_refuses_to_commit(engine):
    import pytest

    from mdm.store import UnitOfWork

    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.outbox.last_sequence() >= 0
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()
    if engine.dialect.name == "postgresql":  # no transaction round trips on PostgreSQL
        with UnitOfWork(engine, read_only=True) as uow:
            assert uow.connection.connection.driver_connection.autocommit


def test_a_new_sqlite_store_has_16_kib_pages_in_wal_mode_and_an_old_one_keeps_its_own(tmp_path):
    import sqlite3

    from mdm.store import create_store_engine

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:
        connection.execute("CREATE TABLE t (x)")  # 4 KiB pages, rollback journal
    for path, page_size in ((tmp_path / "new.db", 16384), (old, 4096)):
        engine = create_store_engine(f"sqlite:///{path}")
        upgrade_store(engine)
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA page_size").scalar_one() == page_size
            assert pragma("PRAGMA journal_mode").scalar_one() == "wal"
            assert pragma("PRAGMA synchronous").scalar_one() == 1  # NORMAL
        engine.dispose()


def test_a_bulk_write_has_a_larger_page_cache_on_sqlite_until_its_block_ends(engine):
    from mdm.store import UnitOfWork

    with UnitOfWork(engine) as uow:
        if engine.dialect.name != "sqlite":
            with uow.page_cache(64):
                assert uow.outbox.last_sequence() >= 0
            return
        pragma = uow.connection.exec_driver_sql
        before = pragma("PRAGMA cache_size").scalar_one()
        with uow.page_cache(64):
            assert pragma("PRAGMA cache_size").scalar_one() == -64 * 1024
        assert pragma("PRAGMA cache_size").scalar_one() == before
