"""Normalisation of names, legal forms, addresses, postcodes and identifiers."""

from __future__ import annotations

import pyarrow as pa
import pytest

from matching import default_matching_settings, normalise_records
from matching._addresses import parse_postcode, parse_street
from matching._identifiers import (
    domain_from_email,
    domain_from_website,
    normalise_phone,
    validate_lei,
    validate_tax_id,
)
from matching._names import NameNormaliser

NAMES = NameNormaliser()


@pytest.mark.parametrize(
    ("raw", "core", "form"),
    [
        ("Acme Ltd", "acme", "ltd"),
        ("ACME LIMITED", "acme", "ltd"),
        ("The Acme Company Ltd.", "acme", "ltd"),
        ("Acme Intl. Hldgs PLC", "acme international holdings", "plc"),
        ("Acme Tech Svcs, Inc.", "acme technology services", "inc"),
        ("Acme & Sons LLC", "acme sons", "llc"),
        ("Acme and Sons L.L.C.", "acme sons", "llc"),
        ("Müller Maschinenbau GmbH", "muller maschinenbau", "gmbh"),
        ("Mueller Maschinenbau GmbH & Co. KG", "mueller maschinenbau", "gmbh and co kg"),
        ("Société Générale S.A.", "societe generale", "sa"),
        ("Dupont Conseil SARL", "dupont conseil", "sarl"),
        ("Acme S.à r.l.", "acme", "sarl"),
        ("Philips N.V.", "philips", "nv"),
        ("Van Dijk Advies B.V.", "van dijk advies", "bv"),
        ("Fiat S.p.A.", "fiat", "spa"),
        ("Rossi Consulenza S.r.l.", "rossi consulenza", "srl"),
        ("Sony Kabushiki Kaisha", "sony", "kk"),
        ("Sony KK", "sony", "kk"),
        ("Acme Pty. Ltd.", "acme", "pty ltd"),
        ("DBS Pte. Ltd.", "dbs", "pte ltd"),
        ("Nokia Oyj", "nokia", "oyj"),
        ("Kone Oy", "kone", "oy"),
        ("Volvo AB", "volvo", "ab"),
        ("Ørsted A/S", "orsted", "as"),
        ("Lego ApS", "lego", "aps"),
        ("Equinor ASA", "equinor", "asa"),
        ("Polska Grupa Sp. z o.o.", "polska grupa", "sp z oo"),
        ("Cemex, S.A.B. de C.V.", "cemex", "sa de cv"),
        ("PT Telkom Indonesia Tbk", "telkom indonesia", "tbk"),
        ("Acme Corp.", "acme", "corp"),
        ("Acme Corporation", "acme", "corp"),
        ("Acme", "acme", None),
    ],
)
def test_org_name_core_and_legal_form(raw: str, core: str, form: str | None) -> None:
    parsed = NAMES.parse(raw)
    assert parsed.core == core
    assert parsed.legal_form == form


def test_name_variants_share_keys() -> None:
    a, b = NAMES.parse("Kestrel Analytics Ltd"), NAMES.parse("KESTREL ANALYTICS LIMITED")
    assert a == b
    assert NAMES.parse("Analytics Kestrel").sorted_tokens == a.sorted_tokens
    assert NAMES.parse("Kestrell Analytics").phonetic == a.phonetic


def test_legal_form_is_kept_apart_for_sister_companies() -> None:
    gmbh, ltd = NAMES.parse("Acme GmbH"), NAMES.parse("Acme Ltd")
    assert gmbh.core == ltd.core
    assert (gmbh.legal_form, ltd.legal_form) == ("gmbh", "ltd")


def test_extra_legal_forms_and_abbreviations_from_settings() -> None:
    names = NameNormaliser({"e.U.": "eu"}, {"cnsltg": "consulting"})
    parsed = names.parse("Huber Cnsltg e.U.")
    assert (parsed.core, parsed.legal_form) == ("huber consulting", "eu")


@pytest.mark.parametrize(
    ("line1", "line2", "street", "number", "unit"),
    [
        ("1 Main Street", None, "main st", "1", None),
        ("Suite 200, 1 Main St.", None, "main st", "1", "suite 200"),
        ("1 Main St Ste 200", None, "main st", "1", "ste 200"),
        ("350 Fifth Avenue", "Floor 21", "fifth ave", "350", "floor 21"),
        ("10 Downing Street", "2nd Floor", "downing st", "10", "floor 2"),
        ("Hauptstraße 5", None, "hauptstr", "5", None),
        ("Hauptstr. 5", "3. OG", "hauptstr", "5", "floor 3"),
        ("12 rue de la Paix", None, "rue de la paix", "12", None),
        ("Keizersgracht 123", None, "keizersgr", "123", None),
        ("Level 12, 1 Martin Place", None, "martin pl", "1", "level 12"),
        ("100 North Road", None, "n rd", "100", None),
    ],
)
def test_street_parsing(line1, line2, street, number, unit) -> None:
    parsed = parse_street(line1, line2)
    assert (parsed.street, parsed.house_number, parsed.unit) == (street, number, unit)


@pytest.mark.parametrize(
    ("raw", "country", "code", "district"),
    [
        ("sw1a1aa", "GB", "SW1A1AA", "SW1A"),
        ("EC2V 7HH", "GB", "EC2V7HH", "EC2V"),
        ("12345-6789", "US", "12345", "123"),
        ("1012 ab", "NL", "1012AB", "1012"),
        ("D-80331", "DE", "80331", "803"),
        ("k1a 0b1", "CA", "K1A0B1", "K1A"),
        ("114 55", "SE", "11455", "114"),
        ("2000", "AU", "2000", "20"),
    ],
)
def test_postcodes_by_country(raw, country, code, district) -> None:
    assert tuple(parse_postcode(raw, country)) == (code, district)


def test_identifiers_only_count_when_valid() -> None:
    assert validate_tax_id("GB980780684", None).value == "GB980780684"
    assert validate_tax_id("980780684", "GB").value == "GB980780684"  # prefix dropped
    assert validate_tax_id("GB980780685", None).value is None  # bad check digits
    assert validate_tax_id("DE136695976", "DE").country == "DE"
    assert validate_lei("5493001KJTIIGC8Y1R12") == "5493001KJTIIGC8Y1R12"
    assert validate_lei("5493001KJTIIGC8Y1R13") is None


def test_phones_domains_and_free_mail() -> None:
    assert tuple(normalise_phone("+442071234567", "GB")) == ("+442071234567", "2071234567")
    assert normalise_phone("020 7123 4567", "GB").national == "2071234567"
    assert tuple(domain_from_website("https://www.acme.co.uk/about")) == ("acme.co.uk", "acme")
    assert domain_from_email("ap@Acme.com").domain == "acme.com"
    assert domain_from_email("someone@gmail.com").domain is None
    assert domain_from_email("x@yahoo.co.uk").domain is None


def test_normalise_records_adds_columns_only_for_present_attributes() -> None:
    rows = [
        {
            "unique_id": "crm|1",
            "system": "crm",
            "source_id": "1",
            "name": "Acme Ltd",
            "country": "gb",
            "postcode": "ec2v7hh",
        }
    ]
    table = normalise_records(rows, default_matching_settings("customer"))
    row = table.to_pylist()[0]
    assert (row["name_core"], row["legal_form"], row["country"]) == ("acme", "ltd", "GB")
    assert row["postcode_norm"] == "EC2V7HH"
    assert "tax_id_valid" not in table.column_names  # no tax_id column given
    assert "street" not in table.column_names


def test_trading_and_legal_names_of_different_string_types_are_parsed_together() -> None:
    rows = pa.Table.from_pylist(
        [
            {
                "unique_id": "1",
                "system": "crm",
                "source_id": "1",
                "name": "Acme",
                "legal_name": None,
            },
            {
                "unique_id": "2",
                "system": "erp",
                "source_id": "2",
                "name": None,
                "legal_name": "Acme Ltd",
            },
        ]
    )
    wide = rows.set_column(3, "name", rows["name"].cast(pa.large_string()))
    settings = default_matching_settings("customer")
    ours, theirs = normalise_records(wide, settings), normalise_records(rows, settings)
    assert ours.drop_columns(["name"]).equals(theirs.drop_columns(["name"]))  # name as given
    assert ours["legal_form"].to_pylist() == [None, "ltd"]


def test_project_normalisation() -> None:
    rows = [
        {
            "unique_id": "psa|1",
            "system": "psa",
            "source_id": "1",
            "name": "ACME - Phase 2",
            "code": "acme-2024-017",
            "start_date": "2024-03-01",
            "project_manager": "Smith, Jane",
        }
    ]
    row = normalise_records(rows, default_matching_settings("project")).to_pylist()[0]
    assert row["code_norm"] == "ACME2024017"
    assert row["project_name_norm"] == "acme phase 2"
    assert row["project_manager_norm"] == "jane smith"
    assert str(row["start_date"]) == "2024-03-01"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Belfl aSystems", "Belfla Systems Ltd"), ("PriceWaterhouse", "Price Waterhouse LLP")],
)
def test_spacing_variants_share_the_compact_name(a: str, b: str) -> None:
    assert NAMES.parse(a).compact == NAMES.parse(b).compact
    assert NAMES.parse(a).core != NAMES.parse(b).core


def test_transposed_letters_share_the_anagram_key_but_other_names_do_not() -> None:
    assert NAMES.parse("Yovrer Pte Ltd").anagram == NAMES.parse("Yorver").anagram
    assert NAMES.parse("Sornesen").anagram == NAMES.parse("Sørensen").anagram
    assert NAMES.parse("Yorver").anagram != NAMES.parse("Yorker").anagram
