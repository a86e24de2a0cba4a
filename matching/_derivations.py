"""Derivations of one input value, as plain top-level functions.

`normalise_records` applies each to the distinct values of a column. They are module
functions rather than lambdas so that a large column can be mapped on several processes:
they pickle. Each returns a tuple (the parsers' NamedTuples are tuples already).
Organisation names are parsed by `NameNormaliser.fields`, a bound method of an object
that pickles its tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from matching._addresses import normalise_city, parse_postcode, parse_street
from matching._identifiers import (
    domain_from_email,
    domain_from_website,
    normalise_phone,
    normalise_registration_number,
    validate_lei,
    validate_tax_id,
)
from matching._legal_forms import LEGAL_FORM_FAMILIES
from matching._text import alnum_upper, tokens

#: Joins a value and its context (a postcode and its country) into one distinct key.
SEP = "\x1f"


def _split(key: str) -> tuple[str, str | None]:
    value, _, context = key.partition(SEP)
    return value, (context or None)


def legal_form_family(form: str) -> tuple[str]:
    return (LEGAL_FORM_FAMILIES.get(form, form),)


def street(key: str) -> tuple[Any, ...]:
    return parse_street(*_split(key))


def postcode(key: str) -> tuple[Any, ...]:
    return parse_postcode(*_split(key))


def city(value: str) -> tuple[str | None]:
    return (normalise_city(value),)


def tax_id(key: str) -> tuple[Any, ...]:
    return validate_tax_id(*_split(key))


def lei(value: str) -> tuple[str | None]:
    return (validate_lei(value),)


def registration_number(value: str) -> tuple[str | None]:
    return (normalise_registration_number(value),)


def phone(key: str) -> tuple[Any, ...]:
    return normalise_phone(*_split(key))


def website(value: str) -> tuple[Any, ...]:
    return domain_from_website(value)


def email(value: str) -> tuple[Any, ...]:
    return domain_from_email(value)


def project_name(value: str) -> tuple[Any, ...]:
    toks = tokens(value)
    return (" ".join(toks) or None, " ".join(sorted(toks)) or None, toks[0] if toks else None)


def code(value: str) -> tuple[str | None]:
    return (alnum_upper(value) or None,)


def person_name(value: str) -> tuple[str | None]:
    return (" ".join(sorted(tokens(value))) or None,)


def iso_date(value: str) -> tuple[date | None]:
    try:
        return (datetime.fromisoformat(value.strip()[:19]).date(),)
    except ValueError:
        return (None,)
