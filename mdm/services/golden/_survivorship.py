"""Choosing each golden attribute from a cluster's source values, by named rules.

Rules are strategies looked up by name; each narrows the candidates to the best ones and
the chain stops when one is left. The last word goes to the smallest (system, source_id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mdm.config import AttributeRule, SurvivorshipConfig


@dataclass(frozen=True, slots=True)
class Member:
    """A source record in a cluster, as survivorship sees it."""

    system: str
    source_id: str
    version: int
    updated_at: datetime | None
    attributes: Mapping[str, Any]

    @property
    def completeness(self) -> int:
        return sum(1 for v in self.attributes.values() if v not in (None, ""))


Narrow = Callable[[list[Member], str, AttributeRule], list[Member]]


def _source_priority(candidates: list[Member], _: str, rule: AttributeRule) -> list[Member]:
    rank = {system: i for i, system in enumerate(rule.systems)}
    best = min(rank.get(m.system, len(rank)) for m in candidates)
    return [m for m in candidates if rank.get(m.system, len(rank)) == best]


def _most_recent(candidates: list[Member], _: str, __: AttributeRule) -> list[Member]:
    dated = [m for m in candidates if m.updated_at is not None]
    if not dated:
        return candidates
    latest = max(m.updated_at for m in dated)
    return [m for m in dated if m.updated_at == latest]


def _most_complete(candidates: list[Member], _: str, __: AttributeRule) -> list[Member]:
    best = max(m.completeness for m in candidates)
    return [m for m in candidates if m.completeness == best]


def _most_frequent(candidates: list[Member], attribute: str, _: AttributeRule) -> list[Member]:
    counts = Counter(_folded(m.attributes[attribute]) for m in candidates)
    top = max(counts.values())
    return [m for m in candidates if counts[_folded(m.attributes[attribute])] == top]


def _folded(value: Any) -> Any:
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


RULES: dict[str, Narrow] = {
    "source_priority": _source_priority,
    "most_recent": _most_recent,
    "most_complete": _most_complete,
    "most_frequent": _most_frequent,
}


def choose(
    attribute: str, members: Sequence[Member], rule: AttributeRule
) -> tuple[Any, dict[str, Any]] | None:
    """The surviving value of `attribute` and its provenance, or None if no member has one."""
    candidates = [m for m in members if m.attributes.get(attribute) not in (None, "")]
    if not candidates:
        return None
    decided_by = "only value"
    for name in (rule.rule, *rule.then):
        if len(candidates) == 1:
            break
        narrowed = RULES[name](candidates, attribute, rule)
        if len(narrowed) < len(candidates):
            decided_by = name
        candidates = narrowed
    if len(candidates) > 1:
        distinct = {_folded(m.attributes[attribute]) for m in candidates}
        decided_by = decided_by if len(distinct) == 1 else "tie: smallest source key"
    winner = min(candidates, key=lambda m: (m.system, m.source_id))
    provenance = {
        "system": winner.system,
        "source_id": winner.source_id,
        "version": winner.version,
        "rule": rule.rule,
        "decided_by": decided_by,
    }
    return winner.attributes[attribute], provenance


def survive(
    members: Sequence[Member],
    attributes: Sequence[str],
    config: SurvivorshipConfig,
    override: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Golden attributes and their provenance for one cluster; a steward override wins."""
    values: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}
    for attribute in attributes:
        if override and attribute in override:
            values[attribute] = override[attribute]
            provenance[attribute] = {
                "system": None,
                "source_id": None,
                "version": None,
                "rule": "steward_override",
                "decided_by": "steward_override",
            }
            continue
        chosen = choose(attribute, members, config.rule_for(attribute))
        if chosen is not None:
            values[attribute], provenance[attribute] = chosen
    return values, provenance
