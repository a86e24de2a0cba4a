"""The hub store: tables, repositories, unit of work, outbox and migrations.

The only package that imports SQLAlchemy; everything above it works through a UnitOfWork.
"""

from mdm.store._engine import create_store_engine, store_revision, upgrade_store
from mdm.store._source_records import CurrentState
from mdm.store._timeouts import limit_statement_time
from mdm.store._uow import UnitOfWork, utcnow
from mdm.store._version_rows import (
    VersionBatch,
    VersionEncoder,
    payload_content_hash,
    payload_source_id,
)

__all__ = [
    "CurrentState",
    "UnitOfWork",
    "VersionBatch",
    "VersionEncoder",
    "create_store_engine",
    "limit_statement_time",
    "payload_content_hash",
    "payload_source_id",
    "store_revision",
    "upgrade_store",
    "utcnow",
]
