"""Legal forms of organisations: the variants people type, mapped to one canonical code.

The legal form is evidence in its own right: "Acme GmbH" and "Acme Ltd" share a name but
are different legal entities of one group. So the form is detected, canonicalised and
KEPT in its own column rather than thrown away. Variants are written as the token
sequence `matching._text.tokens` produces (dots removed, lower case, accents folded).
cleanco's term list backs up this table for forms it does not know.
"""

from __future__ import annotations

from functools import lru_cache

import cleanco.termdata

from matching._text import tokens

#: canonical code -> variants (token sequences joined by one space)
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "ltd": ("ltd", "limited", "ltd co", "limited company", "co ltd", "company limited"),
    "plc": ("plc", "public limited company", "p l c"),
    "llp": ("llp", "l l p", "limited liability partnership"),
    "lp": ("lp", "l p", "limited partnership"),
    "llc": ("llc", "l l c", "limited liability company", "lc"),
    "pllc": ("pllc",),
    "inc": ("inc", "incorporated"),
    "corp": ("corp", "corporation"),
    "co": ("co", "company", "and co", "and company", "and cie", "et cie", "cie"),
    "pty ltd": ("pty ltd", "pty limited", "proprietary limited", "pty"),
    "pte ltd": ("pte ltd", "pte limited", "pte"),
    "pvt ltd": ("pvt ltd", "private limited", "pvt limited", "p ltd"),
    "gmbh": ("gmbh", "gesellschaft mit beschrankter haftung", "ges mbh", "gesmbh", "mbh"),
    "gmbh and co kg": ("gmbh and co kg", "gmbh co kg", "gmbh and cokg", "gmbh cokg"),
    "ag": ("ag", "aktiengesellschaft"),
    "ag and co kg": ("ag and co kg", "ag co kg"),
    "kgaa": ("kgaa", "ag and co kgaa", "gmbh and co kgaa"),
    "kg": ("kg", "kommanditgesellschaft"),
    "ohg": ("ohg",),
    "ug": ("ug", "ug haftungsbeschrankt"),
    "ev": ("ev", "eingetragener verein"),
    "se": ("se", "societas europaea"),
    "sa": ("sa", "s a", "societe anonyme", "sociedad anonima", "sociedade anonima"),
    "sa de cv": (
        "sa de cv",
        "sab de cv",
        "s a b de c v",
        "s a de c v",
        "sapi de cv",
        "s de rl de cv",
        "de cv",
    ),
    "sas": ("sas", "s a s", "sasu", "societe par actions simplifiee"),
    "sarl": ("sarl", "sa rl", "s a rl", "s a r l", "s arl", "societe a responsabilite limitee"),
    "eurl": ("eurl",),
    "sca": ("sca", "s c a"),
    "snc": ("snc",),
    "bv": ("bv", "b v", "besloten vennootschap", "bv ba"),
    "nv": ("nv", "n v", "naamloze vennootschap"),
    "bvba": ("bvba", "sprl"),
    "vof": ("vof",),
    "cv": ("cv",),
    "spa": ("spa", "s p a", "societa per azioni"),
    "srl": ("srl", "s r l", "societa a responsabilita limitata", "srls"),
    "sl": ("sl", "s l", "slu", "sociedad limitada"),
    "lda": ("lda", "limitada"),
    "ltda": ("ltda",),
    "oy": ("oy", "osakeyhtio"),
    "oyj": ("oyj", "abp"),
    "ab": ("ab", "aktiebolag", "ab publ", "publ"),
    "as": ("as", "aksjeselskap", "aktieselskab", "aktieselskap"),
    "asa": ("asa",),
    "aps": ("aps", "anpartsselskab"),
    "sp z oo": (
        "sp z oo",
        "spolka z oo",
        "spzoo",
        "sp zoo",
        "spolka z ograniczona odpowiedzialnoscia",
    ),
    "sa pl": ("spolka akcyjna",),
    "sro": ("sro", "s r o", "spol s r o", "spol sro"),
    "as cz": ("akciova spolecnost",),
    "kft": ("kft",),
    "zrt": ("zrt",),
    "nyrt": ("nyrt",),
    "doo": ("doo", "d o o"),
    "dd": ("dd", "d d"),
    "ood": ("ood", "eood"),
    "ooo": ("ooo",),
    "ao": ("ao", "zao", "oao", "pao", "jsc", "pjsc", "ojsc", "cjsc"),
    "kk": ("kk", "kabushiki kaisha", "kabushikigaisha", "kabushiki gaisha", "kabushikikaisha"),
    "gk": ("gk", "godo kaisha", "godogaisha"),
    "yk": ("yugen kaisha",),
    "sdn bhd": ("sdn bhd", "sendirian berhad"),
    "bhd": ("bhd", "berhad"),
    "tbk": ("tbk", "pt tbk"),
    "uab": ("uab",),
    "as ee": ("ou",),
    "sia": ("sia",),
    "ehf": ("ehf",),
    "hf": ("hf",),
    "nl": ("no liability",),
}

#: Forms that come before the name ("PT Telkom", "OOO Gazprom").
PREFIX_FORMS: dict[str, str] = {
    "pt": "pt",
    "ooo": "ooo",
    "ao": "ao",
    "zao": "ao",
    "oao": "ao",
    "pao": "ao",
    "pjsc": "ao",
    "jsc": "ao",
    "tov": "tov",
    "cv": "cv",
}

#: Forms that are jurisdictional spellings of one kind of entity: a pair whose forms
#: differ but share a family is weaker evidence against a match than unrelated forms.
LEGAL_FORM_FAMILIES: dict[str, str] = {
    "ltd": "private_limited",
    "pty ltd": "private_limited",
    "pte ltd": "private_limited",
    "pvt ltd": "private_limited",
    "sdn bhd": "private_limited",
    "inc": "us_corporation",
    "corp": "us_corporation",
    "co": "us_corporation",
    "sa": "societe_anonyme",
    "sa de cv": "societe_anonyme",
    "sarl": "sarl",
    "eurl": "sarl",
    "sl": "sociedad_limitada",
    "lda": "sociedad_limitada",
    "ltda": "sociedad_limitada",
    "oy": "finnish_company",
    "oyj": "finnish_company",
    "as": "nordic_company",
    "asa": "nordic_company",
    "ao": "joint_stock",
    "tbk": "joint_stock",
}

# cleanco terms too ambiguous to treat as a legal form on their own.
_CLEANCO_STOPLIST = frozenset(
    {
        "pt",
        "co",
        "da",
        "sd",
        "mb",
        "og",
        "ay",
        "ee",
        "ae",
        "private",
        "company",
        "vat",
        "dat",
        "zat",
        "cpt",
        "ans",
        "ks",
        "kt",
        "kb",
        "kd",
        "sal",
        "stg",
        "aj",
        "esv",
        "qk",
        "unlimited",
        "nl",
        "pp",
        "teo",
        "tapui",
        "rt",
        "oe",
        "ss",
        "hb",
        "sf",
        "mchj",
    }
)


@lru_cache(maxsize=8)
def legal_form_table(extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """Variant -> canonical code, with cleanco's terms underneath and `extra` on top.

    `extra` pairs (variant, canonical) come from the matching settings so a firm can add
    the forms of its own markets without a code change.
    """
    table: dict[str, str] = {}
    for terms in (
        *cleanco.termdata.terms_by_type.values(),
        *cleanco.termdata.terms_by_country.values(),
    ):
        for term in terms:
            variant = " ".join(tokens(term))
            if len(variant) >= 2 and variant not in _CLEANCO_STOPLIST:
                table.setdefault(variant, variant)
    for canonical, variants in LEGAL_FORMS.items():
        table[canonical] = canonical
        for variant in variants:
            table[variant] = canonical
    for variant, canonical in extra:
        table[" ".join(tokens(variant))] = " ".join(tokens(canonical))
    return table
