"""Character-level folding shared by the name, address and project normalisers.

Matching compares strings typed by different people into different systems, so the
first step is always the same: one case, no accents, no punctuation noise. Kept in one
place so every derived column folds text identically.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into base letter + combining mark.
_NON_DECOMPOSING = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "–": "-",
        "—": "-",
    }
)

_APOSTROPHES_AND_DOTS = re.compile(r"['.]")
_SLASH_BETWEEN_LETTERS = re.compile(r"\b([a-z])/([a-z])\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, transliterate and strip accents; punctuation is left in place."""
    if text.isascii():  # nothing to transliterate (every key of the table is non-ASCII)
        return text.casefold()
    text = text.translate(_NON_DECOMPOSING)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def tokens(text: str) -> list[str]:
    """Fold and split into alphanumeric tokens.

    Dots and apostrophes are deleted rather than split on, so "S.A." becomes "sa" and
    "McDonald's" becomes "mcdonalds"; "A/S" becomes "as"; "&" and "+" become "and".
    """
    is_ascii = text.isascii()
    text = text.lower() if is_ascii else fold(text)  # ASCII: lower() is casefold()
    if "&" in text or "+" in text:
        text = text.replace("&", " and ").replace("+", " and ")
    if "/" in text:
        text = _SLASH_BETWEEN_LETTERS.sub(r"\1\2", text)
    if is_ascii or text.isascii():  # the common case: one C-level pass over bytes, no regex
        return text.encode().translate(_ASCII_SEPARATORS, b"'.").decode().split()
    text = _APOSTROPHES_AND_DOTS.sub("", text)
    return _NON_ALNUM.sub(" ", text).split()


#: ASCII letters (already lower case) and digits kept, every other byte a space.
_ASCII_SEPARATORS = bytes(
    c if c < 128 and chr(c).isalnum() and not chr(c).isupper() else 32 for c in range(256)
)


def alnum_upper(text: str) -> str:
    """Upper-case letters and digits only: the compact form of codes and identifiers."""
    if text.isascii():  # fold() is lower() there, and lower().upper() is upper()
        return text.upper().encode().translate(None, _NOT_ALNUM_UPPER).decode()
    return _NON_ALNUM_UPPER.sub("", fold(text).upper())


_NOT_ALNUM_UPPER = bytes(c for c in range(256) if not (48 <= c <= 57 or 65 <= c <= 90))
_NON_ALNUM_UPPER = re.compile(r"[^0-9A-Z]")


@lru_cache(maxsize=1 << 18)  # names share their words: one code per distinct token
def soundex(token: str) -> str:
    """American Soundex of one folded token (digits kept verbatim, e.g. "3m").

    DuckDB has no phonetic function, so the phonetic blocking key is computed here, once
    per distinct name, with C-level string operations (translate, one regex).
    """
    if not token:
        return ""
    if not token[0].isalpha():
        return token[:4]
    codes = _collapse_repeats(token.lower().translate(_SOUNDEX_TABLE))
    if codes and codes[0] == _SOUNDEX_TABLE.get(ord(token[0].lower()), ""):
        codes = codes[1:]
    return (token[0].upper() + codes.replace("0", ""))[:4].ljust(4, "0")


_SOUNDEX_TABLE = {
    ord(k): v
    for k, v in {
        **dict.fromkeys("bfpv", "1"),
        **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt", "3"),
        "l": "4",
        **dict.fromkeys("mn", "5"),
        "r": "6",
        **dict.fromkeys("aeiouy", "0"),
        "h": None,
        "w": None,
    }.items()
}


def _collapse_repeats(codes: str) -> str:
    """One digit of each run of one digit (as `re.sub(r"(\\d)\\1+", r"\\1")`, 4x faster)."""
    kept = []
    previous = ""
    for ch in codes:
        if ch != previous or not ch.isdecimal():  # isdecimal: what \d matches
            kept.append(ch)
        previous = ch
    return "".join(kept)
