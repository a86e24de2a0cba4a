"""Writers of the sample extracts, one per source system, in each product's native shape."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from generate import ALPHA3, CURRENCY, OWNERS, TERMS, Entity, Generator, _write_csv, _write_jsonl

SF_HEADER = [
    "Id",
    "Name",
    "Type",
    "Industry",
    "BillingStreet",
    "BillingCity",
    "BillingState",
    "BillingPostalCode",
    "BillingCountry",
    "Phone",
    "Website",
    "OwnerId",
    "ParentId",
    "AccountNumber",
    "VAT_Number__c",
    "LEI__c",
    "ERP_Customer_Number__c",
    "CreatedDate",
    "LastModifiedDate",
]
NS_HEADER = [
    "Internal ID",
    "ID",
    "Company Name",
    "Legal Name",
    "Tax Reg. Number",
    "LEI",
    "Billing Address 1",
    "Billing City",
    "Billing Zip",
    "Billing Country",
    "Phone",
    "Web Address",
    "Terms",
    "Currency",
    "Parent Company",
    "Salesforce ID",
    "Legal Entity",
    "Date Last Modified",
]
NS_LE_HEADER = [
    "Internal ID",
    "Legal Name",
    "Tax Reg. Number",
    "LEI",
    "Registration Number",
    "Country",
    "Date Last Modified",
]
NS_PROJECT_HEADER = [
    "Internal ID",
    "Project ID",
    "Project Name",
    "Customer",
    "Status",
    "Start Date",
    "End Date",
    "Project Manager",
    "Date Last Modified",
]
APAC_HEADER = ["CUST_NO", "CUST_NAME", "ABN_GST", "CTRY", "CITY", "POSTCODE", "TEL", "MODIFIED"]
PROJECT_WORDS = [
    "Audit",
    "ERP rollout",
    "Cloud migration",
    "Strategy review",
    "Data platform",
    "Tax advisory",
    "Cyber assessment",
    "Operating model",
    "CRM implementation",
]


def _sf_time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _ns_time(moment) -> str:
    return f"{moment.month}/{moment.day}/{moment.year} {moment.strftime('%I:%M %p').lower()}"


def write_all(gen: Generator, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    crm_ids = _crm(gen, out)
    erp_ids = _erp(gen, out, crm_ids)
    psa_ids = _psa(gen, out, crm_ids)
    _apac(gen, out)
    _projects(gen, out, psa_ids, erp_ids)
    _write_csv(
        out / "truth.csv", ["entity_type", "system", "source_id", "entity_id"], sorted(gen.truth)
    )
    _write_csv(out / "truth_sisters.csv", ["entity_id_a", "entity_id_b"], sorted(gen.sisters))


def _crm(gen: Generator, out: Path) -> dict[str, str]:
    rows, first_id = [], {}
    crm = [e for e in gen.entities if "crm" in e.systems]
    for entity in crm:
        copies = 2 if gen.rng.random() < 0.07 else 1
        for copy in range(copies):
            sid = gen._id("001", 18)
            first_id.setdefault(entity.key, sid)
            gen.record("customer", "crm", sid, entity.key)
            name = entity.trading_name if gen.rng.random() < 0.7 else entity.legal_name
            created = gen.stamp()
            rows.append(
                [
                    sid,
                    gen.vary_name(name, 0.25 if copy == 0 else 0.9),
                    gen.rng.choice(["Customer", "Customer - Direct", "Prospect"]),
                    entity.industry,
                    entity.street
                    + (
                        "\nFloor " + str(gen.rng.randrange(1, 12)) if gen.rng.random() < 0.2 else ""
                    ),
                    entity.city if gen.rng.random() < 0.9 else entity.city.upper(),
                    "",
                    entity.postcode if gen.rng.random() < 0.85 else "",
                    gen.country_text(entity.country),
                    entity.phone if gen.rng.random() < 0.7 else "",
                    ("https://www." if gen.rng.random() < 0.5 else "www.") + entity.domain
                    if gen.rng.random() < 0.75
                    else "",
                    gen.rng.choice(OWNERS),
                    "",
                    f"AC-{gen.rng.randrange(10**6):06d}",
                    entity.tax_id if entity.tax_id and gen.rng.random() < 0.35 else "",
                    entity.lei if entity.lei and gen.rng.random() < 0.5 else "",
                    "",
                    _sf_time(created),
                    _sf_time(created + (gen.stamp() - gen.stamp()).__abs__()),
                ]
            )
    by_key = {e.key: e for e in gen.entities}
    key_of = {t[2]: t[3] for t in gen.truth if t[1] == "crm"}
    for row in rows:  # parents, in the CRM's own ids
        parent = by_key[key_of[row[0]]].parent
        if parent and parent in first_id and gen.rng.random() < 0.9:
            row[12] = first_id[parent]
    _bad_crm_rows(gen, rows)
    _write_csv_bom(out / "crm_accounts.csv", SF_HEADER, rows)
    return first_id


def _bad_crm_rows(gen: Generator, rows: list[list]) -> None:
    """Rows ingestion must quarantine: unknown countries, bad VAT checksums, no Id."""
    countries = ["Atlantis", "Narnia", "Wakanda", "Middle Earth", "Genovia"]
    for i, country in enumerate(countries):
        rows.append(_sparse_account(gen, f"BAD{i}", f"Phantom Company {i}", "Nowhere", country))
    for i, vat in enumerate(_invalid_tax_ids(gen, "GB", 4)):
        row = _sparse_account(
            gen, f"BADVAT{i}", f"Checksum Trading {i} Ltd", "London", "United Kingdom"
        )
        row[SF_HEADER.index("VAT_Number__c")] = vat
        rows.append(row)
    for i in range(3):
        rows.append(
            _sparse_account(gen, f"NOKEY{i}", f"Keyless Ltd {i}", "Leeds", "UK", with_id=False)
        )


def _sparse_account(
    gen: Generator, entity: str, name: str, city: str, country: str, *, with_id: bool = True
) -> list:
    """A Salesforce Account row with only a name, a city and a country (recorded in truth)."""
    sid = gen._id("001", 18) if with_id else ""
    gen.record("customer", "crm", sid, entity)
    values = {
        "Id": sid,
        "Name": name,
        "Type": "Prospect",
        "BillingCity": city,
        "BillingCountry": country,
        "OwnerId": OWNERS[0],
        "CreatedDate": _sf_time(gen.stamp()),
        "LastModifiedDate": _sf_time(gen.stamp()),
    }
    return [values.get(column, "") for column in SF_HEADER]


def _invalid_tax_ids(gen: Generator, country: str, count: int) -> list[str]:
    """Tax ids that look right but fail their checksum, with or without the prefix."""
    from stdnum.util import get_cc_module

    module = get_cc_module(country.lower(), "vat")
    found: list[str] = []
    while len(found) < count:
        candidate = country + gen._digits(11 if country == "FR" else 9)
        if not module.is_valid(candidate) and not module.is_valid(candidate[2:]):
            found.append(candidate)
    return found


def _write_csv_bom(path: Path, header: list[str], rows: list[list]) -> None:
    _write_csv(path, header, rows, encoding="utf-8-sig")


def _erp(gen: Generator, out: Path, crm_ids: dict[str, str]) -> dict[str, str]:
    rows, le_rows, ids = [], [], {}
    erp = [e for e in gen.entities if "erp" in e.systems]
    for n, entity in enumerate(erp, start=1):
        internal = str(1000 + n * 7)
        ids[entity.key] = internal
        le_id = str(50000 + n)
        gen.record("customer", "erp", internal, entity.key)
        gen.record("legal_entity", "erp", le_id, "L" + entity.key)
        crm_ref = crm_ids.get(entity.key, "") if gen.rng.random() < 0.6 else ""
        if crm_ref and gen.rng.random() < 0.04:  # a stale reference to the wrong account
            crm_ref = gen.rng.choice(list(crm_ids.values()))
        rows.append(
            [
                internal,
                f"CUST{internal}",
                gen.vary_name(entity.legal_name, 0.15),
                entity.legal_name,
                entity.tax_id or "",
                entity.lei or "",
                entity.street if gen.rng.random() < 0.9 else entity.street.upper(),
                entity.city,
                entity.postcode,
                entity.country if gen.rng.random() < 0.5 else gen.country_text(entity.country),
                entity.phone if gen.rng.random() < 0.5 else "",
                entity.domain if gen.rng.random() < 0.4 else "",
                gen.rng.choice(TERMS),
                CURRENCY.get(entity.country, "EUR"),
                "",
                crm_ref,
                le_id,
                _ns_time(gen.stamp()),
            ]
        )
        le_rows.append(
            [
                le_id,
                entity.legal_name,
                entity.tax_id or "",
                entity.lei or "",
                f"{entity.country}-{gen._digits(8)}",
                entity.country,
                _ns_time(gen.stamp()),
            ]
        )
    parents = {e.key: e.parent for e in erp}
    for row, entity in zip(rows, erp, strict=False):
        parent = parents[entity.key]
        if parent in ids and gen.rng.random() < 0.8:
            row[14] = ids[parent]
    bad = [(v, c) for c in ("DE", "GB", "FR") for v in _invalid_tax_ids(gen, c, 1)]
    for i, (vat, country) in enumerate(bad):
        internal = str(900000 + i)
        gen.record("customer", "erp", internal, f"ERPBAD{i}")
        rows.append(
            [
                internal,
                f"CUST{internal}",
                f"Broken Vat {i}",
                f"Broken Vat {i}",
                vat,
                "",
                "",
                "",
                "",
                country,
                "",
                "",
                "Net 30",
                "EUR",
                "",
                "",
                "",
                _ns_time(gen.stamp()),
            ]
        )
    _write_csv(out / "erp_customers.csv", NS_HEADER, rows)
    _write_csv(out / "erp_legal_entities.csv", NS_LE_HEADER, le_rows)
    return ids


def _psa(gen: Generator, out: Path, crm_ids: dict[str, str]) -> dict[str, str]:
    rows, ids = [], {}
    for n, entity in enumerate((e for e in gen.entities if "psa" in e.systems), start=1):
        pid = str(3_000_000 + n * 13)
        ids[entity.key] = pid
        gen.record("customer", "psa", pid, entity.key)
        crm = crm_ids.get(entity.key) if gen.rng.random() < 0.55 else None
        if crm and gen.rng.random() < 0.05:
            crm = "001" + "X" * 15  # points at an account that no longer exists
        row = {
            "id": pid,
            "name": gen.vary_name(entity.trading_name, 0.35),
            "created_at": gen.stamp().strftime("%Y-%m-%dT%H:%M:%S-00:00"),
            "updated_at": gen.stamp().strftime("%Y-%m-%dT%H:%M:%S-00:00"),
        }
        if gen.rng.random() < 0.8:
            row["city"] = entity.city
        row["country"] = entity.country if gen.rng.random() < 0.9 else None
        row["custom_field_values"] = {"salesforce_account_id": crm} if crm else {}
        rows.append(row)
    _write_jsonl(out / "psa_clients.jsonl", rows)
    return ids


def _apac(gen: Generator, out: Path) -> None:
    rows = []
    for n, entity in enumerate((e for e in gen.entities if "apac_erp" in e.systems), start=1):
        sid = f"K{70000 + n}"
        gen.record("customer", "apac_erp", sid, entity.key)
        rows.append(
            [
                sid,
                gen.vary_name(entity.legal_name, 0.3).upper(),
                entity.tax_id or "",
                ALPHA3[entity.country],
                entity.city.upper(),
                entity.postcode,
                entity.phone.replace(" ", ""),
                gen.stamp().strftime("%d/%m/%Y"),
            ]
        )
    gen.record("customer", "apac_erp", "K99999", "APACBAD0")
    rows.append(["K99999", "GHOST HOLDINGS PTY LTD", "", "XXX", "SYDNEY", "2000", "", "01/02/2024"])
    _write_csv(out / "apac_erp_customers.csv", APAC_HEADER, rows, delimiter=";", encoding="cp1252")


def _projects(gen: Generator, out: Path, psa_ids: dict[str, str], erp_ids: dict[str, str]) -> None:
    psa_rows, erp_rows = [], []
    number = 0
    for entity in gen.entities:
        if entity.key not in psa_ids and entity.key not in erp_ids:
            continue
        for _ in range(gen.rng.choice((0, 1, 1, 2, 3))):
            number += 1
            code = f"PRJ-{20000 + number}"
            title = f"{entity.stem} {gen.rng.choice(PROJECT_WORDS)} {2023 + number % 3}"
            start = gen.stamp()
            end = start + timedelta(days=gen.rng.randrange(30, 400))
            in_psa = entity.key in psa_ids and gen.rng.random() < 0.85
            in_erp = entity.key in erp_ids and (not in_psa or gen.rng.random() < 0.7)
            if in_psa:
                wid = str(8_000_000 + number)
                gen.record("project", "psa", wid, code)
                psa_rows.append(
                    {
                        "id": wid,
                        "title": title if gen.rng.random() < 0.8 else title.lower(),
                        "client_id": psa_ids[entity.key],
                        "status": {"message": gen.rng.choice(["Active", "Completed", "On Hold"])},
                        "start_date": start.date().isoformat(),
                        "due_date": end.date().isoformat(),
                        "budget_in_cents": gen.rng.randrange(10**6, 10**8),
                        "currency": CURRENCY.get(entity.country, "EUR"),
                        "custom_field_values": {"erp_project_number": code}
                        if in_erp and gen.rng.random() < 0.8
                        else {},
                        "updated_at": gen.stamp().strftime("%Y-%m-%dT%H:%M:%S-00:00"),
                    }
                )
            if in_erp:
                internal = str(400000 + number)
                gen.record("project", "erp", code, code)
                erp_rows.append(
                    [
                        internal,
                        code,
                        gen.vary_name(title, 0.2),
                        erp_ids[entity.key],
                        gen.rng.choice(["In Progress", "Closed", "Pending"]),
                        start.strftime("%m/%d/%Y"),
                        end.strftime("%m/%d/%Y"),
                        gen.rng.choice(OWNERS),
                        _ns_time(gen.stamp()),
                    ]
                )
    _write_jsonl(out / "psa_projects.jsonl", psa_rows)
    _write_csv(out / "erp_projects.csv", NS_PROJECT_HEADER, erp_rows)


__all__ = ["write_all", "Entity"]
