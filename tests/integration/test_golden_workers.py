"""Golden records built by worker processes are those one process builds, row for row."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from mdm.services.golden import _rounds as rounds
from mdm.services.golden import apply_clustering
from mdm.services.ingestion import load_rows
from mdm.store import UnitOfWork

T0 = datetime(2025, 1, 1, tzinfo=UTC)
TABLES = {
    "golden_records": "golden_id",
    "golden_record_versions": "golden_id, version",
    "xrefs": "id",
    "outbox": "sequence",
    "id_counters": "entity_type",
}


def _crm(i: int) -> dict:
    return {
        "Id": f"C{i}",
        "Name": f"Company {i // 3} {'Ltd' if i % 2 else 'Limited'}",
        "Country": "GB" if i % 4 else "DE",
        "City": ["london", "LONDON", "Leeds", ""][i % 4],
        "Modified": f"2024-0{1 + i % 9}-01T00:00:00Z",
    }


def _psa(i: int) -> dict:
    return {"id": f"P{i}", "name": f"COMPANY {i}", "address": {"country": "GB", "city": "York"}}


@pytest.fixture
def loaded(engine, small_config):
    load_rows(
        UnitOfWork(engine, "test"), small_config, "crm", "customer", [_crm(i) for i in range(90)]
    )
    load_rows(
        UnitOfWork(engine, "test"), small_config, "psa", "customer", [_psa(i) for i in range(40)]
    )
    # clusters of one to four records across both systems; the rest stay single
    clusters = {("crm", f"C{i}"): f"k{i // 3}" for i in range(75)}
    clusters.update({("psa", f"P{i}"): f"k{i}" for i in range(0, 40, 2)})
    return clusters


def _build(engine, config, clusters, workers: str, monkeypatch) -> dict[str, list[tuple]]:
    """Tables after a build in a transaction that is then rolled back."""
    monkeypatch.setenv("MDM_GOLDEN_WORKERS", workers)
    with UnitOfWork(engine, "test", correlation_id="same") as uow:
        report = apply_clustering(uow, config, "customer", clusters, now=T0)
        tables = {
            table: [
                tuple(row)
                for row in uow.connection.execute(
                    sa.text(f"SELECT * FROM {table} ORDER BY {order}")
                )
            ]
            for table, order in TABLES.items()
        }
    occurred = [c.name for c in sa.Table("outbox", sa.MetaData(), autoload_with=engine).c]
    at = occurred.index("occurred_at")  # the one clock reading of the write, not `now`
    tables["outbox"] = [row[1:at] + row[at + 1 :] for row in tables["outbox"]]
    # PostgreSQL does not hand back the sequence numbers of a rolled-back transaction; the
    # order of the rows stands for them
    tables["xrefs"] = [row[1:] for row in tables["xrefs"]]
    tables["report"] = [(str(report),)]
    return tables


@pytest.fixture
def pooled(monkeypatch):
    """Worker processes for any number of clusters, in rounds of seven."""
    monkeypatch.setattr(rounds, "PARALLEL_FROM", 1)
    monkeypatch.setattr(rounds, "_POOLED_ROUND", 7)


def test_worker_processes_build_the_same_rows_and_events_as_one_process(
    engine, small_config, loaded, pooled, monkeypatch
):
    alone = _build(engine, small_config, loaded, "1", monkeypatch)
    sent: list[int] = []
    submit = rounds._submit
    monkeypatch.setattr(
        rounds,
        "_submit",
        lambda pool, start, stop, state: (
            sent.append(stop - start) or submit(pool, start, stop, state)
        ),
    )
    shared = _build(engine, small_config, loaded, "3", monkeypatch)
    assert len(alone["golden_records"]) == 67 and sent and sum(sent) <= 67
    assert shared == alone


def _dying(tasks):  # noqa: ANN001, ANN202 - stands in for the worker's round
    os._exit(1)


def test_a_lost_worker_leaves_its_rounds_to_this_process_with_the_same_result(
    engine, small_config, loaded, pooled, monkeypatch, caplog
):
    alone = _build(engine, small_config, loaded, "1", monkeypatch)
    monkeypatch.setattr(rounds, "_survive", _dying)
    assert _build(engine, small_config, loaded, "2", monkeypatch) == alone
    assert "golden record workers unavailable" in caplog.text


def test_few_clusters_or_one_core_stay_in_this_process(monkeypatch):
    monkeypatch.delenv("MDM_GOLDEN_WORKERS", raising=False)
    monkeypatch.setenv("MATCHING_WORKERS", "1")
    assert rounds.golden_workers() == 1
    monkeypatch.setenv("MDM_GOLDEN_WORKERS", "3")
    assert rounds.golden_workers() == 3
    started: list[int] = []
    monkeypatch.setattr(rounds, "ProcessPoolExecutor", lambda *a, **k: started.append(1))
    few = rounds.PARALLEL_FROM - 1
    with rounds.survival_rounds(few, lambda start, stop: [], None, str, T0) as built:
        built = list(built)
    assert [(start, stop) for start, stop, _ in built] == [(0, few)] and started == []
