"""Attribute documents read as string columns: names met late, values that are not text."""

from __future__ import annotations

import orjson

from mdm.store._attribute_text import AttributeReader

NAMES = ["name", "city", "phone", "website"]


def _lines(*documents: dict) -> bytes:
    return b"\n".join(orjson.dumps(d) for d in documents)


def test_a_name_first_met_in_a_later_block_is_read():
    reader = AttributeReader(NAMES)
    first = reader.read(_lines({"name": "A"}, {"name": "B", "city": "Köln"}))
    later = reader.read(_lines({"name": "C", "phone": "+44 1"}, {"website": "d.example"}))
    assert first.column_names == NAMES == later.column_names
    assert first.to_pylist()[1] == {"name": "B", "city": "Köln", "phone": None, "website": None}
    assert later.to_pylist() == [
        {"name": "C", "city": None, "phone": "+44 1", "website": None},
        {"name": None, "city": None, "phone": None, "website": "d.example"},
    ]


def test_a_value_that_is_not_text_is_read_as_its_python_text_in_any_block():
    reader = AttributeReader(NAMES)
    reader.read(_lines({"name": "A", "city": "X"}))
    block = reader.read(_lines({"name": "B"}, {"name": 7, "city": 2.5, "phone": False}))
    assert block.to_pylist()[1] == {"name": "7", "city": "2.5", "phone": "False", "website": None}


def test_names_not_configured_are_ignored_whatever_they_hold():
    reader = AttributeReader(NAMES)
    reader.read(_lines({"name": "A"}))
    block = reader.read(
        _lines({"name": "B", "extra": "2020-01-01"}, {"name": "C", "extra": 5, "more": [1]})
    )
    assert block.column_names == NAMES
    assert block["name"].to_pylist() == ["B", "C"]


def test_text_that_looks_like_a_date_or_number_stays_as_stored():
    reader = AttributeReader(NAMES)
    reader.read(_lines({"name": "A"}))
    block = reader.read(
        _lines({"name": "2020-01-01", "city": "2020-01-01T10:00:00"}, {"city": "12"})
    )
    assert block["name"].to_pylist() == ["2020-01-01", None]
    assert block["city"].to_pylist() == ["2020-01-01T10:00:00", "12"]
