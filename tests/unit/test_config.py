"""The hub config loader reports every problem at once, with its place."""

from pathlib import Path

import pytest

from mdm.config import load_hub_config, parse_hub_config
from mdm.domain import ConfigError

GOOD = {
    "entity_types": {
        "customer": {
            "id_prefix": "CUS",
            "attributes": {"name": {"type": "string"}, "country": {"type": "country"}},
        }
    },
    "sources": {"crm": {"entities": {"customer": {"key": "Id", "fields": {"name": "Name"}}}}},
}


def test_a_valid_config_loads_into_frozen_models():
    config = parse_hub_config(GOOD)
    assert config.source_entity("crm", "customer").key_columns == ("Id",)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        config.hub.name = "x"


def test_every_problem_is_reported_at_once_with_its_place():
    bad = {
        "entity_types": {
            "customer": {
                "id_prefix": "cus",
                "attributes": {
                    "name": {"type": "strng"},
                    "parent": {"type": "reference", "entity": "account"},
                },
            }
        },
        "sources": {
            "crm": {
                "entities": {
                    "customer": {
                        "key": "Id",
                        "delimiter": ";;",
                        "fields": {
                            "name": {"from": "Name", "steps": ["cuntry"]},
                        },
                    }
                }
            }
        },
    }
    with pytest.raises(ConfigError) as caught:
        parse_hub_config(bad, source="hub.toml")
    text = "\n".join(caught.value.problems)
    assert "hub.toml: entity_types.customer.id_prefix" in text
    assert "entity_types.customer.attributes.name" in text and "strng" in text
    assert "sources.crm.entities.customer.delimiter" in text
    assert "unknown step 'cuntry'" in text
    assert len(caught.value.problems) >= 4


def test_cross_references_are_checked_after_the_structure():
    bad = {
        "entity_types": {
            "customer": {
                "id_prefix": "CUS",
                "attributes": {
                    "name": {"type": "string"},
                    "crm_ref": {"type": "reference", "entity": "customer", "system": "nowhere"},
                },
            }
        },
        "sources": {
            "crm": {
                "entities": {
                    "customer": {"key": "Id", "encoding": "klingon", "fields": {"nme": "Name"}},
                    "invoice": {"key": "Id", "fields": {}},
                }
            }
        },
    }
    with pytest.raises(ConfigError) as caught:
        parse_hub_config(bad)
    text = "\n".join(caught.value.problems)
    assert "fields.nme: not an attribute of 'customer'" in text
    assert "unknown entity type 'invoice'" in text
    assert "unknown codec 'klingon'" in text
    assert "unknown source system 'nowhere'" in text


def test_a_misspelt_key_is_refused_rather_than_ignored():
    bad = {
        **GOOD,
        "sources": {
            "crm": {
                "entities": {
                    "customer": {"key": "Id", "delimeter": ";", "fields": {"name": "Name"}}
                }
            }
        },
    }
    with pytest.raises(ConfigError, match="delimeter: unknown key"):
        parse_hub_config(bad)


def test_an_unknown_preset_names_the_known_ones():
    bad = {**GOOD, "sources": {"crm": {"preset": "sap-r2", "entities": {}}}}
    with pytest.raises(ConfigError, match="unknown preset 'sap-r2'"):
        parse_hub_config(bad)


def test_a_missing_or_broken_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="file not found"):
        load_hub_config(tmp_path / "none.toml")
    broken = tmp_path / "hub.toml"
    broken.write_text("[entity_types\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_hub_config(broken)
