"""Registry of comparison builders: a name in the settings -> a Splink comparison dict.

Comparisons are written as Splink settings dicts (SQL conditions in the DuckDB dialect)
rather than comparison-library objects, so the trained model is plain JSON. Each level
carries prior m/u probabilities from domain knowledge: training refines them, and a
comparison that training cannot reach (say, no two records share a tax id) still has
sensible weights. A builder whose columns are absent from the data is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from matching._settings import ComparisonSpec

Level = dict[str, Any]
Builder = Callable[[ComparisonSpec, Collection[str]], list[Level]]
_COLUMN_REF = re.compile(r"\b[lr]\.([a-z_][a-z0-9_]*)")
_SUFFIXED_REF = re.compile(r"\b([a-z_][a-z0-9_]*)_[lr]\b")


def _level(sql: str, label: str, m: float, u: float, *, tf: str | None = None) -> Level:
    level: Level = {
        "sql_condition": sql,
        "label_for_charts": label,
        "m_probability": m,
        "u_probability": u,
    }
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
        level["tf_minimum_u_value"] = 1e-6
        if sql != f"l.{tf} = r.{tf}":
            # Not a plain equality: the value's frequency is weighed against this level's
            # own u rather than against an exact-match level of the column.
            level["disable_tf_exact_match_detection"] = True
    return level


def _null(*cols: str) -> Level:
    sql = " or ".join(f"l.{c} is null or r.{c} is null" for c in cols)
    return {"sql_condition": sql, "label_for_charts": "null", "is_null_level": True}


def _else(m: float, u: float) -> Level:
    return _level("ELSE", "different", m, u)


def _edit_similarity_at_least(a: str, b: str, length: str, threshold: float) -> str:
    """`1 - damerau_levenshtein(a, b) / length >= threshold`, deciding most pairs without
    the Damerau-Levenshtein distance (DuckDB's costs some forty times Jaro-Winkler).

    Exact, not an approximation: the plain Levenshtein distance is cheaper and bounds it
    on both sides, D <= L (a transposition is one edit instead of two) and D >= ceil(L / 2)
    (each Damerau edit is at most two plain ones). A pair is refused when even ceil(L / 2)
    edits miss the threshold, accepted when L edits reach it, and only between the two
    bounds is D computed. Same arithmetic as the test itself, and both distances count
    code points, so rounding cannot turn a pass into a fail.
    """
    lev = f"levenshtein({a}, {b})"
    return (
        f"(CASE WHEN 1 - ceil({lev} / 2) / {length} < {threshold} THEN false "
        f"WHEN 1 - {lev} / {length} >= {threshold} THEN true "
        f"ELSE 1 - damerau_levenshtein({a}, {b}) / {length} >= {threshold} END)"
    )


def _similar_names(threshold: float) -> str:
    """Edit similarity (1 - Damerau-Levenshtein / longer length) >= threshold between
    any of the trading and legal names of the two records.

    Edit similarity, unlike Jaro-Winkler, does not reward a shared first word, so
    "everly holdings" and "everly industries" score low while typos score high. The
    cheaper Jaro-Winkler gates it (DuckDB evaluates AND lazily), and `alt_name_core` is
    only set when the legal name differs, so most cross terms are NULL and free.
    """
    terms = [
        ("name_core", "name_core"),
        ("alt_name_core", "alt_name_core"),
        ("name_core", "alt_name_core"),
        ("alt_name_core", "name_core"),
    ]

    # CASE, not AND: DuckDB evaluates a CASE branch only for the rows that reach it, so
    # the costly edit distance runs on the few pairs the cheap gates let through. First
    # gate, exact: an edit distance is at least the difference in lengths (DuckDB counts
    # both in code points), so a pair whose lengths differ too much cannot reach the
    # threshold; same arithmetic as the test itself, so rounding cannot turn a pass into
    # a fail. Then Jaro-Winkler.
    def term(x: str, y: str) -> str:
        longest = f"greatest(length(l.{x}), length(r.{y}))::DOUBLE"
        return (
            f"(CASE WHEN 1 - abs(length(l.{x}) - length(r.{y})) / {longest} >= {threshold} "
            f"THEN (CASE WHEN jaro_winkler_similarity(l.{x}, r.{y}) >= 0.75 THEN "
            f"{_edit_similarity_at_least(f'l.{x}', f'r.{y}', longest, threshold)} "
            "ELSE false END) ELSE false END)"
        )

    return "(" + " or ".join(term(x, y) for x, y in terms) + ")"


def _token_containment(col: str) -> str:
    """One value's whole word sequence appears in the other's ("acme" in "acme holdings")."""
    # Only the shorter can lie in the longer (of equal lengths, either way means equal):
    # one search per pair instead of two.
    return (
        f"(CASE WHEN length(l.{col}) >= length(r.{col}) "
        f"THEN contains(' ' || l.{col} || ' ', ' ' || r.{col} || ' ') "
        f"ELSE contains(' ' || r.{col} || ' ', ' ' || l.{col} || ' ') END)"
    )


def _near_prefix(col: str, threshold: float) -> str:
    """The shorter value (5+ characters) is, up to a typo or two, the start of the longer one:
    "ortega holdigns" / "ortega holdings insurance", "sornesen" / "sorensen international"."""

    def side(a: str, b: str) -> str:  # a is the shorter; same first letter as a cheap gate
        return (
            f"WHEN length({a}.{col}) >= 5 and length({a}.{col}) < length({b}.{col}) "
            f"and left({a}.{col}, 1) = left({b}.{col}, 1) THEN "
            + _edit_similarity_at_least(
                f"{a}.{col}",
                f"left({b}.{col}, length({a}.{col}))",
                f"length({a}.{col})::DOUBLE",
                threshold,
            )
        )

    return f"(CASE {side('l', 'r')} {side('r', 'l')} ELSE false END)"


def _tf(spec: ComparisonSpec, column: str) -> str | None:
    return column if spec.term_frequency else None


def org_name(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    return [
        _null("name_core"),
        _level("l.name_core = r.name_core", "exact name", 0.55, 1e-4, tf=_tf(spec, "name_core")),
        *(
            [_level("l.name_compact = r.name_compact", "same letters, other spacing", 0.02, 1e-5)]
            if "name_compact" in cols
            else []
        ),
        _level(
            "l.alt_name_core = r.alt_name_core or l.name_core = r.alt_name_core "
            "or l.alt_name_core = r.name_core",
            "exact trading/legal name",
            0.15,
            1e-4,
        ),
        _level("l.name_sorted = r.name_sorted", "same words", 0.03, 1e-5),
        _level(_similar_names(0.9), "edit similarity >= 0.9", 0.1, 2e-4),
        _level(_similar_names(0.8), "edit similarity >= 0.8", 0.07, 2e-3),
        # A rare distinctive word says more than a common one ("Bravergal" vs "Northern"):
        # these two levels are adjusted by the frequency of the first distinctive word.
        _level(_token_containment("name_core"), "one name contains the other", 0.04, 2e-3),
        _level(_near_prefix("name_core", 0.85), "one name nearly contains the other", 0.03, 2e-3),
        _level(
            "l.name_first = r.name_first", "same first word", 0.03, 5e-3, tf=_tf(spec, "name_first")
        ),
        _else(0.03, 0.99),
    ]


def legal_form(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    return [
        _null("legal_form"),
        _level("l.legal_form = r.legal_form", "same legal form", 0.9, 0.35),
        _level("l.legal_form_family = r.legal_form_family", "related legal form", 0.06, 0.05),
        _else(0.04, 0.6),
    ]


def tax_id(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    return [
        _null("tax_id_valid"),
        _level("l.tax_id_valid = r.tax_id_valid", "same valid tax id", 0.9, 1e-6),
        _level("l.tax_id_country = r.tax_id_country", "different tax id, same country", 0.02, 0.6),
        _else(0.08, 0.4),
    ]


def lei(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    return [
        _null("lei_valid"),
        _level("l.lei_valid = r.lei_valid", "same valid LEI", 0.95, 1e-6),
        _else(0.05, 1.0),
    ]


def registration_number(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    return [
        _null("registration_norm"),
        _level("l.registration_norm = r.registration_norm", "same registration number", 0.85, 1e-5),
        _else(0.15, 1.0),
    ]


def domain(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    levels = [
        _null("domain"),
        _level("l.domain = r.domain", "same domain", 0.7, 1e-4, tf=_tf(spec, "domain")),
    ]
    if "email_domain" in cols:
        levels.append(
            _level(
                "l.email_domain = r.domain or l.domain = r.email_domain "
                "or l.email_domain = r.email_domain",
                "website/e-mail domain",
                0.08,
                1e-4,
            )
        )
    levels += [
        _level("l.domain_label = r.domain_label", "same domain label", 0.07, 3e-4),
        _else(0.15, 1.0),
    ]
    return levels


def phone(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    block = (
        "length(l.phone_national) = length(r.phone_national) and "
        "left(l.phone_national, length(l.phone_national) - 2) = "
        "left(r.phone_national, length(r.phone_national) - 2)"
    )
    return [
        _null("phone_national"),
        _level(
            "l.phone_national = r.phone_national",
            "same number",
            0.6,
            1e-5,
            tf=_tf(spec, "phone_national"),
        ),
        _level(block, "same switchboard block", 0.1, 1e-4),
        _else(0.3, 1.0),
    ]


def address(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    same_number = (
        "(l.house_number = r.house_number or l.house_number is null or r.house_number is null)"
    )
    return [
        _null("street"),
        _level("l.address_full = r.address_full", "same street and number", 0.55, 1e-4),
        _level(
            f"jaro_winkler_similarity(l.street, r.street) >= 0.9 and {same_number}",
            "similar street, same number",
            0.2,
            5e-4,
        ),
        _level("l.street = r.street", "same street, other number", 0.05, 1e-3),
        _else(0.2, 1.0),
    ]


def postcode(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    levels = [
        _null("postcode_norm"),
        _level(
            "l.postcode_norm = r.postcode_norm",
            "same postcode",
            0.8,
            1e-3,
            tf=_tf(spec, "postcode_norm"),
        ),
    ]
    if "postcode_district" in cols:
        levels.append(
            _level("l.postcode_district = r.postcode_district", "same district", 0.1, 0.01)
        )
    return [*levels, _else(0.1, 1.0)]


def city(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    return [
        _null("city_norm"),
        _level("l.city_norm = r.city_norm", "same city", 0.85, 0.02, tf=_tf(spec, "city_norm")),
        _level(
            "jaro_winkler_similarity(l.city_norm, r.city_norm) >= 0.9", "similar city", 0.05, 1e-3
        ),
        _else(0.1, 1.0),
    ]


def location(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    """Street address, postcode and city as ONE comparison, most specific agreement first.

    The three are not independent: two companies in one building share street, postcode
    and city, so scoring them separately counts one fact three times, which is exactly
    what makes sister companies at a shared address look like one. Here each pair gets
    the single most specific level its data allows, and a disagreement where both sides
    know the street stays evidence against. Levels whose columns are absent are left out.
    """
    street = {"street", "house_number", "address_full"} <= set(cols)
    post, city = "postcode_norm" in cols, "city_norm" in cols
    parts = [
        c for c, ok in (("street", street), ("postcode_norm", post), ("city_norm", city)) if ok
    ]
    if not parts:
        return [_null("street", "postcode_norm", "city_norm")]  # dropped: columns absent

    def known(c: str) -> str:
        return f"l.{c} is not null and r.{c} is not null"

    def agrees_or_unknown(c: str) -> str:
        return f"(l.{c} = r.{c} or l.{c} is null or r.{c} is null)"

    def missing(side: str) -> str:
        return " and ".join(f"{side}.{c} is null" for c in parts)

    place = (
        " and ".join(agrees_or_unknown(c) for c in ("postcode_norm", "city_norm") if c in parts)
        or "true"
    )
    anchored = (
        " or ".join(f"l.{c} = r.{c}" for c in ("postcode_norm", "city_norm") if c in parts)
        or "false"
    )
    streets_differ = f"({known('street')})" if street else "false"
    district = (
        " or l.postcode_district = r.postcode_district" if ("postcode_district" in cols) else ""
    )
    levels = [
        {
            "sql_condition": f"({missing('l')}) or ({missing('r')})",
            "label_for_charts": "null",
            "is_null_level": True,
        }
    ]
    if street:
        levels += [
            _level(f"l.address_full = r.address_full and {place}", "same address", 0.5, 1e-5),
            _level(
                f"{known('street')} and jaro_winkler_similarity(l.street, r.street) >= 0.9 "
                f"and {agrees_or_unknown('house_number')} and {place} and ({anchored})",
                "similar address",
                0.12,
                5e-5,
            ),
        ]
    if post:
        levels += [
            _level(
                f"l.postcode_norm = r.postcode_norm and not {streets_differ}",
                "same postcode, street unknown",
                0.12,
                1e-3,
                tf=_tf(spec, "postcode_norm"),
            ),
            *(
                [
                    _level(
                        "l.postcode_norm = r.postcode_norm",
                        "same postcode, other street",
                        0.04,
                        1e-3,
                    )
                ]
                if street
                else []
            ),
        ]
    if city:
        levels += [
            _level(
                f"(l.city_norm = r.city_norm{district}) and not {streets_differ}",
                "same city, street unknown",
                0.12,
                0.02,
                tf=_tf(spec, "city_norm"),
            ),
            *(
                [
                    _level(
                        f"l.city_norm = r.city_norm{district}",
                        "same city, other street",
                        0.06,
                        0.02,
                    )
                ]
                if street
                else []
            ),
            _level(
                "jaro_winkler_similarity(l.city_norm, r.city_norm) >= 0.9",
                "similar city",
                0.02,
                1e-3,
            ),
        ]
    return [*levels, _else(0.02, 1.0)]


def source_system(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    """Whether the two records come from the same system.

    A system's own duplicates are rarer than the overlap between systems (most PSA
    clients exist in the CRM; few CRM accounts are entered twice), so the prior odds of a
    match differ by a large factor between the two kinds of pair. Training learns it.
    """
    return [_level("l.system = r.system", "same system", 0.2, 0.4), _else(0.8, 0.6)]


def country(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    return [
        _null("country"),
        _level("l.country = r.country", "same country", 0.97, 0.3),
        _else(0.03, 0.7),
    ]


def project_name(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    jw = "jaro_winkler_similarity(l.project_name_norm, r.project_name_norm)"
    contains = _token_containment("project_name_norm")
    return [
        _null("project_name_norm"),
        _level(
            "l.project_name_norm = r.project_name_norm",
            "exact name",
            0.5,
            1e-4,
            tf=_tf(spec, "project_name_norm"),
        ),
        _level("l.project_name_sorted = r.project_name_sorted", "same words", 0.05, 1e-5),
        _level(f"{jw} >= 0.92", "jaro-winkler >= 0.92", 0.15, 5e-4),
        _level(contains, "one name contains the other", 0.1, 1e-3),
        _level(f"{jw} >= 0.8", "jaro-winkler >= 0.8", 0.1, 0.01),
        _else(0.1, 1.0),
    ]


def project_code(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    def inside(a: str, b: str) -> str:
        return (
            f"({a}.code_norm is not null and {b}.project_name_norm is not null and "
            f"contains(replace({b}.project_name_norm, ' ', ''), lower({a}.code_norm)))"
        )

    contained = (
        f"{inside('l', 'r')} or {inside('r', 'l')}" if "project_name_norm" in cols else "false"
    )
    return [
        {
            "sql_condition": f"(l.code_norm is null or r.code_norm is null) and not ({contained})",
            "label_for_charts": "null",
            "is_null_level": True,
        },
        _level("l.code_norm = r.code_norm", "same code", 0.8, 1e-4),
        _level(contained, "code in the other's name", 0.1, 1e-5),
        _level(
            "jaro_winkler_similarity(l.code_norm, r.code_norm) >= 0.9", "similar code", 0.05, 1e-3
        ),
        _else(0.05, 1.0),
    ]


def date(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    c = spec.params.get("column", "start_date")
    diff = f"abs(date_diff('day', l.{c}, r.{c}))"
    return [
        _null(c),
        _level(f"l.{c} = r.{c}", "same date", 0.6, 0.002),
        _level(f"{diff} <= 7", "within a week", 0.15, 0.01),
        _level(f"{diff} <= 45", "within 45 days", 0.1, 0.05),
        _else(0.15, 1.0),
    ]


def person_name(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    c = spec.params.get("column", "project_manager") + "_norm"
    return [
        _null(c),
        _level(f"l.{c} = r.{c}", "same person", 0.8, 0.01, tf=_tf(spec, c)),
        _level(f"jaro_winkler_similarity(l.{c}, r.{c}) >= 0.88", "similar name", 0.1, 0.01),
        _else(0.1, 1.0),
    ]


def exact(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    c = spec.params.get("column", spec.output_name)
    return [
        _null(c),
        _level(f"l.{c} = r.{c}", "exact", float(spec.params.get("m", 0.8)), 0.01, tf=_tf(spec, c)),
        _else(1 - float(spec.params.get("m", 0.8)), 1.0),
    ]


def jaro_winkler(spec: ComparisonSpec, cols: Collection[str]) -> list[Level]:
    c = spec.params.get("column", spec.output_name)
    levels = [_null(c), _level(f"l.{c} = r.{c}", "exact", 0.7, 0.01, tf=_tf(spec, c))]
    for t in spec.params.get("thresholds", (0.92, 0.8)):
        levels.append(
            _level(
                f"jaro_winkler_similarity(l.{c}, r.{c}) >= {float(t)}",
                f"jaro-winkler >= {t}",
                0.1,
                0.02,
            )
        )
    return [*levels, _else(0.1, 1.0)]


#: Upper bounds on the match weight (log2 Bayes factor) of weak levels, applied after
#: training. Sharing a legal form or a country mostly restates jurisdiction (already
#: counted elsewhere), and sharing only the first word of a name is what sister companies
#: do; such agreement must not add up to a match on its own.
WEIGHT_CAPS: dict[tuple[str, str], float] = {
    ("org_name", "same first word"): 0.0,
    # "Acme" in "Acme Logistics": a trading name, or a sister company of one group, which
    # often shares the address too. Alone it must not outweigh a contradiction.
    ("org_name", "one name contains the other"): 4.0,
    ("org_name", "one name nearly contains the other"): 4.0,
    # Organisations share buildings: group companies, serviced offices, registered agents.
    # One address is strong evidence for a person, weaker for a company.
    ("location", "same address"): 10.0,
    ("location", "similar address"): 9.0,
    ("legal_form", "same legal form"): 1.0,
    ("legal_form", "related legal form"): 0.0,
    ("country", "same country"): 1.5,
    # A registered organisation lives in one country: records in different countries are
    # different legal entities unless strong identifiers say otherwise (a cap is an upper
    # bound on the weight, so this one keeps the penalty at least this strong).
    ("country", "different"): -6.0,
}

#: Builders that describe where records come from, not the entity: their disagreement is
#: no evidence against a match (two systems' records are expected to differ in system).
PROVENANCE_BUILDERS = frozenset({"source_system"})

#: Levels that agree on part of an attribute while the rest differs: the same postcode
#: but another street, the first word of the name only. However they weigh, they are a
#: sign of two different entities (sister companies share buildings and name stems), so
#: a decision that needs "nothing disagrees" counts them as a disagreement this strong.
PARTIAL_LEVELS = frozenset(
    {
        ("org_name", "same first word"),
        ("location", "same postcode, other street"),
        ("location", "same city, other street"),
        ("tax_id", "different tax id, same country"),
        ("phone", "same switchboard block"),
        ("domain", "same domain label"),
    }
)
PARTIAL_DISAGREEMENT = -2.0

COMPARISON_BUILDERS: dict[str, Builder] = {
    "org_name": org_name,
    "legal_form": legal_form,
    "tax_id": tax_id,
    "lei": lei,
    "registration_number": registration_number,
    "domain": domain,
    "phone": phone,
    "address": address,
    "postcode": postcode,
    "city": city,
    "location": location,
    "source_system": source_system,
    "country": country,
    "project_name": project_name,
    "project_code": project_code,
    "date": date,
    "person_name": person_name,
    "exact": exact,
    "jaro_winkler": jaro_winkler,
}


def columns_used(sql: str) -> set[str]:
    """Input columns referenced in Splink SQL: l.<col> / r.<col> or <col>_l / <col>_r."""
    sql = sql.lower()
    return set(_COLUMN_REF.findall(sql)) | set(_SUFFIXED_REF.findall(sql))


def _suffixed(sql: str) -> str:
    """Comparison SQL in Splink's column form: l.name -> name_l (blocking keeps l.name)."""
    return _COLUMN_REF_ANY_CASE.sub(lambda m: f"{m.group(2)}_{m.group(1).lower()}", sql)


_COLUMN_REF_ANY_CASE = re.compile(r"\b([lrLR])\.([A-Za-z_][A-Za-z0-9_]*)")


def build_comparison(spec: ComparisonSpec, available: Collection[str]) -> dict[str, Any] | None:
    """The Splink comparison dict for `spec`, or None when its columns are absent."""
    try:
        builder = COMPARISON_BUILDERS[spec.builder]
    except KeyError:
        raise ValueError(
            f"unknown comparison builder {spec.builder!r}; known: {sorted(COMPARISON_BUILDERS)}"
        ) from None
    levels = builder(spec, available)
    needed = set().union(*(columns_used(lv["sql_condition"]) for lv in levels))
    if not needed <= set(available):
        return None
    for level in levels:
        level["sql_condition"] = _suffixed(level["sql_condition"])
    return {
        "output_column_name": spec.output_name,
        "comparison_description": spec.builder,
        "comparison_levels": levels,
    }
