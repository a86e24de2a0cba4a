"""Survivorship rules choose each golden value by authority, recency, completeness, frequency."""

from datetime import UTC, datetime

from mdm.config import AttributeRule, Lifecycle, SurvivorshipConfig
from mdm.services.golden import Member, choose, survive


def _m(system, sid, day, **attributes):
    return Member(system, sid, 1, datetime(2024, 1, day, tzinfo=UTC) if day else None, attributes)


ERP_FIRST = AttributeRule(rule="source_priority", systems=("erp", "crm", "psa"))


def test_source_priority_takes_the_most_authoritative_system_with_a_value():
    members = [_m("crm", "1", 9, legal_name="Acme"), _m("erp", "7", 1, legal_name="Acme Ltd")]
    value, provenance = choose("legal_name", members, ERP_FIRST)
    assert value == "Acme Ltd"
    assert provenance == {
        "system": "erp",
        "source_id": "7",
        "version": 1,
        "rule": "source_priority",
        "decided_by": "source_priority",
    }


def test_while_no_erp_record_has_a_value_the_next_authority_stands():
    members = [
        _m("psa", "p", 9, legal_name="ACME"),
        _m("crm", "1", 1, legal_name="Acme Ltd"),
        _m("erp", "7", 1, legal_name=None),
    ]
    assert choose("legal_name", members, ERP_FIRST)[0] == "Acme Ltd"


def test_most_recent_uses_the_sources_own_timestamp():
    rule = AttributeRule(rule="most_recent")
    members = [
        _m("crm", "1", 3, phone="+441"),
        _m("psa", "2", 5, phone="+442"),
        _m("erp", "3", None, phone="+443"),
    ]
    value, provenance = choose("phone", members, rule)
    assert value == "+442" and provenance["decided_by"] == "most_recent"


def test_ties_fall_through_the_chain_then_to_the_smallest_source_key():
    rule = AttributeRule(rule="source_priority", systems=("crm",), then=("most_frequent",))
    members = [
        _m("crm", "2", 1, city="Leeds"),
        _m("crm", "1", 1, city="York"),
        _m("crm", "3", 1, city="leeds"),
    ]
    assert choose("city", members, rule)[0] in ("Leeds", "leeds")
    tie = [_m("crm", "b", 1, city="X"), _m("crm", "a", 1, city="Y")]
    value, provenance = choose("city", tie, AttributeRule(rule="most_recent", then=()))
    assert value == "Y" and provenance["decided_by"] == "tie: smallest source key"


def test_most_complete_prefers_the_fuller_record():
    rule = AttributeRule(rule="most_complete", then=())
    members = [_m("crm", "1", 1, name="A"), _m("psa", "2", 1, name="B", city="X", phone="+1")]
    assert choose("name", members, rule)[0] == "B"


def test_a_steward_override_beats_every_rule():
    config = SurvivorshipConfig(attributes={"name": ERP_FIRST})
    values, provenance = survive(
        [_m("erp", "7", 1, name="Acme Ltd")],
        ["name", "city"],
        config,
        override={"name": "ACME (steward)"},
    )
    assert values == {"name": "ACME (steward)"}
    assert provenance["name"]["rule"] == "steward_override"


def test_an_attribute_no_member_has_is_absent_not_null():
    values, provenance = survive(
        [_m("crm", "1", 1, name="A")], ["name", "tax_id"], SurvivorshipConfig()
    )
    assert values == {"name": "A"} and set(provenance) == {"name"}


def _stages():
    """Legal name: from the CRM while the customer exists nowhere else; once an ERP record
    exists, only the ERP's value counts (even where it has none)."""
    return SurvivorshipConfig(
        attributes={
            "legal_name": AttributeRule(
                rule="source_priority",
                systems=("erp",),
                only_listed=True,
                when=Lifecycle(present=("erp",)),
                otherwise=AttributeRule(rule="source_priority", systems=("crm", "psa")),
            )
        }
    )


def test_a_lifecycle_condition_picks_the_rule_for_the_records_stage():
    config = _stages()
    prospect = [_m("psa", "p", 9, legal_name="ACME"), _m("crm", "1", 1, legal_name="Acme Ltd")]
    values, provenance = survive(prospect, ["legal_name"], config)
    assert values == {"legal_name": "Acme Ltd"}
    assert "when" not in provenance["legal_name"]

    billed = [*prospect, _m("erp", "7", 1, legal_name="Acme Holdings Limited")]
    values, provenance = survive(billed, ["legal_name"], config)
    assert values == {"legal_name": "Acme Holdings Limited"}
    assert provenance["legal_name"]["when"] == "erp present"


def test_only_listed_systems_count_once_the_condition_holds():
    config = _stages()
    billed_without_name = [
        _m("crm", "1", 1, legal_name="Acme Ltd"),
        _m("erp", "7", 1, name="Acme"),
    ]
    values, _ = survive(billed_without_name, ["legal_name"], config)
    assert "legal_name" not in values  # the CRM's free-typed legal name no longer stands
    single = survive([_m("crm", "1", 1, legal_name="Acme Ltd")], ["legal_name"], config)
    assert single[0] == {"legal_name": "Acme Ltd"}


def test_an_absent_condition_holds_only_while_none_of_its_systems_has_a_record():
    condition = Lifecycle(absent=("erp", "apac_erp"))
    assert condition.holds({"crm", "psa"})
    assert not condition.holds({"crm", "apac_erp"})
    assert str(condition) == "erp, apac_erp absent"


def test_lifecycle_rules_are_checked_when_the_config_is_read():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="present' or 'absent"):
        Lifecycle()
    with pytest.raises(ValidationError, match="'otherwise' needs a 'when'"):
        AttributeRule(otherwise=AttributeRule())
    with pytest.raises(ValidationError, match="only_listed needs 'systems'"):
        AttributeRule(only_listed=True)
    with pytest.raises(ValidationError, match="default rule cannot"):
        SurvivorshipConfig(default=AttributeRule(when=Lifecycle(present=("erp",))))


def test_lifecycle_rules_read_from_the_hub_config_and_errors_name_their_place():
    import tomllib
    from pathlib import Path

    import pytest

    from mdm.config import parse_hub_config
    from mdm.domain import ConfigError

    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "small_hub.toml"
    data = tomllib.loads(fixture.read_text("utf-8"))
    rules = tomllib.loads(
        'legal_name = { rule = "source_priority", systems = ["erp"], only_listed = true, '
        'when = { present = ["erp"] }, '
        'otherwise = { rule = "source_priority", systems = ["crm"] } }'
    )
    data["entity_types"]["customer"].setdefault("survivorship", {})["attributes"] = rules
    rule = (
        parse_hub_config(data).entity_types["customer"].survivorship.rule_for("legal_name", {"crm"})
    )
    assert rule.systems == ("crm",) and rule.when is None

    rules["legal_name"]["when"] = {"present": ["erp"], "while": ["crm"]}
    with pytest.raises(ConfigError) as error:
        parse_hub_config(data)
    assert "survivorship.attributes.legal_name.when.while" in str(error.value)


def test_a_cluster_decides_each_attribute_exactly_as_choose_does():
    """`Survivorship` (the fast paths it takes for one member, lifecycle rules resolved
    once per cluster) gives on random clusters and rule sets every value and provenance
    `choose` gives attribute by attribute (ties, empty strings, lifecycles included)."""
    import random

    from mdm.services.golden._survivorship import Survivorship

    rng = random.Random(5)
    names = ["Acme", "acme ", "ACME Ltd", "Bolt", "", None]
    attributes = [f"a{i}" for i in range(8)]
    chains = [
        AttributeRule(),
        AttributeRule(rule="most_complete", then=("most_recent",)),
        AttributeRule(rule="source_priority", systems=("erp", "crm")),
        AttributeRule(rule="source_priority", systems=("erp",), only_listed=True),
        AttributeRule(rule="most_frequent", then=("most_recent", "most_complete")),
        AttributeRule(rule="most_recent", then=("most_frequent",)),
        AttributeRule(
            rule="source_priority",
            systems=("crm", "erp"),
            when=Lifecycle(absent=("erp",)),
            otherwise=AttributeRule(rule="most_complete"),
        ),
    ]
    decided: set[str] = set()
    for _ in range(400):
        config = SurvivorshipConfig(
            default=rng.choice(chains[:2]),
            attributes={a: rng.choice(chains) for a in rng.sample(attributes, 5)},
        )
        members = [
            Member(
                rng.choice(["crm", "erp", "psa"]),
                str(rng.randrange(6)),
                rng.randrange(1, 3),
                rng.choice([None, datetime(2024, 1, rng.randrange(1, 4), tzinfo=UTC)]),
                {a: rng.choice(names) for a in rng.sample(attributes, rng.randrange(9))},
            )
            for _ in range(rng.randrange(1, 6))
        ]
        values, provenance = Survivorship(attributes, config)(members)
        systems = {m.system for m in members}
        expected = {}
        for a in attributes:
            chosen = choose(a, members, config.rule_for(a, systems))
            if chosen is not None:
                expected[a] = chosen
        assert values == {a: v for a, (v, _) in expected.items()}
        assert provenance == {a: p for a, (_, p) in expected.items()}
        decided |= {p["decided_by"] for p in provenance.values()}
    assert {"only value", "most_recent", "most_complete", "source_priority"} <= decided
    assert {"most_frequent", "tie: smallest source key"} <= decided
