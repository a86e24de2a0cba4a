"""Street addresses and postcodes: canonical street types, units split off, house number.

"Suite 200, 1 Main Street" and "1 Main St Ste 200" are one address. Units, floors and
suites are recorded in a separate token (two tenants of one building differ only there),
street types and directions are abbreviated one way, and the house number is extracted
so the street and the number can be compared separately. Postcodes are put in each
country's canonical shape with a coarser "district" (UK outward code, US ZIP3, NL digits).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from matching._text import alnum_upper, tokens

STREET_TYPES: dict[str, str] = {
    "street": "st",
    "st": "st",
    "str": "str",
    "strasse": "str",
    "straße": "str",
    "road": "rd",
    "rd": "rd",
    "avenue": "ave",
    "ave": "ave",
    "av": "ave",
    "avda": "ave",
    "avenida": "ave",
    "boulevard": "blvd",
    "blvd": "blvd",
    "bd": "blvd",
    "bvd": "blvd",
    "drive": "dr",
    "dr": "dr",
    "lane": "ln",
    "ln": "ln",
    "place": "pl",
    "pl": "pl",
    "platz": "pl",
    "plaza": "plz",
    "court": "ct",
    "ct": "ct",
    "square": "sq",
    "sq": "sq",
    "terrace": "ter",
    "terr": "ter",
    "highway": "hwy",
    "hwy": "hwy",
    "parkway": "pkwy",
    "pkwy": "pkwy",
    "crescent": "cres",
    "cres": "cres",
    "close": "cl",
    "way": "way",
    "gardens": "gdns",
    "gdns": "gdns",
    "circle": "cir",
    "cir": "cir",
    "mews": "mews",
    "row": "row",
    "hill": "hl",
    "park": "pk",
    "wharf": "whf",
    "quay": "qy",
    "chemin": "ch",
    "ch": "ch",
    "allee": "all",
    "quai": "qu",
    "impasse": "imp",
    "straat": "straat",
    "laan": "ln",
    "plein": "pl",
    "gracht": "gr",
    "weg": "weg",
    "gasse": "g",
    "calle": "c",
    "c": "c",
    "piazza": "pza",
    "pza": "pza",
    "viale": "vle",
    "vle": "vle",
    "rua": "r",
    "ulica": "ul",
    "ul": "ul",
    "vej": "v",
    "gatan": "g",
    "gata": "g",
    "gade": "g",
    "katu": "k",
}
DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
_UNIT_WORDS = frozenset(
    {
        "suite",
        "ste",
        "unit",
        "flat",
        "apt",
        "apartment",
        "floor",
        "fl",
        "flr",
        "level",
        "lvl",
        "room",
        "rm",
        "office",
        "bureau",
        "etage",
        "stock",
        "og",
        "piso",
        "piano",
        "despacho",
        "box",
        "bldg",
        "building",
        "dept",
        "department",
        "no",
    }
)
_UNIT_STARTS = _UNIT_WORDS | {"po", "p"}
_ORDINAL_FLOOR = re.compile(r"^(\d+)(st|nd|rd|th|e|er|eme|o|a)?$")
_HOUSE_NUMBER = re.compile(r"^\d+[a-z]?$|^\d+[a-z]?-\d+[a-z]?$")
_SUFFIX_STREET = (
    ("strasse", "str"),
    ("str", "str"),
    ("straat", "straat"),
    ("weg", "weg"),
    ("gasse", "g"),
    ("platz", "pl"),
    ("gatan", "g"),
    ("vej", "v"),
    ("katu", "k"),
    ("gracht", "gr"),
    ("laan", "ln"),
    ("plein", "pl"),
)


class ParsedAddress(NamedTuple):
    """Derived forms of one street line."""

    street: str | None  # canonical street without house number and unit
    house_number: str | None
    unit: str | None  # "suite 200", "floor 3", "po box 12"...
    full: str | None  # house number + street, the exact-match key


_EMPTY = ParsedAddress(None, None, None, None)


@lru_cache(maxsize=1 << 16)
def _canonical_street_token(tok: str) -> str:
    if tok in STREET_TYPES:
        return STREET_TYPES[tok]
    if tok in DIRECTIONS:
        return DIRECTIONS[tok]
    for suffix, short in _SUFFIX_STREET:  # German/Dutch/Nordic compounds: Hauptstrasse
        if tok.endswith(suffix) and len(tok) > len(suffix) + 2:
            return tok[: -len(suffix)] + short
    return tok


def _take_units(toks: list[str]) -> tuple[list[str], list[str]]:
    """Split unit/floor/suite phrases (a unit word and the token after it) from the rest."""
    if _UNIT_STARTS.isdisjoint(toks):  # most lines: every unit phrase holds one of these
        return toks, []
    rest: list[str] = []
    units: list[str] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok in ("po", "p") and nxt == "box" and i + 2 < len(toks):
            units.append("po box " + toks[i + 2])
            i += 3
        elif tok in _UNIT_WORDS and nxt is not None and any(c.isdigit() for c in nxt):
            units.append(f"{tok} {nxt}")
            i += 2
        elif nxt in ("floor", "fl", "flr", "etage", "og", "stock", "piso", "piano") and (
            _ORDINAL_FLOOR.match(tok)
        ):
            units.append("floor " + _ORDINAL_FLOOR.match(tok).group(1))  # type: ignore[union-attr]
            i += 2
        else:
            rest.append(tok)
            i += 1
    return rest, units


def parse_street(line1: str | None, line2: str | None = None) -> ParsedAddress:
    """Parse street lines: units from both lines, street and number from the first."""
    if line1 is None and line2 is None:
        return _EMPTY
    toks1, units1 = _take_units(tokens(line1 or ""))
    _, units2 = _take_units(tokens(line2 or ""))
    if not toks1 and line2 and not units2:  # street given only on line 2
        toks1, units2 = _take_units(tokens(line2))
    number = next((t for t in toks1 if _HOUSE_NUMBER.match(t)), None)
    street = [_canonical_street_token(t) for t in toks1 if t != number]
    units = units1 + units2
    street_s = " ".join(street) or None
    full = " ".join(x for x in (number, street_s) if x) or None
    return ParsedAddress(street_s, number, " ".join(units) or None, full)


class ParsedPostcode(NamedTuple):
    """A postcode in compact canonical form (no spaces, so records without a country still
    agree) and a coarser district for blocking (needs the country to know the shape)."""

    code: str | None
    district: str | None


_COUNTRY_PREFIX = re.compile(r"^([A-Z]{1,3})-?(\d{3,})$")
_UK = ("GB", "UK", "GG", "JE", "IM")


def parse_postcode(value: str | None, country: str | None) -> ParsedPostcode:
    """Canonical postcode for the country (ISO alpha-2; unknown countries get a generic form)."""
    if value is None:
        return ParsedPostcode(None, None)
    raw = alnum_upper(value)
    country = (country or "").upper()
    prefixed = _COUNTRY_PREFIX.match(raw)
    if prefixed and country not in _UK + ("CA", "IE", "NL"):  # "D-80331", "CH-8001"
        raw = prefixed.group(2)
    if not raw:
        return ParsedPostcode(None, None)
    if country in _UK and 5 <= len(raw) <= 7:
        return ParsedPostcode(raw, raw[:-3])
    if country in ("US", "PR") and raw[:5].isdigit():
        return ParsedPostcode(raw[:5], raw[:3])
    if country == "NL" and len(raw) == 6 and raw[:4].isdigit():
        return ParsedPostcode(raw, raw[:4])
    if (country == "CA" and len(raw) == 6) or (country == "IE" and len(raw) == 7):
        return ParsedPostcode(raw, raw[:3])
    if country in ("BR",) and raw.isdigit():
        return ParsedPostcode(raw, raw[:5])
    if raw.isdigit():
        return ParsedPostcode(raw, raw[:3] if len(raw) >= 5 else raw[:2])
    return ParsedPostcode(raw, None)


def normalise_city(value: str | None) -> str | None:
    """Folded city name; "St"/"Saint" and "Ft"/"Fort" written one way."""
    if value is None:
        return None
    toks = [_CITY_WORDS.get(t, t) for t in tokens(value)]
    return " ".join(toks) or None


_CITY_WORDS = {
    "st": "saint",
    "ste": "sainte",
    "ft": "fort",
    "mt": "mount",
    "muenchen": "munchen",
    "koeln": "koln",
    "frankfurt": "frankfurt",
}
