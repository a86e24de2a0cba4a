"""Deterministic constraints: LEIs, VAT numbers, parents and cross-system references."""

from __future__ import annotations

from matching import default_matching_settings, derive_constraints

LEI_A = "5493001KJTIIGC8Y1R12"
LEI_B = "529900T8BM49AURSDO55"


def _rec(uid: str, **attrs) -> dict:
    system, source_id = uid.split("|")
    return {
        "unique_id": uid,
        "system": system,
        "source_id": source_id,
        "name": None,
        "legal_name": None,
        "tax_id": None,
        "lei": None,
        "country": None,
        "crm_ref": None,
        "erp_ref": None,
        "parent_ref": None,
        **attrs,
    }


def test_same_valid_lei_is_a_must_link_and_different_leis_conflict() -> None:
    rows = [
        _rec("crm|1", name="Acme", lei=LEI_A),
        _rec("erp|9", name="Acme Ltd", lei=LEI_A),
        _rec("erp|8", name="Acme", lei=LEI_B),
        _rec("erp|7", name="Acme", lei="BAD"),
    ]
    c = derive_constraints(rows)
    assert ("crm|1", "erp|9") in {(m.a, m.b) for m in c.must_links}
    assert c.conflict("crm|1", "erp|8") == "different lei"
    assert c.conflict("crm|1", "erp|7") is None  # invalid LEI is no evidence


def test_vat_numbers_conflict_only_within_one_country() -> None:
    rows = [
        _rec("crm|1", tax_id="GB980780684"),
        _rec("erp|1", tax_id="GB100190874"),
        _rec("erp|2", tax_id="DE136695976"),
        _rec("erp|3", tax_id="980780684", country="GB"),
    ]
    c = derive_constraints(rows)
    assert c.conflict("crm|1", "erp|1") == "different tax_id:GB"
    assert c.conflict("crm|1", "erp|2") is None  # VAT-registered in two countries is fine
    assert c.conflict("crm|1", "erp|3") is None  # same number, prefix dropped


def test_cross_references_become_must_links_or_stale() -> None:
    rows = [
        _rec("crm|A1", name="Kestrel Analytics", country="GB"),
        _rec("erp|1", legal_name="Kestrel Analytics Ltd", country="GB", crm_ref="A1"),
        _rec("erp|2", legal_name="Kestrel Analytics GmbH", country="DE", crm_ref="A1"),
        _rec("erp|3", legal_name="Totally Different Plc", country="GB", crm_ref="A1"),
        _rec("erp|4", legal_name="Ghost Ltd", crm_ref="ZZ"),
        _rec("crm|A2", name="Acme", tax_id="GB980780684"),
        _rec("erp|5", legal_name="Acme Ltd", tax_id="GB100190874", crm_ref="A2"),
    ]
    c = derive_constraints(rows)
    assert {(m.a, m.b) for m in c.must_links} == {("erp|1", "crm|A1")}
    stale = {s.unique_id: s.reason for s in c.stale_references}
    assert stale == {
        "erp|2": "contradicted: country",
        "erp|3": "contradicted: name",
        "erp|4": "missing",
        "erp|5": "contradicted: tax_id",
    }
    assert next(s for s in c.stale_references if s.unique_id == "erp|4").target == "crm|ZZ"


def test_parent_reference_is_a_cannot_link_and_steward_links_pass_through() -> None:
    rows = [_rec("crm|P", name="Acme Holdings"), _rec("crm|S", name="Acme", parent_ref="P")]
    c = derive_constraints(
        rows, steward_must_links=[("crm|P", "x|1")], steward_cannot_links=[("crm|S", "x|2")]
    )
    assert c.conflict("crm|S", "crm|P") == "parent (parent_ref)"
    assert ("crm|P", "x|1", "steward") in c.must_links
    assert c.conflict("crm|S", "x|2") == "steward"


def test_project_reference_contradicted_by_code() -> None:
    settings = default_matching_settings("project")
    rows = [
        {
            "unique_id": "erp|P1",
            "system": "erp",
            "source_id": "P1",
            "name": "Rollout",
            "code": "AC-1",
            "erp_project_ref": None,
        },
        {
            "unique_id": "psa|1",
            "system": "psa",
            "source_id": "1",
            "name": "Rollout",
            "code": "AC-1",
            "erp_project_ref": "P1",
        },
        {
            "unique_id": "psa|2",
            "system": "psa",
            "source_id": "2",
            "name": "Rollout",
            "code": "AC-2",
            "erp_project_ref": "P1",
        },
    ]
    c = derive_constraints(rows, settings)
    assert [(m.a, m.b) for m in c.must_links] == [("psa|1", "erp|P1")]
    assert [s.reason for s in c.stale_references] == ["contradicted: code"]
