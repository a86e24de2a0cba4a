"""Organisation names: folded, abbreviations expanded, legal form split off, keys derived.

One record may carry a trading name in the CRM and the registered legal name in the ERP;
the variations that matter for matching are spelling (case, accents, punctuation,
"&"/"and", "Intl"/"International"), the legal form (kept apart: it distinguishes sister
companies) and noise words. Each distinct name is parsed once (results are cached per
normaliser), which is what makes a million rows affordable in pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from matching._legal_forms import PREFIX_FORMS, legal_form_table
from matching._text import soundex, tokens

ABBREVIATIONS: dict[str, str] = {
    "intl": "international",
    "int": "international",
    "internat": "international",
    "svcs": "services",
    "svc": "services",
    "srvcs": "services",
    "servs": "services",
    "mgmt": "management",
    "mgt": "management",
    "mngmt": "management",
    "tech": "technology",
    "techs": "technologies",
    "technol": "technology",
    "grp": "group",
    "gp": "group",
    "hldgs": "holdings",
    "hldg": "holdings",
    "hold": "holdings",
    "holding": "holdings",
    "assoc": "associates",
    "assocs": "associates",
    "ass": "associates",
    "bros": "brothers",
    "bro": "brothers",
    "mfg": "manufacturing",
    "mfrs": "manufacturers",
    "natl": "national",
    "ctr": "centre",
    "cntr": "centre",
    "center": "centre",
    "sys": "systems",
    "solns": "solutions",
    "sols": "solutions",
    "engg": "engineering",
    "eng": "engineering",
    "govt": "government",
    "univ": "university",
    "inst": "institute",
    "dev": "development",
    "mktg": "marketing",
    "dist": "distribution",
    "distrib": "distribution",
    "invest": "investments",
    "invs": "investments",
    "props": "properties",
    "ind": "industries",
    "inds": "industries",
    "consult": "consulting",
    "labs": "laboratories",
    "lab": "laboratory",
    "pharm": "pharmaceuticals",
    "fin": "financial",
    "finl": "financial",
    "amer": "america",
    "euro": "europe",
}

#: Words that carry no identity: dropped from `name_core`.
STOPWORDS = frozenset({"the", "and", "of", "for", "und", "et", "y", "e", "company", "co"})

#: Business vocabulary: kept in `name_core` (it separates "Acme Holdings" from "Acme
#: Consulting") but skipped when choosing the distinctive tokens for blocking keys.
GENERIC_WORDS = frozenset(
    {
        "group",
        "holdings",
        "international",
        "global",
        "worldwide",
        "services",
        "solutions",
        "consulting",
        "consultants",
        "systems",
        "technology",
        "technologies",
        "partners",
        "associates",
        "enterprises",
        "industries",
        "management",
        "uk",
        "us",
        "usa",
        "europe",
        "emea",
        "america",
        "asia",
        "pacific",
        "bank",
        "trust",
        "capital",
        "ventures",
        "investments",
        "software",
        "digital",
        "media",
        "trading",
        "limited",
        "societe",
        "grupo",
        "groupe",
        "gruppe",
        "grupa",
        "gruppo",
        "compagnie",
        "compania",
        "firma",
        "corporate",
    }
)


class ParsedName(NamedTuple):
    """Derived forms of one organisation name."""

    norm: str | None  # folded, abbreviations expanded, canonical legal form kept
    core: str | None  # without legal form and stopwords
    legal_form: str | None  # canonical code, e.g. "ltd", "gmbh", "kk"
    first: str | None  # first distinctive token (blocking key)
    sorted_tokens: str | None  # core tokens sorted (word-order-insensitive key)
    phonetic: str | None  # Soundex of the first two distinctive tokens
    compact: str | None  # core without spaces ("price waterhouse" = "pricewaterhouse")
    anagram: str | None  # letters of `compact` sorted: blind to transpositions and spacing


_EMPTY = ParsedName(None, None, None, None, None, None, None, None)


class NameNormaliser:
    """Parses organisation names with a legal-form table and abbreviations; caches results."""

    def __init__(
        self,
        extra_legal_forms: Mapping[str, str] | None = None,
        extra_abbreviations: Mapping[str, str] | None = None,
    ) -> None:
        self._forms = legal_form_table(tuple(sorted((extra_legal_forms or {}).items())))
        self._abbrev = {
            **ABBREVIATIONS,
            **{k.lower(): v.lower() for k, v in (extra_abbreviations or {}).items()},
        }
        self._cache: dict[str, ParsedName] = {}
        # Most names end in no legal form: their last word is not the last word of one.
        self._form_ends = frozenset(form.rsplit(" ", 1)[-1] for form in self._forms)
        self._longest_form = max((form.count(" ") + 1 for form in self._forms), default=1)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}}  # sent to workers: the tables, not the cache

    def parse(self, name: str | None) -> ParsedName:
        """Parse one name (None and blank give an all-None result)."""
        if name is None:
            return _EMPTY
        hit = self._cache.get(name)
        if hit is None:
            hit = self._cache[name] = ParsedName._make(self.fields(name))
        return hit

    def fields(self, name: str) -> tuple[str | None, ...]:
        """The `ParsedName` fields of one name as a plain tuple, uncached: for callers that
        parse each distinct name once anyway (the per-name cost is what a million costs)."""
        toks = tokens(name)
        if len(toks) > 1 and toks[0] == "the":
            toks = toks[1:]
        if not toks:
            return _EMPTY
        form = None
        if toks[-1] in self._form_ends or (len(toks) > 1 and toks[0] in PREFIX_FORMS):
            toks, form = self._split_legal_form(toks)
        if not self._abbrev.keys().isdisjoint(toks):
            toks = [self._abbrev.get(t, t) for t in toks]
        # Most names hold no stopword and some distinctive word: skip the filtering then.
        core = toks
        if not STOPWORDS.isdisjoint(toks):
            core = [t for t in toks if t not in STOPWORDS] or toks
        distinctive = core
        if not GENERIC_WORDS.isdisjoint(core):
            distinctive = [t for t in core if t not in GENERIC_WORDS] or core
        core_s = " ".join(core)
        norm = core_s if core is toks else " ".join(toks)
        if form:
            norm = f"{norm} {form}"
        phonetic = soundex(distinctive[0])
        if len(distinctive) > 1:
            phonetic += soundex(distinctive[1])
        compact = "".join(core)
        # norm, core, legal_form, first, sorted_tokens, phonetic, compact, anagram
        return (
            norm,
            core_s,
            form,
            distinctive[0],
            " ".join(sorted(core)) if len(core) > 1 else core_s,
            phonetic,
            compact,
            "".join(sorted(compact)),
        )

    def _split_legal_form(self, toks: list[str]) -> tuple[list[str], str | None]:
        """Strip the longest trailing legal form (and a leading one such as "PT")."""
        forms = self._forms
        found: str | None = None
        if toks[-1] not in self._form_ends:
            size_range: range = range(0)
        else:
            size_range = range(min(self._longest_form, len(toks) - 1), 0, -1)
        for size in size_range:
            canonical = forms.get(" ".join(toks[-size:]))
            if canonical is not None:
                found, toks = canonical, toks[:-size]
                break
        if len(toks) > 1 and toks[0] in PREFIX_FORMS:
            prefix = PREFIX_FORMS[toks[0]]
            found = found or prefix
            toks = toks[1:]
        return toks, found


def legal_form_of(name: str | None) -> str | None:
    """Canonical legal form of one name with the default tables (convenience for callers)."""
    return _DEFAULT.parse(name).legal_form


_DEFAULT = NameNormaliser()
