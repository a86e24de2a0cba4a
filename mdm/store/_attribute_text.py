"""Attribute documents (JSON objects, one a line) as Arrow string columns, one per name."""

from __future__ import annotations

import io
from collections.abc import Sequence

import orjson
import pyarrow as pa
import pyarrow.json as pj


class AttributeReader:
    """Reads blocks of documents as one string column per configured name; a name absent or
    null in a document is null.

    A value that is not text (a number stored by an old mapping) is given as Python's `str`
    of it: Arrow refuses such a block and its documents are decoded one by one.

    Arrow's reader spends time on every field of its schema in every row, present or not, so
    after the first block it is given only the names met so far (~40% less with 9 of 25
    names held); a block holding another configured name is read again with all of them.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._all = _options(self._names, "ignore")
        self._met: list[str] | None = None  # names held by the blocks read so far

    def read(self, documents: bytes) -> pa.Table:
        met = self._met
        if met is not None and len(met) < len(self._names):
            table = self._read_met(documents, met)
            if table is not None:
                return table
        table = self._read_all(documents)
        held = {n for n in self._names if table[n].null_count < table.num_rows}
        self._met = [n for n in self._names if n in held or n in (met or ())]
        return table

    def _read_all(self, documents: bytes) -> pa.Table:
        try:
            return pj.read_json(io.BytesIO(documents), parse_options=self._all)
        except pa.ArrowInvalid:
            rows = [orjson.loads(line) for line in documents.split(b"\n")]
            return pa.table(
                {n: pa.array([text_of(r.get(n)) for r in rows], pa.string()) for n in self._names}
            )

    def _read_met(self, documents: bytes, met: list[str]) -> pa.Table | None:
        """The block read for the names met so far; None if it holds another of the names
        or a value that is not text."""
        # Fields outside the schema are inferred rather than refused: the names not
        # configured cost nothing, and another configured one is seen.
        try:
            table = pj.read_json(io.BytesIO(documents), parse_options=_options(met, "infer"))
        except pa.ArrowInvalid:
            return None
        if not set(table.column_names).difference(met).isdisjoint(self._names):
            return None
        rows = table.num_rows
        return pa.table(
            {n: table[n] if n in met else pa.nulls(rows, pa.string()) for n in self._names}
        )


def _options(names: Sequence[str], others: str) -> pj.ParseOptions:
    schema = pa.schema([(n, pa.string()) for n in names])
    return pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior=others)


def text_of(value: object) -> str | None:
    """A decoded JSON value as the text the matching input holds (None stays None)."""
    return None if value is None else value if isinstance(value, str) else str(value)
