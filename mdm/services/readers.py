"""Readers of source extracts: CSV and JSON Lines, row by row with line numbers.

A file is read as chunks of whole records (extract_chunks.py), each parsed on its own, in
this process or in a worker. A row that cannot be parsed is yielded as a ParseFailure (it
will be quarantined); a file that cannot be read at all raises MalformedFileError naming the
file, line and column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mdm.domain import MalformedFileError
from mdm.services.extract_chunks import LONGEST_RECORD, TextChunk, csv_chunks, jsonl_chunks


@dataclass(slots=True)
class ParsedRow:
    line: int
    raw: dict[str, Any]


@dataclass(slots=True)
class ParseFailure:
    line: int
    raw: str
    reason: str


@dataclass(slots=True)
class ParsedChunk:
    """The rows of a chunk (dicts, with their line numbers) and the lines that did not parse."""

    rows: list[dict[str, Any]]
    lines: list[int]
    failures: list[ParseFailure]
    columns: dict[str, tuple[Any, ...]] | None = None  # CSV: each column's cells, by row

    @classmethod
    def of(cls, parsed: list[ParsedRow | ParseFailure]) -> ParsedChunk:
        rows = [p for p in parsed if p.__class__ is ParsedRow]
        failures = [p for p in parsed if p.__class__ is ParseFailure]
        return cls([r.raw for r in rows], [r.line for r in rows], failures)


@dataclass(frozen=True, slots=True)
class ExtractFormat:
    """How the chunks of one extract file are parsed (picklable, for worker processes)."""

    path: str
    format: str  # "csv" or "jsonl"
    delimiter: str = ","
    quotechar: str = '"'

    def parse(self, chunk: TextChunk) -> ParsedChunk:
        """The rows of one chunk, with their file line numbers."""
        if self.format == "csv":
            return _csv_rows(self, chunk)
        return ParsedChunk.of(list(_jsonl_rows(self.path, chunk)))


def read_chunks(
    path: Path,
    extract: ExtractFormat,
    *,
    encoding: str,
    required_columns: set[str],
    on_read: Callable[[int], None] | None = None,
) -> Iterator[TextChunk]:
    """The file as chunks of whole records; checks the key columns are there."""
    if extract.format == "csv":
        return csv_chunks(
            path,
            delimiter=extract.delimiter,
            quotechar=extract.quotechar,
            encoding=encoding,
            required_columns=required_columns,
            on_read=on_read,
        )
    chunks = jsonl_chunks(path, encoding=encoding, on_read=on_read)
    return _first_object_checked(chunks, str(path), required_columns)


def _csv_rows(extract: ExtractFormat, chunk: TextChunk) -> ParsedChunk:
    path, delimiter, header = extract.path, extract.delimiter, chunk.header
    reader = csv.reader(
        io.StringIO(chunk.text, newline=""),
        delimiter=delimiter,
        quotechar=extract.quotechar,
        strict=True,
    )
    width, offset = len(header), chunk.first_line - 1
    records: list[list[str]] = []
    lines: list[int] = []
    failures: list[ParseFailure] = []
    add_record, add_line = records.append, lines.append
    line, values = offset, None
    try:
        for values in reader:
            if len(values) == width:
                add_record(values)
                add_line(line + 1)
            elif values:
                reason = f"unparseable row: {len(values)} fields where the header has {width}"
                failures.append(ParseFailure(line + 1, delimiter.join(values), reason))
            line = offset + reader.line_num
    except csv.Error as exc:
        raise MalformedFileError(
            path, f"the file is truncated or badly quoted ({exc})", line=offset + reader.line_num
        ) from None
    if chunk.unterminated:
        raise MalformedFileError(
            path, f"a record runs on for more than {LONGEST_RECORD:,} characters", line=offset + 1
        )
    if values and len(values) < width and not chunk.text.endswith(("\n", "\r")):
        raise MalformedFileError(  # a short last record, without a line end: cut off
            path,
            f"the last line is truncated ({failures[-1].reason.split(': ', 1)[1]})",
            line=failures[-1].line,
            column=header[len(values)],
        )
    rows = [dict(zip(header, values, strict=True)) for values in records]
    # The same cells by column (a later duplicate column name wins, as in the dicts).
    columns = dict(zip(header, zip(*records, strict=True), strict=True)) if records else None
    return ParsedChunk(rows, lines, failures, columns)


def _jsonl_rows(path: str, chunk: TextChunk) -> Iterator[ParsedRow | ParseFailure]:
    lines = io.StringIO(chunk.text, newline="")
    for line_no, text in enumerate(lines, start=chunk.first_line):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            if not text.endswith("\n"):
                raise MalformedFileError(
                    path, f"the last line is truncated ({exc.msg})", line=line_no
                ) from None
            yield ParseFailure(
                line_no, text.rstrip("\n"), f"unparseable row: {exc.msg} at column {exc.colno}"
            )
            continue
        if not isinstance(value, dict):
            yield ParseFailure(line_no, text.rstrip("\n"), "unparseable row: not a JSON object")
            continue
        yield ParsedRow(line_no, value)


def _first_object_checked(
    chunks: Iterator[TextChunk], path: str, required_columns: set[str]
) -> Iterator[TextChunk]:
    """Pass chunks on, after checking the key fields in the file's first JSON object."""
    checked = False
    for chunk in chunks:
        if not checked:
            for line_no, value in _objects(chunk):
                missing = sorted(c for c in required_columns if c.split(".")[0] not in value)
                if missing:
                    raise MalformedFileError(
                        path,
                        f"missing key field(s) {', '.join(map(repr, missing))} in "
                        "the first record; is this the right file for the mapping?",
                        line=line_no,
                        column=missing[0],
                    )
                checked = True
                break
        yield chunk


def _objects(chunk: TextChunk) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_no, text in enumerate(io.StringIO(chunk.text, newline=""), start=chunk.first_line):
        if text.strip():
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                yield line_no, value
