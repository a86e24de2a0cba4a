"""Alembic environment: migrations run on a connection handed over by the hub."""

from alembic import context

from mdm.store._tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through mdm.store.upgrade_store (mdm init)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
