"""Identifiers as evidence: tax ids, LEIs, registration numbers, phones, web domains.

An identifier only counts when it is valid: a mistyped VAT number that fails its check
digit says nothing, and two records sharing a placeholder ("0000000") are not a match.
Tax ids are canonicalised to "<country><number>" so "GB980780684" from one system and
"980780684" with country GB from another agree. Free-mail domains are dropped: sharing
gmail.com is not evidence of being one company.
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import ModuleType
from typing import NamedTuple

import phonenumbers
from stdnum import lei as _lei
from stdnum.eu import vat as _eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

from matching._text import alnum_upper

# Number kinds tried, in order, for a tax id without (or beyond) a VAT prefix.
_TAX_ID_KINDS = (
    "vat",
    "tin",
    "ein",
    "abn",
    "bn",
    "gstin",
    "gst",
    "cnpj",
    "uen",
    "rfc",
    "nit",
    "rut",
    "ruc",
    "cif",
    "nif",
    "orgnr",
    "mva",
    "ustid",
    "cuit",
    "brn",
    "uscc",
    "nip",
    "ico",
    "kvk",
    "cvr",
    "ytunnus",
    "siren",
)
_VAT_PREFIX_ALIASES = {"EL": "GR", "XI": "GB"}
_NON_EU_VAT_PREFIXES = {
    "GB",
    "CH",
    "NO",
    "IS",
    "RU",
    "TR",
    "AU",
    "NZ",
    "CA",
    "BR",
    "MX",
    "AR",
    "IN",
    "JP",
    "KR",
    "SG",
    "ZA",
    "IL",
    "CN",
    "US",
    "LI",
}


class TaxId(NamedTuple):
    """A validated tax id: canonical "<CC><compact number>" and its country."""

    value: str | None
    country: str | None


@lru_cache(maxsize=256)
def _modules(country: str) -> tuple[ModuleType, ...]:
    found = []
    for kind in _TAX_ID_KINDS:
        try:
            found.append(get_cc_module(country.lower(), kind))
        except (ImportError, ValueError):
            continue
    return tuple(m for m in found if m is not None)


def _valid_in(module: ModuleType, number: str) -> str | None:
    try:
        return str(module.validate(number))
    except (ValidationError, ValueError, TypeError, IndexError, KeyError):
        return None


def validate_tax_id(value: str | None, country: str | None) -> TaxId:
    """Validate a compacted tax id; the record's country is used when there is no prefix."""
    if not value:
        return TaxId(None, None)
    raw = alnum_upper(value)
    prefix = _VAT_PREFIX_ALIASES.get(raw[:2], raw[:2]) if raw[:2].isalpha() else None
    candidates: list[tuple[str, str]] = []
    if prefix and (prefix.lower() in _eu_vat.MEMBER_STATES or prefix in _NON_EU_VAT_PREFIXES):
        candidates.append((prefix, raw))
    if country:
        cc = country.upper()
        candidates.append((cc, raw))
        if raw[:2] == cc and len(raw) > 4:  # the hub prefixes every tax id with its country
            candidates.append((cc, raw[2:]))
    for cc, number in candidates:
        for module in _modules(cc):
            compact = _valid_in(module, number)
            if compact is not None:
                digits = alnum_upper(compact)
                if digits[:2] == cc or (digits[:2].isalpha() and cc == prefix):
                    digits = digits[2:]
                return TaxId(f"{cc}{digits}", cc)
    return TaxId(None, None)


def validate_lei(value: str | None) -> str | None:
    """ISO 17442 LEI if the check digits hold, else None."""
    if not value:
        return None
    raw = alnum_upper(value)
    return raw if len(raw) == 20 and _lei.is_valid(raw) else None


_PLACEHOLDER = re.compile(r"^(0+|1234567\d*|(\d)\2+|N/?A|NONE|UNKNOWN|TBC|TBD)$")


def normalise_registration_number(value: str | None) -> str | None:
    """Company registration number: upper-case alphanumerics, leading zeros dropped."""
    if not value:
        return None
    raw = alnum_upper(value)
    if not raw or _PLACEHOLDER.match(raw):
        return None
    return raw.lstrip("0") or None


_NOT_DIGITS = bytes(c for c in range(256) if not 48 <= c <= 57)
_NON_DIGITS = re.compile(r"\D")
_CALLING_CODES = frozenset(str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


class Phone(NamedTuple):
    """A phone as E.164 digits and as its national significant number."""

    e164: str | None
    national: str | None


def normalise_phone(value: str | None, country: str | None) -> Phone:
    """Split an E.164 number into calling code and national number (no parsing library
    call on the fast path: E.164 calling codes are prefix-free)."""
    if not value:
        return Phone(None, None)
    if value.isascii():
        digits = value.encode().translate(None, _NOT_DIGITS).decode()
    else:  # \D: other scripts' digits count too
        digits = _NON_DIGITS.sub("", value)
    if len(digits) < 6 or _PLACEHOLDER.match(digits):
        return Phone(None, None)
    if not value.lstrip().startswith("+") and not digits.startswith("00"):
        return _phone_from_national(digits, country)
    digits = digits[2:] if digits.startswith("00") else digits
    for size in (1, 2, 3):
        if digits[:size] in _CALLING_CODES:
            return Phone("+" + digits, digits[size:].lstrip("0") or None)
    return Phone(None, None)


def _phone_from_national(digits: str, country: str | None) -> Phone:
    code = phonenumbers.country_code_for_region((country or "").upper()) if country else 0
    national = digits.lstrip("0")
    if not code or len(national) < 6:
        return Phone(None, national or None)
    return Phone(f"+{code}{national}", national)


FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "rocketmail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "web.de",
        "t-online.de",
        "freenet.de",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "libero.it",
        "virgilio.it",
        "tiscali.it",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "zoho.com",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "talktalk.net",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "bigpond.com",
        "optusnet.com.au",
        "shaw.ca",
        "rogers.com",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "onet.pl",
        "interia.pl",
        "naver.com",
        "hanmail.net",
        "rediffmail.com",
        "mail.com",
        "email.com",
        "fastmail.com",
        "tutanota.com",
        "hey.com",
        "example.com",
    }
)
_FREE_MAIL_LABELS = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "aol", "yandex"})
_SECOND_LEVEL = frozenset(
    {
        "co",
        "com",
        "net",
        "org",
        "ac",
        "gov",
        "edu",
        "or",
        "ne",
        "gv",
        "ltd",
        "plc",
        "nom",
        "gob",
        "go",
        "biz",
    }
)


class Domain(NamedTuple):
    """A registrable web domain and its organisation label ("acme" of "acme.co.uk")."""

    domain: str | None
    label: str | None


def _split_domain(host: str) -> Domain:
    parts = [p for p in host.split(".") if p]
    if len(parts) < 2:
        return Domain(None, None)
    size = 3 if len(parts) >= 3 and parts[-2] in _SECOND_LEVEL and len(parts[-1]) == 2 else 2
    registrable = parts[-size:]
    domain = ".".join(registrable)
    if domain in FREE_MAIL_DOMAINS or registrable[0] in _FREE_MAIL_LABELS:
        return Domain(None, None)
    return Domain(domain, registrable[0])


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_HOST_END = re.compile(r"[/?#:\s]")


def domain_from_website(value: str | None) -> Domain:
    """Registrable domain of a URL or bare host ("https://www.acme.co.uk/about" -> acme.co.uk)."""
    if not value:
        return Domain(None, None)
    host = value.strip().lower()
    if "://" in host:
        host = _SCHEME.sub("", host)
    host = _HOST_END.split(host, maxsplit=1)[0]
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    return _split_domain(host.removeprefix("www."))


def domain_from_email(value: str | None) -> Domain:
    """Registrable domain of an e-mail address, unless it is a free-mail provider."""
    if not value or "@" not in value:
        return Domain(None, None)
    return _split_domain(value.strip().lower().rsplit("@", 1)[1].strip(" >.;,"))
