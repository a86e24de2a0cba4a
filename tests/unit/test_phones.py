"""The fast E.164 path gives exactly what phonenumbers gives, or defers to it."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonenumberutil import SUPPORTED_REGIONS

from mdm.mapping import InvalidValue, to_phone
from mdm.mapping._phones import fast_e164

REGIONS = sorted(SUPPORTED_REGIONS)
TYPES = [
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.VOIP,
    PhoneNumberType.UAN,
]
FORMATS = [PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164]


def phonenumbers_e164(value: str, region: str | None) -> str | None:
    """What phonenumbers alone makes of the value (None: it refuses it)."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _examples() -> list[tuple[str, phonenumbers.PhoneNumber]]:
    found = []
    for region in REGIONS:
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append((region, number))
    return found


def _variant(rng: random.Random, number: phonenumbers.PhoneNumber) -> str:
    """A rewritten, often perturbed, spelling of an example number."""
    text = phonenumbers.format_number(number, rng.choice(FORMATS))
    digits = list(text)
    for _ in range(rng.choice([0, 0, 1, 2])):  # change, drop or add a digit
        spots = [i for i, ch in enumerate(digits) if ch.isdigit()]
        i = rng.choice(spots)
        action = rng.random()
        if action < 0.5:
            digits[i] = str(rng.randrange(10))
        elif action < 0.75:
            del digits[i]
        else:
            digits.insert(i, str(rng.randrange(10)))
    text = "".join(digits)
    separator = rng.choice([" ", "-", ".", "", " "])
    text = text.replace(" ", separator) if rng.random() < 0.3 else text
    nsn = phonenumbers.national_significant_number(number)
    code = str(number.country_code)
    prefix = rng.random()
    if prefix < 0.1:
        text = f"00{code} {nsn}"
    elif prefix < 0.2:
        text = f"{code} {nsn}"
    elif prefix < 0.3:
        text = f"+{code} 0{nsn}"
    elif prefix < 0.35:
        text = f"({nsn[:3]}) {nsn[3:]}"
    elif prefix < 0.4:
        text = f"0{nsn}"
    return text


def test_the_fast_path_agrees_with_phonenumbers_over_every_region_and_format():
    rng = random.Random(20240611)
    examples = _examples()
    accepted = 0
    cases = 0
    for _ in range(40):
        for region, number in examples:
            value = _variant(rng, number)
            parse_region = rng.choice([region, region, region, rng.choice(REGIONS), None])
            fast = fast_e164(value, parse_region)
            cases += 1
            if fast is None:
                continue
            accepted += 1
            assert fast == phonenumbers_e164(value, parse_region), (value, parse_region)
    assert cases > 35_000
    assert accepted > cases * 0.4  # the fast path must carry the common case


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("020 7946 0958", "GB"),
        ("030 1234567", "DE"),
        ("01 42 12 34 56", "FR"),
        ("(212) 555-0123", "US"),
        ("020 1234567", "NL"),
        ("+44 20 7946 0958", None),
        ("+44 (0)20 7946 0958", "DE"),
        ("06 1234 5678", "IT"),
        ("03-1234-5678", "JP"),
        ("+1 212 555 0123", "CA"),
    ],
)
def test_common_national_and_international_spellings_take_the_fast_path(value, region):
    assert fast_e164(value, region) is not None
    assert fast_e164(value, region) == phonenumbers_e164(value, region)


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("0044 20 7946 0958", "GB"),  # international dialling prefix
        ("44 20 7946 0958", "GB"),  # national number starting with the calling code
        ("1 212 555 0123", "US"),
        ("+800 1234 5678", None),  # non-geographic calling code
        ("020 7946 0958 ext. 12", "GB"),  # extension
        ("0800 FLOWERS", "GB"),  # letters
        ("020 7946 0958", None),  # no region
        ("020 7946 0958", "gb"),  # phonenumbers is case-sensitive here
        ("０２０ ７９４６ ０９５８", "GB"),  # full-width digits
        ("12", "GB"),
    ],
)
def test_anything_the_fast_path_does_not_model_is_left_to_phonenumbers(value, region):
    assert fast_e164(value, region) is None
    _agrees_with_phonenumbers(value, region)


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="0123456789  -().+", min_size=1, max_size=22),
    st.sampled_from(["GB", "DE", "FR", "US", "NL", "IT", "AU", "JP", "BR", "AR", "CN", "IN", None]),
)
def test_any_string_of_digits_and_separators_gets_the_phonenumbers_answer(value, region):
    fast = fast_e164(value, region)
    if fast is not None:
        assert fast == phonenumbers_e164(value, region)
    _agrees_with_phonenumbers(value, region)


def _agrees_with_phonenumbers(value, region):
    """to_phone gives phonenumbers' E.164 answer, or refuses where phonenumbers has none."""
    expected = phonenumbers_e164(value, region)
    if expected is None:
        with pytest.raises(InvalidValue):
            to_phone(value, region)
    else:
        assert to_phone(value, region) == expected
