"""One attribute of a mapping, compiled: read its cell(s), apply its steps, normalise its type.

A load maps every row through every field, so each field compiles to one closure with as few
calls as its mapping allows. Values that recur across an extract (countries, dates, currencies,
tax ids...) are memoised on the cell text, and on the country for country-dependent types,
refusals included; names, phones and websites are mostly distinct and are not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from mdm.config import FieldMapping
from mdm.mapping import _values as values
from mdm.mapping._phones import to_phone
from mdm.mapping._steps import STEPS, Step
from mdm.mapping._values import InvalidValue

CONTEXTUAL = {"phone", "tax_id"}  # types that need the record's country
_LENIENT = {"phone", "email", "domain"}  # types whose invalid values are dropped by default
_REPEATING = {"country", "currency", "boolean", "date", "timestamp", "tax_id", "lei", "decimal"}
_COSTLY_STEPS = {"date", "timestamp", "regex", "map"}
CACHE_SIZE = 16384

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
_CONTEXTUAL_TYPES: dict[str, Callable[[str, str | None], str]] = {
    "phone": to_phone,
    "tax_id": values.to_tax_id,
}


def getter(column: str, dotted: bool) -> Callable[[dict[str, Any]], Any]:
    """Reads a column of a raw row; dotted paths walk nested JSON objects."""
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


def as_text(value: Any) -> str | None:
    """A cell as text, or None when it is empty or blank."""
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


class Refusal:
    """Why a cell's value was refused (the InvalidValue message), in a column of values."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class Field:
    """One attribute's extraction, steps and type normalisation, a column at a time."""

    def __init__(self, name: str, attr_type: str, mapping: FieldMapping, dotted: bool) -> None:
        self.name, self.type, self.mapping = name, attr_type, mapping
        self.contextual = attr_type in CONTEXTUAL
        self.on_invalid = mapping.on_invalid or ("drop" if attr_type in _LENIENT else "quarantine")
        self.origin = ", ".join(mapping.columns) or "constant"
        self.getters = [getter(c, dotted) for c in mapping.columns]
        self.steps: list[Step] = [STEPS[s.op](s.params) for s in mapping.steps]
        plain_cell = mapping.const is None and len(self.getters) == 1 and not dotted
        self._column_name = mapping.columns[0] if plain_cell else None
        repeating = attr_type in _REPEATING or any(s.op in _COSTLY_STEPS for s in mapping.steps)
        self._outcome = _memoised(self._pipeline()) if repeating else None
        self._attempt = _attempt(self._pipeline())
        self._normalise = _CONTEXTUAL_TYPES.get(attr_type) or _PLAIN.get(attr_type) or str

    def extract(self, raw: dict[str, Any]) -> str | None:
        """The field's input text: a constant, one cell, or non-blank cells joined."""
        if self.mapping.const is not None:
            return as_text(self.mapping.const)
        if len(self.getters) == 1:
            return as_text(self.getters[0](raw))
        parts = [as_text(g(raw)) for g in self.getters]
        joined = self.mapping.join.join(p.strip() for p in parts if p and p.strip())
        return joined or None

    def cells(
        self, rows: list[dict[str, Any]], columns: dict[str, Sequence[Any]] | None = None
    ) -> list[str | None]:
        """The field's input text in each row (None where there is none).

        `columns` may give the rows' text cells by column name (as read from a CSV file).
        """
        name = self._column_name
        if name is None:
            return [self.extract(raw) for raw in rows]
        given = columns.get(name) if columns is not None else None
        if given is not None:  # text cells
            return [cell if cell and not cell.isspace() else None for cell in given]
        return [
            cell
            if (cell := raw.get(name)).__class__ is str and cell and not cell.isspace()
            else as_text(cell)
            for raw in rows
        ]

    def column(
        self, cells: list[str | None], countries: list[str | None] | None
    ) -> tuple[list[Any], bool]:
        """(values, any refused): a value, None or a Refusal for each cell.

        `countries` are the rows' countries, for contextual types only.
        """
        outcome = self._outcome
        if outcome is not None:  # recurring values: each distinct one once
            keys: list[Any] = (
                cells if countries is None else list(zip(cells, countries, strict=True))
            )
            first = (lambda key: key) if countries is None else (lambda key: key[0])
            known = {key: outcome(key) for key in set(keys) if first(key) is not None}
            values = [known.get(key) for key in keys]
            return values, any(v.__class__ is Refusal for v in known.values())
        try:
            texts = self._stepped(cells)
        except InvalidValue:  # a step refused a value: redo the column cell by cell
            attempt = self._attempt
            if countries is None:
                values = [attempt(c) if c is not None else None for c in cells]
            else:
                values = [
                    attempt(c, k) if c is not None else None
                    for c, k in zip(cells, countries, strict=True)
                ]
            return values, Refusal in set(map(type, values))
        return self._normalised(texts, countries)

    def _stepped(self, cells: list[str | None]) -> list[str | None]:
        """The cells through the field's steps, a step at a time; raises InvalidValue."""
        if not self.steps:
            return cells
        values = cells
        for step in self.steps:
            values = [step(v) if v is not None else None for v in values]
        return [v if v is not None and v.strip() else None for v in values]

    def _normalised(
        self, texts: list[str | None], countries: list[str | None] | None
    ) -> tuple[list[Any], bool]:
        if self.type == "string":  # the common cases, without a call per cell
            return [" ".join(t.split()) if t is not None else None for t in texts], False
        if self.type in ("text", "reference"):
            return [t.strip() if t is not None else None for t in texts], False
        normalise = self._normalise
        values: list[Any] = []
        append, refused = values.append, False
        for i, text in enumerate(texts):
            if text is None:
                append(None)
                continue
            try:
                append(normalise(text) if countries is None else normalise(text, countries[i]))
            except InvalidValue as exc:
                append(Refusal(str(exc)))
                refused = True
        return values, refused

    def _pipeline(self) -> Callable[..., str | None]:
        """text (and country, for contextual types) -> value; raises InvalidValue."""
        normalise: Callable[..., str] | None = _CONTEXTUAL_TYPES.get(self.type) or _PLAIN.get(
            self.type
        )
        steps = self.steps
        if not steps:  # the text is known to be non-blank here
            return normalise or (lambda text: text)

        def run(text: str, *country: str | None) -> str | None:
            for step in steps:
                text = step(text)
                if text is None:
                    return None
            if not text.strip():
                return None
            return normalise(text, *country) if normalise else text

        return run


def _attempt(prepare: Callable[..., str | None]) -> Callable[..., Any]:
    """prepare(), with a refusal returned as a Refusal rather than raised."""

    def attempt(*args: str | None) -> Any:
        try:
            return prepare(*args)
        except InvalidValue as exc:
            return Refusal(str(exc))

    return attempt


def _memoised(prepare: Callable[..., str | None]) -> Callable[[Any], Any]:
    """key -> prepare(*key) (key: the text, or (text, country)), cached, refusals included."""
    attempt = _attempt(prepare)

    @lru_cache(maxsize=CACHE_SIZE)
    def outcome(key: Any) -> Any:
        return attempt(*key) if key.__class__ is tuple else attempt(key)

    return outcome
