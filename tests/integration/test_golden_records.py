"""Golden records in a real store: IDs, merges, splits, xrefs, history and events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdm.config import AttributeRule
from mdm.services.golden import (
    build_golden_records,
    choose,
    golden_as_of,
    resolve_golden_id,
    xref_as_of,
)
from mdm.services.ingestion import load_rows

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CRM = [
    {
        "Id": "A",
        "Name": "Acme",
        "LegalName": "Acme Trading",
        "Country": "GB",
        "City": "london",
        "Modified": "2024-01-01T00:00:00Z",
    },
    {
        "Id": "B",
        "Name": "Acme Ltd",
        "Country": "GB",
        "City": "LONDON",
        "Modified": "2024-03-01T00:00:00Z",
    },
    {
        "Id": "C",
        "Name": "Beta GmbH",
        "Country": "DE",
        "City": "berlin",
        "Modified": "2024-02-01T00:00:00Z",
    },
    {
        "Id": "D",
        "Name": "Gamma",
        "Country": "FR",
        "City": "paris",
        "Modified": "2024-02-01T00:00:00Z",
    },
]
PSA = [
    {"id": "P1", "name": "ACME", "address": {"country": "GB", "city": "London"}},
    {"id": "P2", "name": "Beta", "address": {"country": "DE"}},
]
KEYS = [("crm", "A"), ("crm", "B"), ("crm", "C"), ("crm", "D"), ("psa", "P1"), ("psa", "P2")]


def _load(uow_factory, config):
    load_rows(uow_factory(), config, "crm", "customer", CRM)
    load_rows(uow_factory(), config, "psa", "customer", PSA)


def _state(engine):
    with engine.connect() as c:
        members = {
            (r.system, r.source_id): r.golden_id
            for r in c.execute(
                sa.text("SELECT system, source_id, golden_id FROM xrefs WHERE valid_to IS NULL")
            )
        }
        status = dict(c.execute(sa.text("SELECT golden_id, status FROM golden_records")).all())
        events = c.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
    return members, status, events


def test_a_first_build_gives_each_cluster_an_id_and_each_record_one_xref(
    uow_factory, small_config, engine
):
    _load(uow_factory, small_config)
    clusters = {
        ("crm", "A"): "1",
        ("crm", "B"): "1",
        ("psa", "P1"): "1",
        ("crm", "C"): "2",
        ("psa", "P2"): "2",
    }
    report = build_golden_records(uow_factory(), small_config, "customer", clusters, now=T0)
    assert (report.created, report.active) == (3, 3)
    members, status, events = _state(engine)
    assert set(members) == set(KEYS)
    assert members[("crm", "A")] == members[("crm", "B")] == members[("psa", "P1")]
    assert sorted(status) == ["CUS-000001", "CUS-000002", "CUS-000003"]
    assert events == 3 + len(KEYS)  # golden.created x3, xref.added x6


def test_rerunning_the_same_clustering_changes_nothing_and_emits_no_event(
    uow_factory, small_config, engine
):
    _load(uow_factory, small_config)
    clusters = {("crm", "A"): "x", ("psa", "P1"): "x"}
    build_golden_records(uow_factory(), small_config, "customer", clusters, now=T0)
    before = _state(engine)
    again = build_golden_records(
        uow_factory(), small_config, "customer", clusters, now=T0 + timedelta(days=1)
    )
    assert (again.created, again.updated, again.retired, again.events) == (0, 0, 0, 0)
    assert _state(engine) == before


def test_an_unchanged_rerun_reads_no_source_values(uow_factory, small_config, engine):
    _load(uow_factory, small_config)
    clusters = {("crm", "A"): "x", ("psa", "P1"): "x", ("crm", "B"): "y"}
    build_golden_records(uow_factory(), small_config, "customer", clusters, now=T0)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001 - SQLAlchemy's signature
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        again = build_golden_records(uow_factory(), small_config, "customer", clusters)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert again.unchanged == again.active == 5
    # Only the relationships look into the records, for their reference fields, which the
    # database extracts from the JSON; nothing reads a record's values whole.
    extraction = re.compile(
        r"JSON_EXTRACT\(source_records\.attributes,|source_records\.attributes ->>"
    )
    whole = [
        s
        for s in statements
        if "source_records.attributes" in extraction.sub("", s.split("FROM")[0])
    ]
    assert statements and not whole, whole


def test_a_record_leaving_keeps_the_rest_but_gives_it_a_new_version_without_it(
    uow_factory, small_config, engine
):
    _load(uow_factory, small_config)
    together = {("crm", "A"): "x", ("crm", "B"): "x", ("psa", "P1"): "x"}
    build_golden_records(uow_factory(), small_config, "customer", together, now=T0)
    gid = _state(engine)[0][("crm", "A")]
    apart = {("crm", "A"): "x", ("crm", "B"): "x", ("psa", "P1"): "y"}
    report = build_golden_records(
        uow_factory(), small_config, "customer", apart, now=T0 + timedelta(days=1)
    )
    assert report.updated + report.unchanged >= 1 and report.created == 1
    latest = golden_as_of(uow_factory(), gid, T0 + timedelta(days=2))
    assert sorted(map(tuple, latest["members"])) == [("crm", "A"), ("crm", "B")]


def test_a_changed_survivorship_rule_rebuilds_the_records_it_concerns(
    uow_factory, small_config, engine
):
    _load(uow_factory, small_config)
    clusters = {("crm", "A"): "x", ("psa", "P1"): "x"}
    build_golden_records(uow_factory(), small_config, "customer", clusters, now=T0)
    gid = _state(engine)[0][("crm", "A")]
    before = golden_as_of(uow_factory(), gid, T0 + timedelta(hours=1))["attributes"]["name"]
    entity = small_config.entity_types["customer"]
    first = "psa" if before == "Acme" else "crm"
    rules = entity.survivorship.model_copy(
        update={
            "attributes": {
                **entity.survivorship.attributes,
                "name": AttributeRule(rule="source_priority", systems=(first,)),
            }
        }
    )
    changed = small_config.model_copy(
        update={
            "entity_types": {
                **small_config.entity_types,
                "customer": entity.model_copy(update={"survivorship": rules}),
            }
        }
    )
    report = build_golden_records(
        uow_factory(), changed, "customer", clusters, now=T0 + timedelta(days=1)
    )
    after = golden_as_of(uow_factory(), gid, T0 + timedelta(days=2))
    assert after["attributes"]["name"] != before
    assert (
        after["provenance"]["name"] | {"rule": "source_priority", "system": first}
        == (after["provenance"]["name"])
    )
    # Every record's name provenance now names the new rule: all five are new versions.
    assert report.updated == report.active == 5


def test_a_merge_retires_the_smaller_id_which_then_redirects_and_history_answers_as_of(
    uow_factory, small_config, engine
):
    _load(uow_factory, small_config)
    apart = {("crm", "A"): "1", ("crm", "B"): "1", ("psa", "P1"): "2"}
    build_golden_records(uow_factory(), small_config, "customer", apart, now=T0)
    members, _, _ = _state(engine)
    big, small = members[("crm", "A")], members[("psa", "P1")]
    together = {("crm", "A"): "1", ("crm", "B"): "1", ("psa", "P1"): "1"}
    t1 = T0 + timedelta(days=10)
    report = build_golden_records(uow_factory(), small_config, "customer", together, now=t1)
    assert report.merged == {big: [small]}
    assert resolve_golden_id(uow_factory(), small) == (big, [small, big])
    assert xref_as_of(uow_factory(), "customer", "psa", "P1", T0 + timedelta(days=1)) == small
    assert xref_as_of(uow_factory(), "customer", "psa", "P1", t1 + timedelta(days=1)) == big
    assert golden_as_of(uow_factory(), small, T0 + timedelta(days=1))["status"] == "active"
    assert golden_as_of(uow_factory(), small, t1)["status"] == "retired"
    with engine.connect() as c:
        kinds = [
            r[0] for r in c.execute(sa.text("SELECT event_type FROM outbox ORDER BY sequence"))
        ]
    assert "golden.merged" in kinds and "golden.retired" in kinds and "xref.removed" in kinds


def test_a_split_keeps_the_id_with_the_majority_and_redirect_chains_resolve(
    uow_factory, small_config, engine
):
    _load(uow_factory, small_config)
    one = {k: "all" for k in KEYS[:3]}
    build_golden_records(uow_factory(), small_config, "customer", one, now=T0)
    original = _state(engine)[0][("crm", "A")]
    split = {("crm", "A"): "x", ("crm", "B"): "x", ("crm", "C"): "y"}
    report = build_golden_records(
        uow_factory(), small_config, "customer", split, now=T0 + timedelta(days=1)
    )
    members, _, _ = _state(engine)
    assert members[("crm", "A")] == original != members[("crm", "C")]
    assert report.created == 1
    with engine.connect() as c:
        kinds = [r[0] for r in c.execute(sa.text("SELECT event_type FROM outbox"))]
    assert "golden.split" in kinds


def test_golden_values_follow_the_configured_authority_with_provenance(
    uow_factory, sample_free_config, engine
):
    config = sample_free_config
    _load(uow_factory, config)
    build_golden_records(
        uow_factory(),
        config,
        "customer",
        {("crm", "A"): "1", ("crm", "B"): "1", ("psa", "P1"): "1"},
        now=T0,
    )
    with engine.connect() as c:
        row = c.execute(
            sa.text(
                "SELECT attributes, provenance FROM golden_records "
                "WHERE status = 'active' ORDER BY golden_id LIMIT 1"
            )
        ).one()
    attributes, provenance = row
    attributes = (
        attributes if isinstance(attributes, dict) else __import__("json").loads(attributes)
    )
    provenance = (
        provenance if isinstance(provenance, dict) else __import__("json").loads(provenance)
    )
    assert attributes["name"] == "ACME"  # psa first for the name in this config
    assert provenance["name"]["system"] == "psa"
    assert attributes["legal_name"] == "Acme Trading"  # only CRM A has one
    assert provenance["city"]["source_id"] == "B"  # most recent by the source's timestamp


clusterings = st.lists(st.integers(0, 3), min_size=len(KEYS), max_size=len(KEYS))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=clusterings, second=clusterings)
def test_invariants_hold_across_successive_runs(uow_factory, small_config, engine, first, second):
    """Each record in exactly one active golden record; re-runs are silent; retired IDs resolve;
    every surviving value obeys its rule. State accumulates across examples, like real runs."""
    with engine.connect() as c:
        loaded = c.execute(sa.text("SELECT count(*) FROM source_records")).scalar_one()
    if not loaded:
        _load(uow_factory, small_config)
    for labels in (first, second):
        clustering = {k: f"c{label}" for k, label in zip(KEYS, labels, strict=True)}
        build_golden_records(uow_factory(), small_config, "customer", clustering)
        members, status, events = _state(engine)
        assert set(members) == set(KEYS)
        assert all(status[g] == "active" for g in members.values())
        for key_a, key_b in zip(KEYS, KEYS[1:], strict=False):
            same = clustering[key_a] == clustering[key_b]
            assert (members[key_a] == members[key_b]) == same
        for gid, state in status.items():
            if state == "retired":
                active, _ = (
                    resolve_golden_id(uow_factory(), gid)
                    if _resolves(uow_factory, gid)
                    else (None, None)
                )
                assert active is None or status[active] == "active"
        build_golden_records(uow_factory(), small_config, "customer", clustering)
        assert _state(engine)[2] == events  # a re-run emits nothing
        _check_rules(engine, small_config)


def _resolves(uow_factory, gid):
    with uow_factory() as uow:
        return uow.golden.resolve(gid)[0] is not None


def _check_rules(engine, config):
    import json

    with engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT g.golden_id, g.attributes, g.provenance FROM golden_records g "
                "WHERE g.status = 'active'"
            )
        ).all()
        members = c.execute(
            sa.text(
                "SELECT x.golden_id, s.system, s.source_id, s.version, s.attributes, "
                "s.source_updated_at FROM xrefs x JOIN source_records s ON s.system = x.system "
                "AND s.source_id = x.source_id AND s.entity_type = x.entity_type AND s.is_current "
                "WHERE x.valid_to IS NULL"
            )
        ).all()
    from mdm.services.golden import Member

    by_golden: dict[str, list] = {}
    for gid, system, sid, version, attrs, updated in members:
        attrs = attrs if isinstance(attrs, dict) else json.loads(attrs)
        if isinstance(updated, str):
            updated = datetime.fromisoformat(updated).replace(tzinfo=UTC)
        elif updated is not None and updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)
        by_golden.setdefault(gid, []).append(Member(system, sid, version, updated, attrs))
    rules = config.entity_types["customer"].survivorship
    for gid, attributes, _ in rows:
        attributes = attributes if isinstance(attributes, dict) else json.loads(attributes)
        for name, value in attributes.items():
            systems = {m.system for m in by_golden[gid]}
            expected = choose(name, by_golden[gid], rules.rule_for(name, systems))
            assert expected is not None and expected[0] == value, (gid, name)


def test_rule_objects_reject_priority_without_systems():
    import pytest

    with pytest.raises(ValueError, match="authority order"):
        AttributeRule(rule="source_priority")


def test_references_become_relationships_between_golden_records(uow_factory, small_config, engine):
    load_rows(
        uow_factory(),
        small_config,
        "crm",
        "customer",
        [
            {"Id": "P", "Name": "Parent plc", "Country": "GB"},
            {"Id": "K", "Name": "Kid Ltd", "Country": "GB", "ParentId": "P"},
            {"Id": "L", "Name": "Loop Ltd", "Country": "GB", "ParentId": "M"},
            {"Id": "M", "Name": "Mirror Ltd", "Country": "GB", "ParentId": "L"},
            {"Id": "O", "Name": "Orphan Ltd", "Country": "GB", "ParentId": "GONE"},
        ],
    )
    keys = [("crm", k) for k in "PKLMO"]
    build_golden_records(uow_factory(), small_config, "customer", {k: k[1] for k in keys})
    from mdm.services.golden import rebuild_relationships

    with uow_factory() as uow:
        report = rebuild_relationships(uow, small_config)
        uow.commit()
    assert report.unresolved == 1 and report.current == 3
    assert len(report.cycles) == 1 and len(report.cycles[0]) == 2
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT relation FROM golden_relationships")).all()
    assert [r[0] for r in rows] == ["parent"] * 3
    with uow_factory() as uow:
        again = rebuild_relationships(uow, small_config)
    assert (again.added, again.removed) == (0, 0)
