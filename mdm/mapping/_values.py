"""Normalisers of attribute types: each validates a value and returns its canonical text.

They raise InvalidValue with a reason a steward can act on. Look-ups are cached, since
the same countries, currencies and domains recur on most rows of an extract.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from urllib.parse import urlsplit

import pycountry
from stdnum import lei as stdnum_lei
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import get_cc_module


class InvalidValue(ValueError):
    """A value that fails its type's validation; the message is the reason."""


# Names in common use that pycountry does not know (keys are folded: see _fold).
_COUNTRY_ALIASES = {
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "united kingdom of great britain": "GB",
    "usa": "US",
    "u s a": "US",
    "us": "US",
    "u s": "US",
    "america": "US",
    "united states of america": "US",
    "deutschland": "DE",
    "allemagne": "DE",
    "germania": "DE",
    "espana": "ES",
    "espagne": "ES",
    "italia": "IT",
    "italie": "IT",
    "nederland": "NL",
    "holland": "NL",
    "the netherlands": "NL",
    "pays bas": "NL",
    "belgie": "BE",
    "belgique": "BE",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "osterreich": "AT",
    "oesterreich": "AT",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "polska": "PL",
    "eire": "IE",
    "republic of ireland": "IE",
    "nippon": "JP",
    "nihon": "JP",
    "uae": "AE",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
    "hong kong sar": "HK",
    "deutschland brd": "DE",
    "brasil": "BR",
    "mexique": "MX",
    "turkey": "TR",
    "turkiye": "TR",
    "vietnam": "VN",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@lru_cache(maxsize=4096)
def to_country(value: str) -> str:
    """ISO 3166-1 alpha-2 code of a country given by code (alpha-2/3) or name."""
    folded = _fold(value)
    if not folded:
        raise InvalidValue("empty country")
    if folded in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[folded]
    try:
        return pycountry.countries.lookup(folded).alpha_2
    except LookupError:
        pass
    code = _folded_names().get(folded)
    if code is None:
        raise InvalidValue(f"{value!r} is not a known country")
    return code


@cache
def _folded_names() -> dict[str, str]:
    """Folded country names (name, official, common) -> alpha-2; the first country wins.

    Built once: scanning every country per unknown value cost tens of milliseconds each.
    """
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for name in ("name", "official_name", "common_name"):
            names.setdefault(_fold(getattr(country, name, "") or ""), country.alpha_2)
    return names


_FREE_TEXT_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
# A bare host or `scheme://host`, then a path, query or fragment: what urlsplit would make
# the host of, found without it. Ports, user@, brackets, tabs and non-ASCII take urlsplit.
_PLAIN_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?([a-z0-9.-]+)(?:[/?#][^\t\n\r]*)?")
_HOST = re.compile(r"[a-z0-9.-]+")


@lru_cache(maxsize=65536)
def to_domain(value: str) -> str:
    """Host name of a website or e-mail address, lower-case, without a leading www."""
    text = value.strip().lower()
    plain = None if "@" in text else _PLAIN_URL.fullmatch(text)
    if plain is not None:  # [a-z0-9.-]+ already
        host = plain.group(1).strip(".").removeprefix("www.")
        if "." not in host:
            raise InvalidValue(f"{value!r} is not a website or e-mail domain")
        return host
    if "@" in text:
        host = _url_host(text.rsplit("@", 1)[1])
    else:
        host = _url_host(text if _FREE_TEXT_URL.match(text) else "http://" + text)
    host = host.strip(".").removeprefix("www.")
    if "." not in host or not _HOST.fullmatch(host):
        raise InvalidValue(f"{value!r} is not a website or e-mail domain")
    return host


def _url_host(text: str) -> str:
    try:
        return (urlsplit(text).hostname if "://" in text else text) or ""
    except ValueError:  # such as unbalanced IPv6 brackets: not a domain, not a crash
        return ""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def to_email(value: str) -> str:
    text = value.strip().lower()
    if not _EMAIL.match(text):
        raise InvalidValue(f"{value!r} is not an e-mail address")
    return text


_VAT_PREFIX_TO_COUNTRY = {"EL": "GR", "XI": "GB"}


@lru_cache(maxsize=65536)
def to_tax_id(value: str, country: str | None) -> str:
    """Compact, checksum-validated tax id, prefixed with its ISO country code.

    An EU-style prefix in the value wins over the record's country; without either the
    number cannot be checked and is refused.
    """
    text = re.sub(r"[\s.\-/]", "", value).upper()
    candidates: list[tuple[str, str]] = []
    prefix = text[:2]
    if prefix.isalpha() and (
        prefix in _VAT_PREFIX_TO_COUNTRY or pycountry.countries.get(alpha_2=prefix)
    ):
        owner = _VAT_PREFIX_TO_COUNTRY.get(prefix, prefix)
        candidates += [(owner, text), (owner, text[2:])]
    if country:
        candidates.append((country.upper(), text))
    if not candidates:
        raise InvalidValue(f"tax id {value!r} has no country to check it against")
    reason = ""
    for cc, number in candidates:
        module = get_cc_module(cc.lower(), "vat") or get_cc_module(cc.lower(), "tin")
        if module is None:
            return f"{cc}{number}"
        try:
            compact = module.compact(module.validate(number))
        except StdnumError as exc:
            reason = reason or exc.message
            continue
        compact = re.sub(r"[\s.\-/]", "", compact).upper()
        return f"{cc}{compact[2:] if compact[:2] in (cc, 'EL') else compact}"
    cc = candidates[0][0]
    raise InvalidValue(f"tax id {value!r} is not a valid {cc} number ({reason})")


def to_lei(value: str) -> str:
    try:
        return stdnum_lei.validate(value)
    except StdnumError as exc:
        raise InvalidValue(f"LEI {value!r} is not valid ({exc.message})") from None


def to_date(value: str) -> str:
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise InvalidValue(f"{value!r} is not an ISO date (give the source's format)") from None


def to_timestamp(value: str) -> str:
    return to_moment(value).isoformat()


def to_moment(value: str) -> datetime:
    """The UTC datetime of an ISO timestamp (no zone: UTC); to_timestamp gives its ISO text."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            f"{value!r} is not an ISO timestamp (give the source's format)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_integer(value: str) -> str:
    try:
        return str(int(value.strip().replace(",", "").replace("_", "")))
    except ValueError:
        raise InvalidValue(f"{value!r} is not a whole number") from None


def to_decimal(value: str) -> str:
    try:
        return str(Decimal(value.strip().replace(",", "")))
    except InvalidOperation:
        raise InvalidValue(f"{value!r} is not a number") from None


_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def to_boolean(value: str) -> str:
    folded = value.strip().casefold()
    if folded in _TRUE or folded in _FALSE:
        return "true" if folded in _TRUE else "false"
    raise InvalidValue(f"{value!r} is not true or false")


@lru_cache(maxsize=512)
def to_currency(value: str) -> str:
    code = value.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise InvalidValue(f"{value!r} is not an ISO 4217 currency code")
    return code
