"""The hub's error tree.

MdmError
├── ConfigError            the hub config (or a setting) is invalid; lists every problem
├── NotFoundError          a system, entity type, record or golden ID does not exist
├── ConflictError          the change clashes with the current state (stale version, duplicate)
├── InvalidRecordError     one record fails mapping or validation (record, field, reason)
├── MalformedFileError     an input file cannot be read (file, line, column, reason)
├── MergeNotAllowedError   a merge would break a cannot-link constraint
└── StoreUnavailableError  the store cannot be reached or is not initialised
"""

from __future__ import annotations


class MdmError(Exception):
    """Root of every error the hub raises on purpose."""


class ConfigError(MdmError):
    """The hub config is invalid. `problems` holds every problem with its place."""

    def __init__(self, problems: list[str], source: str = "hub config") -> None:
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {len(self.problems)} problem(s):\n{lines}")


class NotFoundError(MdmError):
    """A named thing does not exist."""


class ConflictError(MdmError):
    """The change clashes with the current state."""


class InvalidRecordError(MdmError):
    """A record fails mapping or validation."""

    def __init__(self, record: str, reasons: list[str]) -> None:
        self.record = record
        self.reasons = list(reasons)
        super().__init__(f"record {record}: " + "; ".join(self.reasons))


class MalformedFileError(MdmError):
    """An input file cannot be read; nothing from it was stored."""

    def __init__(
        self, path: str, reason: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.path, self.reason, self.line, self.column = path, reason, line, column
        where = path + (f", line {line}" if line is not None else "")
        where += f", column {column!r}" if column else ""
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str, int | None, str | None]]:
        # Rebuilt from its fields when it crosses from a worker process.
        return (type(self), (self.path, self.reason, self.line, self.column))


class MergeNotAllowedError(MdmError):
    """A merge or link would join records under a cannot-link constraint."""


class StoreUnavailableError(MdmError):
    """The store cannot be reached, or its schema is missing or outdated (run `mdm init`)."""
