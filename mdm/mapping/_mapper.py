"""Compile a source mapping into a function from a raw row to a mapped record.

Compilation happens once per load, so the per-row path is a flat list of closures.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from mdm.config import EntityTypeConfig, FieldMapping, SourceEntityConfig
from mdm.domain import MappedRecord, QuarantinedRow
from mdm.mapping import _values as values
from mdm.mapping._steps import STEPS, Step
from mdm.mapping._values import InvalidValue

_CONTEXTUAL = {"phone", "tax_id"}  # types that need the record's country
_LENIENT = {"phone", "email", "domain"}  # types whose invalid values are dropped by default

_PLAIN: dict[str, Callable[[str], str]] = {
    "string": lambda v: " ".join(v.split()),
    "text": str.strip,
    "reference": str.strip,
    "country": values.to_country,
    "email": values.to_email,
    "domain": values.to_domain,
    "lei": values.to_lei,
    "date": values.to_date,
    "timestamp": values.to_timestamp,
    "integer": values.to_integer,
    "decimal": values.to_decimal,
    "boolean": values.to_boolean,
    "currency": values.to_currency,
}


def _getter(column: str, dotted: bool) -> Callable[[dict[str, Any]], Any]:
    if not dotted or "." not in column:
        return lambda raw: raw.get(column)
    path = column.split(".")

    def walk(raw: dict[str, Any]) -> Any:
        node: Any = raw
        for part in path:
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    return walk


def _as_text(value: Any) -> str | None:
    if value.__class__ is str:  # the common case: CSV cells
        return value if value and not value.isspace() else None
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    return text if text.strip() else None


class _Field:
    """One attribute's extraction, steps and type normalisation."""

    def __init__(self, name: str, attr_type: str, mapping: FieldMapping, dotted: bool) -> None:
        self.name, self.type, self.mapping = name, attr_type, mapping
        self.contextual = attr_type in _CONTEXTUAL
        self.on_invalid = mapping.on_invalid or ("drop" if attr_type in _LENIENT else "quarantine")
        self.origin = ", ".join(mapping.columns) or "constant"
        self.getters = [_getter(c, dotted) for c in mapping.columns]
        self.steps: list[Step] = [STEPS[s.op](s.params) for s in mapping.steps]
        self.normalise = _PLAIN.get(attr_type)

    def extract(self, raw: dict[str, Any]) -> str | None:
        if self.mapping.const is not None:
            return _as_text(self.mapping.const)
        if len(self.getters) == 1:
            return _as_text(self.getters[0](raw))
        parts = [_as_text(g(raw)) for g in self.getters]
        joined = self.mapping.join.join(p.strip() for p in parts if p and p.strip())
        return joined or None

    def value(self, raw: dict[str, Any], country: str | None) -> str | None:
        text = self.extract(raw)
        for step in self.steps:
            if text is None:
                break
            text = step(text)
        if text is None or not text.strip():
            return None
        if self.type == "phone":
            return values.to_phone(text, country)
        if self.type == "tax_id":
            return values.to_tax_id(text, country)
        return self.normalise(text) if self.normalise else text


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
            _Field(name, entity.attributes[name].type, fm, dotted)
            for name, fm in source.fields.items()
        ]
        # Country-dependent types run last, once the record's country is known.
        self._fields = sorted(fields, key=lambda f: f.contextual)
        self._key_getters = [_getter(c, dotted) for c in source.key_columns]
        self._key_sep = source.key_separator
        self._updated = source.updated_at
        self._updated_getter = (
            _getter(source.updated_at.from_, dotted) if source.updated_at else None
        )
        self._updated_parse = (
            STEPS["timestamp"]({"formats": list(source.updated_at.formats)})
            if source.updated_at and source.updated_at.formats
            else values.to_timestamp
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
        parts = [_as_text(g(raw)) for g in self._key_getters]
        source_id = self._key_sep.join(p.strip() for p in parts) if all(parts) else None
        reasons: list[str] = [] if source_id else ["missing key: no source id in the key column"]
        issues: list[str] = []
        attributes: dict[str, Any] = {}
        for f in self._fields:
            try:
                value = f.value(raw, self._country(f, attributes))
            except InvalidValue as exc:
                message = f"field {f.name!r} (from {f.origin}): {exc}"
                quarantine = f.on_invalid == "quarantine" or f.mapping.required
                (reasons if quarantine else issues).append(message)
                continue
            if value is None and f.mapping.required:
                reasons.append(f"field {f.name!r} (from {f.origin}): required but missing")
            if value is not None:
                attributes[f.name] = value
        updated_at = self._timestamp(raw, reasons)
        if reasons:
            return QuarantinedRow(line=line, raw=raw, reasons=reasons, source_id=source_id)
        return MappedRecord(
            source_id=source_id,
            raw=raw,
            attributes=attributes,
            content_hash=content_hash(raw, attributes),
            source_updated_at=updated_at,
            line=line,
            issues=issues,
        )

    def _country(self, f: _Field, attributes: dict[str, Any]) -> str | None:
        if not f.contextual:
            return None
        return attributes.get(f.mapping.country_from) or self._default_country

    def _timestamp(self, raw: dict[str, Any], reasons: list[str]) -> datetime | None:
        if self._updated_getter is None:
            return None
        text = _as_text(self._updated_getter(raw))
        if text is None:
            return None
        try:
            iso = self._updated_parse(text)
        except InvalidValue as exc:
            reasons.append(f"last-modified time (from {self._updated.from_}): {exc}")
            return None
        return datetime.fromisoformat(iso).astimezone(UTC) if iso else None


def content_hash(raw: dict[str, Any], attributes: dict[str, Any]) -> str:
    """Hash of the raw payload and the mapped attributes: equal hashes mean nothing changed."""
    data = orjson.dumps([raw, attributes], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(data, digest_size=16).hexdigest()
