"""A match run against a real store (SQLite and PostgreSQL): pairs, golden records, re-runs."""

from __future__ import annotations

import sqlalchemy as sa

from mdm.services import match_runs
from mdm.services.ingestion import load_rows

ROWS = [
    {
        "Id": "1",
        "Name": "Harbour Analytics Ltd",
        "VAT": "GB980780684",
        "Country": "GB",
        "City": "Bristol",
        "Phone": "0117 496 0123",
        "Web": "harbouranalytics.co.uk",
    },
    {
        "Id": "2",
        "Name": "Harbour Analytics Limited",
        "VAT": "GB980780684",
        "Country": "UK",
        "City": "BRISTOL",
        "Phone": "+44 117 496 0123",
        "Web": "www.harbouranalytics.co.uk",
    },
    {
        "Id": "3",
        "Name": "Beta Analytik GmbH",
        "VAT": "DE136695976",
        "Country": "DE",
        "City": "Berlin",
        "Phone": "030 1234567",
    },
    {"Id": "4", "Name": "Gamma Foods", "Country": "FR", "City": "Lyon"},
    {
        "Id": "5",
        "Name": "Delta Media Inc.",
        "Country": "US",
        "City": "Austin",
        "Phone": "(512) 555-0101",
    },
]


def test_a_match_run_links_by_identifiers_and_a_rerun_changes_nothing(
    uow_factory, small_config, engine
):
    load_rows(uow_factory(), small_config, "crm", "customer", ROWS)
    report = match_runs.run_match(uow_factory(), small_config, "customer")
    assert report.records == 5 and report.run_id == 1
    assert report.golden.created == report.clusters
    with engine.connect() as c:
        golden = dict(
            c.execute(
                sa.text("SELECT source_id, golden_id FROM xrefs WHERE valid_to IS NULL")
            ).all()
        )
        run = c.execute(sa.text("SELECT status, model_version FROM match_runs")).one()
    assert golden["1"] == golden["2"]  # same valid VAT number: one company
    assert len({golden[k] for k in ("1", "3", "4", "5")}) == 4
    assert run.status == "completed" and run.model_version == report.model_version
    again = match_runs.run_match(uow_factory(), small_config, "customer")
    assert (again.golden.created, again.golden.updated, again.golden.events) == (0, 0, 0)
    assert again.model_version == report.model_version


def test_a_sparse_record_from_another_system_is_attached_and_its_pair_kept(
    uow_factory, small_config, engine
):
    load_rows(uow_factory(), small_config, "crm", "customer", ROWS)
    sparse = [{"id": "P1", "name": "Delta Media", "address": {"country": "US", "city": "Austin"}}]
    load_rows(uow_factory(), small_config, "psa", "customer", sparse)
    report = match_runs.run_match(uow_factory(), small_config, "customer")
    with engine.connect() as c:
        golden = dict(
            c.execute(
                sa.text(
                    "SELECT system || '|' || source_id, golden_id FROM xrefs WHERE valid_to IS NULL"
                )
            ).all()
        )
        bands = dict(
            c.execute(
                sa.text(
                    "SELECT right_system || '|' || right_source_id, band FROM candidate_pairs "
                    "WHERE left_source_id = '5' OR right_source_id = '5'"
                )
            ).all()
        )
    assert golden["psa|P1"] == golden["crm|5"]
    assert report.attached == 1 and report.pairs.get("attached") == 1
    assert bands["psa|P1"] == "attached"


def test_a_record_stored_while_a_run_matches_still_needs_matching(
    uow_factory, small_config, engine, monkeypatch
):
    """The run clears the needs-match flag of the records it read, not of one another
    client stored while it was predicting."""
    import matching

    load_rows(uow_factory(), small_config, "crm", "customer", ROWS[:4])
    predict = matching.predict_pairs

    def predict_while_a_record_arrives(*args, **kwargs):
        load_rows(uow_factory(), small_config, "crm", "customer", ROWS)  # "5" is new
        return predict(*args, **kwargs)

    monkeypatch.setattr(matching, "predict_pairs", predict_while_a_record_arrives)
    report = match_runs.run_match(uow_factory(), small_config, "customer")
    assert report.records == 4
    with engine.connect() as c:
        flags = dict(
            c.execute(
                sa.text("SELECT source_id, needs_match FROM source_records WHERE is_current")
            ).all()
        )
    assert {k for k, v in flags.items() if v} == {"5"}
    monkeypatch.setattr(matching, "predict_pairs", predict)
    again = match_runs.run_match(uow_factory(), small_config, "customer")
    assert again.records == 5
    with engine.connect() as c:
        left = c.execute(
            sa.text("SELECT count(*) FROM source_records WHERE is_current AND needs_match")
        ).scalar()
    assert left == 0
