"""Compile a source mapping into a function from raw rows to mapped records.

Compilation happens once per load. Rows are mapped a chunk at a time, column by column
(see _fields.py): each field's cells in one pass, each distinct recurring value once, and
then one record per row. Per-row interpretation costs more than the normalising itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from mdm.config import EntityTypeConfig, SourceEntityConfig
from mdm.domain import MappedRecord, QuarantinedRow
from mdm.mapping import _values as values
from mdm.mapping._fields import CACHE_SIZE, Field, Refusal, as_text, getter
from mdm.mapping._steps import STEPS, Step
from mdm.mapping._values import InvalidValue

_MISSING_KEY = "missing key: no source id in the key column"
_blake2b, _dumps, _SORTED = hashlib.blake2b, orjson.dumps, orjson.OPT_SORT_KEYS


@dataclass(slots=True)
class MappedRows:
    """Rows mapped together: their records as parallel lists, and the rows refused."""

    source_ids: list[str] = field(default_factory=list)
    raws: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    updated: list[datetime | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    issues: list[list[str] | None] = field(default_factory=list)  # None: no issues
    refused: list[QuarantinedRow] = field(default_factory=list)
    refused_at: list[int] = field(default_factory=list)  # their places among the rows given

    def add(self, source_id, raw, attributes, content_hash, updated, line, issues) -> None:  # noqa: ANN001
        self.source_ids.append(source_id)
        self.raws.append(raw)
        self.attributes.append(attributes)
        self.hashes.append(content_hash)
        self.updated.append(updated)
        self.lines.append(line)
        self.issues.append(issues)


class RowMapper:
    """Maps raw rows of one (system, entity type) export to canonical attributes."""

    def __init__(
        self,
        entity: EntityTypeConfig,
        source: SourceEntityConfig,
        default_country: str | None = None,
    ) -> None:
        self.definition = (entity, source, default_country)  # to rebuild it in a worker
        dotted = source.format == "jsonl"
        fields = [
            Field(name, entity.attributes[name].type, fm, dotted)
            for name, fm in source.fields.items()
        ]
        # Country-dependent types run last, once the record's country is known.
        self._fields = sorted(fields, key=lambda f: f.contextual)
        self._key_getters = [getter(c, dotted) for c in source.key_columns]
        self._key_sep = source.key_separator
        self._updated = source.updated_at
        self._updated_getter = (
            getter(source.updated_at.from_, dotted) if source.updated_at else None
        )
        self._parse_updated = (
            self._moment_parser(STEPS["timestamp"]({"formats": list(source.updated_at.formats)}))
            if source.updated_at and source.updated_at.formats
            else _memoised_moment
        )
        self._default_country = source.default_country or default_country

    @property
    def columns(self) -> set[str]:
        """Top-level input columns the mapping reads (key, timestamp and fields)."""
        names = set()
        for fm_field in self._fields:
            names.update(c.split(".")[0] for c in fm_field.mapping.columns)
        return names

    def map_row(self, raw: dict[str, Any], line: int) -> MappedRecord | QuarantinedRow:
        """Map one row; return the record, or the row with every reason it was refused."""
        return self.map_rows([raw], [line])[0]

    def map_rows(
        self, rows: list[dict[str, Any]], lines: list[int]
    ) -> list[MappedRecord | QuarantinedRow]:
        """Map rows (with their line numbers); each gives its record, or the row refused."""
        mapped = self.map_columns(rows, lines)
        records = iter(
            MappedRecord(*fields)
            for fields in zip(
                mapped.source_ids,
                mapped.raws,
                mapped.attributes,
                mapped.hashes,
                mapped.updated,
                mapped.lines,
                [issues or [] for issues in mapped.issues],
                strict=True,
            )
        )
        refused = dict(zip(mapped.refused_at, mapped.refused, strict=True))
        return [refused[i] if i in refused else next(records) for i in range(len(rows))]

    def map_columns(
        self,
        rows: list[dict[str, Any]],
        lines: list[int],
        columns_given: dict[str, Sequence[Any]] | None = None,
    ) -> MappedRows:
        """Map rows (with their line numbers) a field at a time, into parallel lists.

        `columns_given` may hold the rows' cells by column (a CSV reader has them), to save
        reading them out of the dicts again.
        """
        keys = self._keys(rows)
        doubtful = {i for i, key in enumerate(keys) if key is None}
        columns: list[tuple[Field, list[Any]]] = []
        by_name: dict[str, list[Any]] = {}
        for f in self._fields:
            countries = self._countries(f, by_name, len(rows)) if f.contextual else None
            column, refused = f.column(f.cells(rows, columns_given), countries)
            if refused:
                doubtful.update(i for i, v in enumerate(column) if v.__class__ is Refusal)
            if f.mapping.required and None in column:
                doubtful.update(i for i, v in enumerate(column) if v is None)
            columns.append((f, column))
            by_name[f.name] = column
        moments = self._moments(rows)
        doubtful.update(i for i, m in enumerate(moments) if m.__class__ is Refusal)
        # Columns empty in every row add nothing to any record.
        filled = [(f.name, c) for f, c in columns if c.count(None) < len(c)]
        names = [name for name, _ in filled]
        table = zip(*(c for _, c in filled), strict=True) if filled else [()] * len(rows)
        attributes = [
            dict(zip(names, values, strict=True))
            if None not in values
            else {n: v for n, v in zip(names, values, strict=True) if v is not None}
            for values in table
        ]
        if doubtful:
            return self._with_doubtful(rows, lines, keys, attributes, moments, columns, doubtful)
        hashes = [
            _blake2b(_dumps([raw, attrs], option=_SORTED, default=str), digest_size=16).hexdigest()
            for raw, attrs in zip(rows, attributes, strict=True)
        ]
        return MappedRows(keys, rows, attributes, hashes, moments, lines, [None] * len(rows))

    def _with_doubtful(
        self,
        rows: list[dict[str, Any]],
        lines: list[int],
        keys: list[str | None],
        attributes: list[dict[str, Any]],
        moments: list[Any],
        columns: list[tuple[Field, list[Any]]],
        doubtful: set[int],
    ) -> MappedRows:
        out = MappedRows()
        for i, raw in enumerate(rows):
            if i in doubtful:
                self._checked(out, raw, lines[i], keys[i], columns, i, moments[i])
            else:
                attrs = attributes[i]
                out.add(keys[i], raw, attrs, content_hash(raw, attrs), moments[i], lines[i], None)
        return out

    def _keys(self, rows: list[dict[str, Any]]) -> list[str | None]:
        sep = self._key_sep
        parts = [[as_text(g(raw)) for raw in rows] for g in self._key_getters]
        if len(parts) == 1:
            return [p.strip() if p else None for p in parts[0]]
        return [
            sep.join(p.strip() for p in ps) if all(ps) else None for ps in zip(*parts, strict=True)
        ]

    def _countries(self, f: Field, by_name: dict[str, list[Any]], count: int) -> list[str | None]:
        """The country of each row for a contextual field: its mapped attribute, or the default."""
        default, column = self._default_country, by_name.get(f.mapping.country_from)
        if column is None:
            return [default] * count
        return [(v if v.__class__ is str else None) or default for v in column]

    def _moments(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Each row's source timestamp: a datetime, None, or a Refusal."""
        if self._updated_getter is None:
            return [None] * len(rows)
        texts = [as_text(self._updated_getter(raw)) for raw in rows]
        known = {t: self._parse_updated(t) for t in set(texts) if t is not None}
        return [known.get(t) for t in texts]

    def _checked(
        self,
        out: MappedRows,
        raw: dict[str, Any],
        line: int,
        source_id: str | None,
        columns: list[tuple[Field, list[Any]]],
        i: int,
        moment: Any,
    ) -> None:
        """One row with a missing key, refused or missing values: every reason, in order."""
        reasons: list[str] = [] if source_id else [_MISSING_KEY]
        issues: list[str] = []
        attributes: dict[str, Any] = {}
        for f, column in columns:
            value, where = column[i], f"field {f.name!r} (from {f.origin})"
            if value.__class__ is Refusal:
                strict = f.on_invalid == "quarantine" or f.mapping.required
                (reasons if strict else issues).append(f"{where}: {value.message}")
            elif value is not None:
                attributes[f.name] = value
            elif f.mapping.required:
                reasons.append(f"{where}: required but missing")
        if moment.__class__ is Refusal:
            reasons.append(f"last-modified time (from {self._updated.from_}): {moment.message}")
            moment = None
        if reasons:
            out.refused.append(QuarantinedRow(line, raw, reasons, source_id))
            out.refused_at.append(i)
        else:
            out.add(
                source_id,
                raw,
                attributes,
                content_hash(raw, attributes),
                moment,
                line,
                issues or None,
            )

    @staticmethod
    def _moment_parser(parse: Step) -> Callable[[str], Any]:
        """text -> UTC datetime, None or Refusal, memoised: extracts repeat their timestamps."""

        @lru_cache(maxsize=CACHE_SIZE)
        def moment(text: str) -> Any:
            try:
                iso = parse(text)
            except InvalidValue as exc:
                return Refusal(str(exc))
            return datetime.fromisoformat(iso).astimezone(UTC) if iso else None

        return moment


@lru_cache(maxsize=CACHE_SIZE)
def _memoised_moment(text: str) -> Any:
    """An ISO timestamp as a UTC datetime, or its Refusal (to_timestamp, without a round trip)."""
    try:
        return values.to_moment(text)
    except InvalidValue as exc:
        return Refusal(str(exc))


def content_hash(raw: dict[str, Any], attributes: dict[str, Any]) -> str:
    """Hash of the raw payload and the mapped attributes: equal hashes mean nothing changed."""
    data = _dumps([raw, attributes], option=_SORTED, default=str)
    return _blake2b(data, digest_size=16).hexdigest()
