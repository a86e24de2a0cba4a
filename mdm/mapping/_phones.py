"""Phone numbers to E.164, with a fast path for plain digits over phonenumbers' own metadata.

`phonenumbers.parse` costs tens of microseconds a number, and extract phones are nearly all
distinct, so caching does not help. Most of them are written as plain digits with spaces,
dashes, dots or brackets, optionally after a `+`: for those the fast path below repeats
exactly the steps `parse` takes (country calling code, national prefix for parsing, possible
lengths of the region's general description) with the library's metadata, compiled once. It
refuses whatever it does not model (IDD prefixes, a national number starting with its own
calling code, prefix transform rules, non-geographic codes, letters, extensions, any
non-ASCII) and phonenumbers itself decides those. tests/unit/test_phones.py checks the fast
path against phonenumbers over a large random sample of regions and formats.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS

from mdm.mapping._values import InvalidValue

_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' bounds on a national significant number
_TOO_SHORT, _POSSIBLE, _LOCAL_ONLY, _TOO_LONG, _INVALID_LENGTH = range(5)


class _Plan(NamedTuple):
    """What parsing needs from one region's metadata, compiled once."""

    code: str  # country calling code, as digits
    prefix: re.Pattern[str] | None  # national prefix for parsing
    transform: bool  # the prefix comes with a transform rule
    general: re.Pattern[str] | None  # national number pattern of the general description
    verdicts: tuple[int, ...]  # length check result by number length, 0 to _MAX_NSN
    idd: re.Pattern[str] | None  # international dialling prefix
    main: bool  # the main region of its calling code (whose lengths is_possible checks)


def _plan(metadata: PhoneMetadata) -> _Plan:
    desc = metadata.general_desc
    lengths, local = tuple(desc.possible_length), tuple(desc.possible_length_local_only)
    return _Plan(
        str(metadata.country_code),
        re.compile(metadata.national_prefix_for_parsing)
        if metadata.national_prefix_for_parsing
        else None,
        bool(metadata.national_prefix_transform_rule),
        re.compile(desc.national_number_pattern) if desc.national_number_pattern else None,
        tuple(_length_check(n, lengths, local) for n in range(_MAX_NSN + 1)),
        re.compile(metadata.international_prefix) if metadata.international_prefix else None,
        COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code, ("",))[0] == metadata.id,
    )


@cache
def _region_plan(region: str) -> _Plan | None:
    metadata = PhoneMetadata.metadata_for_region(region) if region in SUPPORTED_REGIONS else None
    if metadata is None or not metadata.general_desc.possible_length:
        return None
    return _plan(metadata)


@cache
def _calling_code_plan(code: str) -> _Plan | None:
    """The plan of the main region of a calling code; None for non-geographic codes."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(int(code))
    return _region_plan(regions[0]) if regions else None


def _length_check(actual: int, lengths: tuple[int, ...], local: tuple[int, ...]) -> int:
    """phonenumbers' `_test_number_length` for the general description, by length."""
    if actual in local:
        return _LOCAL_ONLY
    if actual == lengths[0]:
        return _POSSIBLE
    if actual < lengths[0]:
        return _TOO_SHORT
    if actual > lengths[-1]:
        return _TOO_LONG
    return _POSSIBLE if actual in lengths[1:] else _INVALID_LENGTH


def _strip_national_prefix(number: str, found: re.Match[str], plan: _Plan) -> str | None:
    """The number after parse's rules for a national prefix found; None: not modelled."""
    if plan.transform and (not found.groups() or found.groups()[-1] is not None):
        return None  # the prefix would be rewritten, not stripped
    stripped, general = number[found.end() :], plan.general
    if general is not None and not general.fullmatch(stripped) and general.fullmatch(number):
        return number  # parse keeps a number that fits only with its prefix
    if len(stripped) > _MAX_NSN:
        return None
    if plan.verdicts[len(stripped)] in (_TOO_SHORT, _LOCAL_ONLY, _INVALID_LENGTH):
        return number
    return stripped


def _split_calling_code(digits: str) -> tuple[str, _Plan] | None:
    if digits[:1] == "0":
        return None
    for size in (1, 2, 3):
        if int(digits[:size]) in COUNTRY_CODE_TO_REGION_CODE:
            plan = _calling_code_plan(digits[:size])
            return (digits[:size], plan) if plan else None
    return None


def fast_e164(value: str, region: str | None) -> str | None:
    """E.164 of a plain-digits phone exactly as phonenumbers gives it, or None to defer."""
    text = value.strip()
    international = text[:1] == "+"
    digits = (text[1:] if international else text).replace(" ", "").replace("-", "")
    if not digits.isdigit():
        digits = digits.replace("(", "").replace(")", "").replace(".", "")
        if not digits.isdigit():
            return None
    if not digits.isascii() or len(digits) < 3 or len(value) > 250:
        return None
    if international:
        split = _split_calling_code(digits)
        if split is None or len(digits) - len(split[0]) < _MIN_NSN:
            return None
        code, plan = split
        national = digits[len(code) :]
    else:
        plan = _region_plan(region) if region else None
        if plan is None or digits.startswith(plan.code):
            return None
        if plan.idd is not None and plan.idd.match(digits):
            return None
        code, national = plan.code, digits
    found = plan.prefix.match(national) if plan.prefix is not None else None
    if found is not None:
        national = _strip_national_prefix(national, found, plan)
        if national is None:
            return None
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None
    main = plan if code == plan.code and plan.main else _calling_code_plan(code)
    if main is None or main.verdicts[len(national)] not in (_POSSIBLE, _LOCAL_ONLY):
        return None  # phonenumbers words the refusal
    return "+" + code + national


def to_phone(value: str, region: str | None) -> str:
    """E.164 form of a phone number; national numbers need the record's country."""
    fast = fast_e164(value, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(f"{value!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidValue(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
