"""Plain dataclasses, events and errors of the hub. Standard library only."""

from mdm.domain.errors import (
    ConfigError,
    ConflictError,
    InvalidRecordError,
    MalformedFileError,
    MdmError,
    MergeNotAllowedError,
    NotFoundError,
    StoreUnavailableError,
)
from mdm.domain.records import (
    IngestCounts,
    MappedRecord,
    QuarantinedRow,
    RecordKey,
)

__all__ = [
    "ConfigError",
    "ConflictError",
    "IngestCounts",
    "InvalidRecordError",
    "MalformedFileError",
    "MappedRecord",
    "MdmError",
    "MergeNotAllowedError",
    "NotFoundError",
    "QuarantinedRow",
    "RecordKey",
    "StoreUnavailableError",
]
