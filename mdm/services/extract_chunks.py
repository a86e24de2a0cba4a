"""Cutting an extract file into chunks of whole records, so that other processes can parse them.

The loading process only reads and decodes the text and finds where records end; parsing and
mapping happen wherever the chunks are sent. A CSV record can span lines inside a quoted
field, so a chunk ends only at a line end outside quotes. Finding one is a scan in C: pair up
the quotes (each opening a field, at its start, and closing it before a delimiter or a line
end), then take the last line end after an even number of quotes. A quote that breaks this
pairing (a literal quote inside an unquoted field, which the csv module allows, or bad quoting
it will reject) makes that block go through an exact record pattern instead. Line numbers are
counted as the file's own line iterator counts them, so errors and quarantine keep the file's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mdm.domain import MalformedFileError

BLOCK_CHARS = 1 << 21  # text read at a time: ~10,000 rows of a typical extract
LONGEST_RECORD = 1 << 24  # a record not ended within this many characters is refused


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Whole records of an extract as text, with the number of the file line they start on."""

    text: str
    first_line: int
    header: tuple[str, ...] = ()  # the CSV columns
    unterminated: bool = False  # cut inside a record longer than LONGEST_RECORD


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


def text_stream(
    path: Path, encoding: str, on_read: Callable[[int], None] | None
) -> io.TextIOWrapper:
    """The file as text, decoded as it is read; line ends are kept as they are."""
    raw = _CountingReader(path.open("rb"), on_read)
    return io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding=encoding, newline="")


def decode_error(path: Path, encoding: str, exc: UnicodeDecodeError) -> MalformedFileError:
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


def count_lines(text: str) -> int:
    """Line ends in text, as a newline='' text file counts lines (\\n, \\r\\n or \\r)."""
    if "\r" not in text:
        return text.count("\n")
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _last_line_end(text: str, stop: int) -> int:
    """Index just past the last line end before `stop`, or 0."""
    return max(text.rfind("\n", 0, stop), text.rfind("\r", 0, stop)) + 1


class CsvCutter:
    """Finds where the last whole CSV record of a text ends, under csv's strict quoting."""

    def __init__(self, delimiter: str, quotechar: str) -> None:
        d, q = re.escape(delimiter), re.escape(quotechar)
        start, end = f"(?<![^{d}{q}\\r\\n])", f"(?![^{d}{q}\\r\\n])"
        self._pairs = re.compile(f"(?:[^{q}]*+{start}{q}[^{q}]*+{q}{end})*+")
        run = f"[^{q}\\r\\n]*+"
        quoted = f"(?<![^{d}\\r\\n]){q}[^{q}]*+(?:{q}{q}[^{q}]*+)*+{q}"
        literal = f"(?<=[^{d}\\r\\n]){q}"
        record = f"(?>{run}(?:(?:{quoted}|{literal}){run})*+(?:\\r\\n|\\n|\\r))"
        self._records = re.compile(f"{record}*+")
        self._first = re.compile(record)
        self._quote, self._opens = quotechar, (delimiter, quotechar, "\r", "\n")

    def cut(self, text: str) -> int:
        """Index just past the last whole record of `text` (which starts at a record), or 0.

        The text is not the end of the file: a final \\r may be half of a \\r\\n.
        """
        stop = len(text) - 1 if text.endswith("\r") else len(text)
        paired = self._pairs.match(text, 0, stop).end()
        quote = self._quote
        loose = text.find(quote, paired, stop)
        if loose != -1:
            opens = loose == 0 or text[loose - 1] in self._opens
            if not opens or text.find(quote, loose + 1, stop) != -1:
                return self._records.match(text, 0, stop).end()  # not pairs: the exact way
            stop = loose  # a quoted field still open at the end of the text
        end = _last_line_end(text, stop)
        # The quotes before `paired` are whole pairs: count only between it and `end`.
        quotes = text.count(quote, paired, end) if end >= paired else text.count(quote, end, paired)
        while end and quotes % 2:  # inside a quoted field: go back a line
            previous = _last_line_end(text, end - 1)
            quotes -= text.count(quote, previous, end)
            end = previous
        return end

    def first(self, text: str) -> int:
        """Index just past the first whole record of `text`, or 0."""
        found = self._first.match(text, 0, len(text) - 1 if text.endswith("\r") else len(text))
        return found.end() if found else 0


def csv_chunks(
    path: Path,
    *,
    delimiter: str,
    quotechar: str,
    encoding: str,
    required_columns: set[str],
    on_read: Callable[[int], None] | None = None,
    block: int | None = None,
) -> Iterator[TextChunk]:
    """Chunks of whole records of a CSV file; checks the header has the required columns."""
    cutter = CsvCutter(delimiter, quotechar)
    with text_stream(path, encoding, on_read) as stream:
        try:
            blocks = _blocks(stream, block or BLOCK_CHARS)
            pending, eof = "", False
            while not (end := cutter.first(pending)) and not eof:
                more = next(blocks, "")
                pending, eof = pending + more, not more
            header_text, pending = (pending[:end], pending[end:]) if end else (pending, "")
            header = _header(path, header_text, delimiter, quotechar, required_columns)
            line = count_lines(header_text) + 1
            yield from _cut(blocks, pending, line, cutter.cut, header)
        except UnicodeDecodeError as exc:
            raise decode_error(path, encoding, exc) from None


def jsonl_chunks(
    path: Path,
    *,
    encoding: str,
    on_read: Callable[[int], None] | None = None,
    block: int | None = None,
) -> Iterator[TextChunk]:
    """Chunks of whole lines of a JSON Lines file."""
    with text_stream(path, encoding, on_read) as stream:
        try:
            yield from _cut(_blocks(stream, block or BLOCK_CHARS), "", 1, _whole_lines)
        except UnicodeDecodeError as exc:
            raise decode_error(path, encoding, exc) from None


def _whole_lines(text: str) -> int:
    """Index just past the last line end (a final \r may be half of a \r\n), or 0."""
    return _last_line_end(text, len(text) - 1 if text.endswith("\r") else len(text))


def _blocks(stream: io.TextIOWrapper, size: int) -> Iterator[str]:
    while block := stream.read(size):
        yield block


def _cut(
    blocks: Iterator[str],
    pending: str,
    line: int,
    cut: Callable[[str], int],
    header: tuple[str, ...] = (),
) -> Iterator[TextChunk]:
    """Whole-record chunks of the text in `pending` and then in `blocks`."""
    for block in blocks:
        pending += block
        end = cut(pending)
        if not end and len(pending) <= LONGEST_RECORD:
            continue
        chunk = TextChunk(pending[:end] if end else pending, line, header, unterminated=not end)
        yield chunk
        line += count_lines(chunk.text)
        pending = pending[end:] if end else ""
    if pending:
        yield TextChunk(pending, line, header)


def _header(
    path: Path, text: str, delimiter: str, quotechar: str, required_columns: set[str]
) -> tuple[str, ...]:
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar, strict=True
    )
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise MalformedFileError(
            str(path), f"the file is truncated or badly quoted ({exc})", line=reader.line_num
        ) from None
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
    return tuple(header)
