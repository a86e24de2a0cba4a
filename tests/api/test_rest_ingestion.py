"""REST ingestion: JSON batches and file uploads go through the same mapping, validation,
idempotency and quarantine as `mdm load`; the hub's errors map to HTTP statuses."""

from __future__ import annotations

from mdm.store import UnitOfWork
from tests.api._http import auth

RECORDS = "/api/v1/systems/psa/customer/records"
GOOD = {
    "id": "P9",
    "name": "Zeta SA",
    "address": {"country": "FR", "city": "Paris"},
    "updated_at": "2024-01-05T00:00:00Z",
}
NO_KEY = {"name": "Nameless", "address": {"country": "FR"}}


def test_a_batch_of_records_is_stored_and_bad_rows_are_quarantined(client, keys):
    response = client.post(RECORDS, json={"records": [GOOD, NO_KEY]}, headers=auth(keys.psa_writer))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"]["inserted"] == 1 and body["counts"]["quarantined"] == 1
    assert body["quarantined"][0]["reasons"]
    assert body["batch_id"] is not None


def test_sending_the_same_batch_again_changes_nothing(client, keys):
    client.post(RECORDS, json={"records": [GOOD]}, headers=auth(keys.psa_writer))
    again = client.post(RECORDS, json={"records": [GOOD]}, headers=auth(keys.psa_writer)).json()
    assert again["counts"]["unchanged"] == 1 and again["counts"]["inserted"] == 0


def test_a_dry_run_validates_and_stores_nothing(client, keys, engine):
    response = client.post(
        RECORDS + "?dry_run=true", json={"records": [GOOD]}, headers=auth(keys.psa_writer)
    )
    assert response.json()["dry_run"] is True and response.json()["batch_id"] is None
    with UnitOfWork(engine) as uow:
        assert uow.source_records.get_current("customer", "psa", "P9") is None


def test_the_correlation_id_is_echoed_and_lands_in_the_audit_trail_with_the_key_id(
    client, keys, engine
):
    response = client.post(
        RECORDS,
        json={"records": [GOOD]},
        headers={**auth(keys.psa_writer), "X-Correlation-ID": "sync-2024-05-01.42"},
    )
    assert response.headers["x-correlation-id"] == "sync-2024-05-01.42"
    assert response.json()["correlation_id"] == "sync-2024-05-01.42"
    with UnitOfWork(engine) as uow:
        entry = uow.audit.recent(1)[0]
    assert entry["correlation_id"] == "sync-2024-05-01.42"
    assert entry["actor"] == keys.psa_writer.split(".")[0]


def test_a_request_without_a_correlation_id_is_given_one(client):
    response = client.get("/api/v1/health")
    assert len(response.headers["x-correlation-id"]) >= 16


def test_a_csv_file_upload_is_loaded_like_mdm_load(client, keys):
    from tests.conftest import FIXTURES

    response = client.post(
        "/api/v1/systems/crm/customer/files",
        content=(FIXTURES / "crm_small.csv").read_bytes(),
        headers={**auth(keys.crm_writer), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert counts["inserted"] == 3 and counts["quarantined"] == 3


def test_a_malformed_file_is_refused_with_422_and_nothing_is_stored(client, keys):
    response = client.post(
        "/api/v1/systems/crm/customer/files",
        content=b"Name,Country\nAcme,GB\n",
        headers={**auth(keys.crm_writer), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "MALFORMED_FILE"


def test_an_unknown_system_or_entity_type_is_404(client, keys):
    for url in ("/api/v1/systems/sap/customer/records", "/api/v1/systems/crm/vendor/records"):
        response = client.post(url, json={"records": [GOOD]}, headers=auth(keys.admin))
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


def test_a_batch_over_the_limit_is_refused_with_413(client, keys):
    records = [dict(GOOD, id=f"P{i}") for i in range(10_001)]
    response = client.post(RECORDS, json={"records": records}, headers=auth(keys.psa_writer))
    assert response.status_code == 413


def test_a_body_that_is_not_a_batch_is_422(client, keys):
    response = client.post(RECORDS, json=[GOOD], headers=auth(keys.psa_writer))
    assert response.status_code == 422
