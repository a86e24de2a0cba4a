"""Chunks of whole records: cut anywhere, parsed on their own, they read as the whole file does."""

from __future__ import annotations

import csv
import io
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdm.domain import MalformedFileError
from mdm.services import extract_chunks
from mdm.services.extract_chunks import CsvCutter, count_lines, csv_chunks, jsonl_chunks
from mdm.services.readers import ExtractFormat


def whole_file_rows(text: str, delimiter: str = ",", quotechar: str = '"') -> list[tuple]:
    """The file read in one go with csv, as the reader did before chunks: (line, row or text)."""
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar, strict=True
    )
    header = [h.strip() for h in next(reader)]
    out, line = [], reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if len(values) == len(header):
            out.append((start, dict(zip(header, values, strict=True))))
        elif values:
            out.append((start, delimiter.join(values)))
    return out


def chunked_rows(path: Path, block: int, delimiter: str = ",", quotechar: str = '"') -> list[tuple]:
    extract = ExtractFormat(str(path), "csv", delimiter, quotechar)
    out = []
    chunks = csv_chunks(
        path,
        delimiter=delimiter,
        quotechar=quotechar,
        encoding="utf-8",
        required_columns=set(),
        block=block,
    )
    for chunk in chunks:
        parsed = extract.parse(chunk)
        out += list(zip(parsed.lines, parsed.rows, strict=True))
        out += [(f.line, f.raw) for f in parsed.failures]
    return sorted(out, key=lambda item: item[0])


FIELD = st.text(alphabet='ab,"\n\r x;', max_size=8)


def _csv_text(rows: list[list[str]], newline: str, literal_quotes: bool) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(["k", "v", "w"])
    for row in rows:
        writer.writerow(row)
    text = buffer.getvalue()
    if literal_quotes:  # a quote inside an unquoted field, which csv reads as a character
        text = text.replace(f"{newline}k", f'{newline}a"b,c,d{newline}k', 1)
    return text


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(FIELD, min_size=2, max_size=4), max_size=25),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    block=st.integers(min_value=1, max_value=40),
    literal_quotes=st.booleans(),
)
def test_chunked_reading_gives_the_rows_and_lines_of_reading_the_whole_file(
    tmp_path, rows, newline, block, literal_quotes
):
    text = _csv_text(rows, newline, literal_quotes)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    assert chunked_rows(path, block) == whole_file_rows(text)


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ('a,"b\nc",d\ne,"f', len('a,"b\nc",d\n')),  # a quoted field still open at the end
        ('a,"x\ny"', 0),  # maybe followed by a doubled quote: no boundary known yet
        ('"a\nb"\nc\n', len('"a\nb"\nc\n')),
        ('a,b"c\nd,e\n', len('a,b"c\nd,e\n')),  # a literal quote: the exact pattern
        ('a,"b"c,d\ne\n', len('a,"b"c,d\ne\n')),  # bad quoting is left to csv to refuse
        ('"a""\nb",c\nd', len('"a""\nb",c\n')),
        ("a\r\nb\r", len("a\r\n")),  # the last \r may be half of a \r\n
        ("a\rb\rc", len("a\rb\r")),
        ("no line end", 0),
    ],
)
def test_the_cutter_ends_chunks_only_after_whole_records(text, cut):
    assert CsvCutter(",", '"').cut(text) == cut


def test_a_malformed_file_error_crosses_processes_whole():
    error = MalformedFileError("/x/f.csv", "bad quoting", line=7, column="Name")
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.reason, again.line, again.column) == (
        "/x/f.csv",
        "bad quoting",
        7,
        "Name",
    )
    assert str(again) == str(error)


def test_line_counts_follow_the_text_file_iterator():
    for text in ["", "a\n", "a\r\nb\rc\n", "\r\r\n\n", "x\ry\r"]:
        assert count_lines(text) == len(io.StringIO(text, newline="").readlines())


def _read_all(path: Path, block: int) -> None:
    extract = ExtractFormat(str(path), "csv")
    chunks = csv_chunks(
        path, delimiter=",", quotechar='"', encoding="utf-8", required_columns={"k"}, block=block
    )
    for chunk in chunks:
        extract.parse(chunk)


def test_an_unclosed_quote_gives_the_error_and_line_of_reading_the_whole_file(tmp_path):
    text = 'k,v\n1,a\n2,"' + "x\n" * 300 + "more\n"
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(csv.Error) as whole:
        whole_file_rows(text)
    with pytest.raises(MalformedFileError) as chunked:
        _read_all(path, block=64)
    assert str(whole.value) in chunked.value.reason
    assert chunked.value.line == 303  # where csv stopped: the end of the file


def test_a_record_that_runs_on_past_the_longest_is_refused_with_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(extract_chunks, "LONGEST_RECORD", 50)
    path = tmp_path / "f.csv"
    path.write_text("k,v\n1,a\n" + ",".join(["x"] * 100) + "\n", encoding="utf-8")
    with pytest.raises(MalformedFileError, match="runs on") as caught:
        _read_all(path, block=16)
    assert caught.value.line == 3


def test_json_lines_chunks_keep_their_line_numbers(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2}\r\nnot json\n{"id": 3}\n', encoding="utf-8")
    extract = ExtractFormat(str(path), "jsonl")
    seen = []
    for chunk in jsonl_chunks(path, encoding="utf-8", block=5):
        parsed = extract.parse(chunk)
        seen += [(line, row["id"]) for line, row in zip(parsed.lines, parsed.rows, strict=True)]
        seen += [(f.line, f.raw) for f in parsed.failures]
    assert sorted(seen) == [(1, 1), (3, 2), (4, "not json"), (5, 3)]
