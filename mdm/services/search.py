"""Fuzzy search of golden records by name: a candidate set narrowed in SQL by the folded
name's tokens, ranked with rapidfuzz, paged by offset cursors."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from mdm.config import HubConfig
from mdm.domain.golden_views import GoldenRecordView, Page
from mdm.services.xref_queries import InvalidQueryError, check_entity_type
from mdm.store import UnitOfWork

MAX_FIRST = 100
CANDIDATES = 2000  # rows fetched from the store before ranking
MIN_SCORE = 50.0
PREFIX = 3  # a candidate has a word starting with the first letters of a searched word
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold_name(text: str) -> str:
    """Lower case, accents removed, punctuation as single spaces: 'Société Générale' ->
    'societe generale'."""
    if text.isascii():  # nothing to decompose
        return _NON_WORD.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NON_WORD.sub(" ", plain).strip()


def search_golden_records(
    uow: UnitOfWork,
    config: HubConfig,
    entity_type: str,
    name: str,
    *,
    country: str | None = None,
    first: int = 10,
    offset: int = 0,
) -> Page:
    """Active golden records whose name resembles `name`, best first.

    `Page.items` holds (record, score 0-100) pairs; `Page.extra["total"]` the number of
    matches ranked (within the candidate limit).
    """
    check_entity_type(config, entity_type)
    if not 1 <= first <= MAX_FIRST:
        raise InvalidQueryError(f"first must be between 1 and {MAX_FIRST}; got {first}")
    if offset < 0:
        raise InvalidQueryError("the cursor is not valid")
    query = fold_name(name)
    words = sorted({w for w in query.split() if len(w) >= 2}, key=len, reverse=True)[:4]
    tokens = sorted({w[:PREFIX] for w in words})
    if not tokens:
        raise InvalidQueryError("name needs at least two letters or digits to search by")
    with uow:
        rows = uow.lookups.search_candidates(entity_type, tokens, CANDIDATES)
    wanted_country = country.strip().upper() if country else None
    ranked = []
    for row in rows:
        if wanted_country and str(row["attributes"].get("country") or "").upper() != wanted_country:
            continue
        score = fuzz.WRatio(query, row["search_name"] or "")
        if score >= MIN_SCORE:
            ranked.append((score, row["golden_id"], row))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    window = ranked[offset : offset + first]
    items = [(GoldenRecordView.from_row(row), round(score, 1)) for score, _, row in window]
    return Page(items, offset, offset + first < len(ranked), {"total": len(ranked)})
