"""Type normalisers: countries, phones, tax ids, LEIs, domains, dates."""

import pytest

from mdm.mapping import InvalidValue, to_country, to_domain, to_lei, to_phone, to_tax_id
from mdm.mapping._values import to_boolean, to_currency, to_date, to_timestamp


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("gbr", "GB"),
        ("Deutschland", "DE"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("Côte d'Ivoire", "CI"),
        ("the Netherlands", "NL"),
        ("Schweiz", "CH"),
        ("jp", "JP"),
        (" France ", "FR"),
    ],
)
def test_countries_are_recognised_by_code_name_or_common_variant(given, code):
    assert to_country(given) == code


def test_an_unknown_country_is_invalid_with_the_value_in_the_reason():
    with pytest.raises(InvalidValue, match="'Atlantis' is not a known country"):
        to_country("Atlantis")


def test_phones_become_e164_using_the_record_country_for_national_numbers():
    assert to_phone("020 7946 0958", "GB") == "+442079460958"
    assert to_phone("+49 30 1234567", None) == "+49301234567"
    assert to_phone("(212) 555-0123", "US") == "+12125550123"


def test_a_phone_that_is_not_a_number_is_invalid():
    with pytest.raises(InvalidValue):
        to_phone("not a phone", "FR")


def test_tax_ids_are_compacted_validated_and_prefixed_with_their_country():
    assert to_tax_id("GB 980 7806 84", None) == "GB980780684"
    assert to_tax_id("136695976", "DE") == "DE136695976"
    assert to_tax_id("EL 094259216", None) == "GR094259216"
    assert to_tax_id("NL004495445B01", None) == "NL004495445B01"


def test_a_tax_id_with_a_bad_checksum_is_invalid():
    with pytest.raises(InvalidValue, match="not a valid GB number"):
        to_tax_id("GB123456789", None)


def test_a_tax_id_without_any_country_cannot_be_checked():
    with pytest.raises(InvalidValue, match="no country"):
        to_tax_id("123456789", None)


def test_leis_are_checked_with_iso_7064():
    assert to_lei("5493001KJTIIGC8Y1R12") == "5493001KJTIIGC8Y1R12"
    with pytest.raises(InvalidValue):
        to_lei("5493001KJTIIGC8Y1R13")


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("https://www.Acme.co.uk/about", "acme.co.uk"),
        ("acme.de", "acme.de"),
        ("Joe.Bloggs@Acme.FR", "acme.fr"),
        ("http://shop.acme.com:8080/x?y=1", "shop.acme.com"),
    ],
)
def test_websites_and_email_addresses_give_a_domain(given, domain):
    assert to_domain(given) == domain


def test_a_word_is_not_a_domain():
    with pytest.raises(InvalidValue):
        to_domain("n/a")


def test_dates_timestamps_booleans_and_currencies_are_normalised():
    assert to_date("2024-03-01") == "2024-03-01"
    assert to_timestamp("2024-03-01T10:00:00Z") == "2024-03-01T10:00:00+00:00"
    assert to_timestamp("2024-03-01T12:00:00+02:00") == "2024-03-01T10:00:00+00:00"
    assert to_boolean("Yes") == "true"
    assert to_currency("eur") == "EUR"
    with pytest.raises(InvalidValue):
        to_currency("EUX")
    with pytest.raises(InvalidValue):
        to_date("01/03/2024")
