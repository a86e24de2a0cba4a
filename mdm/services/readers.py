"""Readers of source extracts: CSV and JSON Lines, row by row with line numbers.

A row that cannot be parsed is yielded as a ParseFailure (it will be quarantined); a file
that cannot be read at all raises MalformedFileError naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mdm.domain import MalformedFileError


@dataclass(slots=True)
class ParsedRow:
    line: int
    raw: dict[str, Any]


@dataclass(slots=True)
class ParseFailure:
    line: int
    raw: str
    reason: str


class _CountingReader(io.RawIOBase):
    """Wraps a binary file and reports how many bytes have been read (for progress bars)."""

    def __init__(self, inner: BinaryIO, on_read: Callable[[int], None] | None) -> None:
        self._inner, self._on_read = inner, on_read

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._inner.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        n = self._inner.readinto(buffer)
        if n and self._on_read:
            self._on_read(n)
        return n or 0


def _text_stream(
    path: Path, encoding: str, on_read: Callable[[int], None] | None
) -> io.TextIOWrapper:
    raw = _CountingReader(path.open("rb"), on_read)
    return io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding=encoding, newline="")


def _decode_error(path: Path, encoding: str, exc: UnicodeDecodeError) -> MalformedFileError:
    """Find the line and byte of the first undecodable text (the decoder works in blocks)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as bad:
                return MalformedFileError(
                    str(path),
                    f"not valid {encoding} text ({bad.reason} at byte {bad.start + 1} of the "
                    f"line: {line[max(0, bad.start - 10) : bad.end + 10]!r}); set the source's "
                    "`encoding`",
                    line=number,
                )
    return MalformedFileError(str(path), f"not valid {encoding} text ({exc.reason})")


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, io.SEEK_END)
        return handle.read(1) in (b"\n", b"\r")


def read_csv(
    path: Path,
    *,
    delimiter: str,
    quotechar: str,
    encoding: str,
    required_columns: set[str],
    on_read: Callable[[int], None] | None = None,
) -> Iterator[ParsedRow | ParseFailure]:
    """Rows of a CSV file as dicts keyed by header; checks the header has the required columns."""
    with _text_stream(path, encoding, on_read) as stream:
        reader = csv.reader(stream, delimiter=delimiter, quotechar=quotechar, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise MalformedFileError(str(path), "the file is empty (no header row)", line=1)
            header = [h.strip() for h in header]
            missing = sorted(required_columns - set(header))
            if missing:
                raise MalformedFileError(
                    str(path),
                    f"missing column(s) {', '.join(map(repr, missing))} in the header "
                    f"(found: {', '.join(header)}); check the delimiter {delimiter!r} and the mapping",
                    line=1,
                    column=missing[0],
                )
            width = len(header)
            line = reader.line_num
            held: ParseFailure | None = None  # a short row is held until we know it is not the last
            short, held_width = False, 0
            for values in reader:
                if held is not None:
                    yield held
                    held = None
                start, line = line + 1, reader.line_num
                if len(values) == width:
                    yield ParsedRow(start, dict(zip(header, values, strict=True)))
                elif values:
                    text = delimiter.join(values)
                    short, held_width = len(values) < width, len(values)
                    held = ParseFailure(
                        start,
                        text,
                        f"unparseable row: {len(values)} fields where the header has {width}",
                    )
            if held is not None:
                if short and not _ends_with_newline(path):
                    raise MalformedFileError(
                        str(path),
                        f"the last line is truncated ({held.reason.split(': ', 1)[1]})",
                        line=held.line,
                        column=header[held_width],
                    )
                yield held
        except UnicodeDecodeError as exc:
            raise _decode_error(path, encoding, exc) from None
        except csv.Error as exc:
            raise MalformedFileError(
                str(path), f"the file is truncated or badly quoted ({exc})", line=reader.line_num
            ) from None


def read_jsonl(
    path: Path,
    *,
    encoding: str,
    required_columns: set[str],
    on_read: Callable[[int], None] | None = None,
) -> Iterator[ParsedRow | ParseFailure]:
    """Objects of a JSON Lines file; a line that is not a JSON object is a ParseFailure."""
    checked = False
    line_no = 0
    with _text_stream(path, encoding, on_read) as stream:
        try:
            for line_no, text in enumerate(stream, start=1):  # noqa: B007 - used after the loop
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    if not text.endswith("\n"):
                        raise MalformedFileError(
                            str(path), f"the last line is truncated ({exc.msg})", line=line_no
                        ) from None
                    yield ParseFailure(
                        line_no,
                        text.rstrip("\n"),
                        f"unparseable row: {exc.msg} at column {exc.colno}",
                    )
                    continue
                if not isinstance(value, dict):
                    yield ParseFailure(
                        line_no, text.rstrip("\n"), "unparseable row: not a JSON object"
                    )
                    continue
                if not checked:
                    missing = sorted(c for c in required_columns if c.split(".")[0] not in value)
                    if missing:
                        raise MalformedFileError(
                            str(path),
                            f"missing key field(s) {', '.join(map(repr, missing))} in "
                            "the first record; is this the right file for the mapping?",
                            line=line_no,
                            column=missing[0],
                        )
                    checked = True
                yield ParsedRow(line_no, value)
        except UnicodeDecodeError as exc:
            raise _decode_error(path, encoding, exc) from None
