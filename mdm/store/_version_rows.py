"""Source-record versions encoded for the driver, so that ingestion workers can prepare them.

Mapping runs in worker processes. Encoding there what each record brings (its JSON as text,
its source timestamp in the backend's own form) leaves the writing process nothing per row but
the executemany. The encoding is the store's own: the engine's JSON serialiser and the column
types' bind processors for the dialect, so the stored values are those `bulk_insert` stores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from orjson import dumps as orjson_dumps

from mdm.store._engine import json_text
from mdm.store._types import UtcDateTime

# What one record brings to its version row, in this order (see VersionEncoder.payload).
PAYLOAD_COLUMNS = (
    "source_id",
    "raw",
    "attributes",
    "issues",
    "content_hash",
    "source_updated_at",
    "line",
)
JSON_COLUMNS = frozenset({"raw", "attributes", "issues"})
payload_source_id = itemgetter(0)
payload_content_hash = itemgetter(4)


@dataclass(frozen=True, slots=True)
class VersionBatch:
    """What every version row written by one ingestion batch shares."""

    entity_type: str
    system: str
    batch_id: int


class VersionEncoder:
    """Encodes version payloads for one backend. Picklable, so worker processes can use it."""

    def __init__(self, dialect: str, serialiser: Callable[[Any], str] = json_text) -> None:
        self._dialect_name, self._serialiser = dialect, serialiser
        dialect_obj = sa.engine.URL.create(dialect).get_dialect()()
        time = UtcDateTime()._cached_bind_processor(dialect_obj)
        # Formatting a datetime costs microseconds here; extracts repeat their timestamps.
        self._time = lru_cache(maxsize=65536)(time) if time else None
        self._time_result = UtcDateTime()._cached_result_processor(dialect_obj, None)
        self._flag = sa.Boolean()._cached_bind_processor(dialect_obj)

    @classmethod
    def for_connection(cls, connection: sa.Connection) -> VersionEncoder:
        dialect = connection.dialect
        serialiser = getattr(dialect, "_json_serializer", None) or json_text
        return cls(f"{dialect.name}+{dialect.driver}", serialiser)

    def __reduce__(self) -> tuple[Any, ...]:
        return (VersionEncoder, (self._dialect_name, self._serialiser))

    def payload(
        self,
        source_id: str,
        raw: dict[str, Any],
        attributes: dict[str, Any],
        issues: list[str] | None,
        content_hash: str,
        source_updated_at: datetime | None,
        line: int | None,
    ) -> tuple[Any, ...]:
        """The record's part of its version row, ready for the driver (PAYLOAD_COLUMNS)."""
        dumps = self._serialiser
        return (
            source_id,
            dumps(raw),
            dumps(attributes),
            dumps(issues),
            content_hash,
            self.time(source_updated_at),
            line,
        )

    def payloads(
        self,
        source_ids: list[str],
        raws: list[dict[str, Any]],
        attributes: list[dict[str, Any]],
        issues: list[list[str] | None],
        content_hashes: list[str],
        source_updated_at: list[datetime | None],
        lines: list[int | None],
    ) -> list[tuple[Any, ...]]:
        """payload() of many records given as parallel lists, a column at a time."""
        dumps = self._serialiser
        if dumps is json_text:  # the same serialisation, without a call per value
            raw_texts = [orjson_dumps(r, default=str).decode() for r in raws]
            attribute_texts = [orjson_dumps(a, default=str).decode() for a in attributes]
        else:
            raw_texts, attribute_texts = list(map(dumps, raws)), list(map(dumps, attributes))
        null, time = dumps(None), self._time
        times = (
            source_updated_at
            if time is None
            else [t if t is None else time(t) for t in source_updated_at]
        )
        return list(
            zip(
                source_ids,
                raw_texts,
                attribute_texts,
                [null if i is None else dumps(i) for i in issues],
                content_hashes,
                times,
                lines,
                strict=True,
            )
        )

    def time(self, value: datetime | None) -> Any:
        """A UTC timestamp as the driver receives it."""
        return value if value is None or self._time is None else self._time(value)

    def flag(self, value: bool) -> Any:
        return self._flag(value) if self._flag else value

    def source_updated_at(self, payload: tuple[Any, ...]) -> datetime | None:
        """The payload's source timestamp back as an aware datetime (to compare versions)."""
        value = payload[5]
        return value if self._time_result is None else self._time_result(value)
