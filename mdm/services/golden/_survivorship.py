"""Choosing each golden attribute from a cluster's source values, by named rules.

Rules are strategies looked up by name; each narrows the candidates to the best ones and
the chain stops when one is left. The last word goes to the smallest (system, source_id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
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
    rank = _ranks(rule.systems)
    last = len(rank)
    best = min(rank.get(m.system, last) for m in candidates)
    return [m for m in candidates if rank.get(m.system, last) == best]


@lru_cache(maxsize=256)
def _ranks(systems: tuple[str, ...]) -> dict[str, int]:
    return {system: i for i, system in enumerate(systems)}


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
    candidates = [m for m in members if m.attributes.get(attribute) not in _EMPTY]
    if rule.only_listed:
        candidates = [m for m in candidates if m.system in rule.systems]
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
    winner = min(candidates, key=_source_key)
    return winner.attributes[attribute], _provenance(winner, rule, decided_by)


_EMPTY = (None, "")


def _source_key(member: Member) -> tuple[str, str]:
    return member.system, member.source_id


def _provenance(winner: Member, rule: AttributeRule, decided_by: str) -> dict[str, Any]:
    provenance = {
        "system": winner.system,
        "source_id": winner.source_id,
        "version": winner.version,
        "rule": rule.rule,
        "decided_by": decided_by,
    }
    if rule.when is not None:
        provenance["when"] = str(rule.when)
    return provenance


_OVERRIDDEN = {
    "system": None,
    "source_id": None,
    "version": None,
    "rule": "steward_override",
    "decided_by": "steward_override",
}


class Survivorship:
    """An entity type's rules made ready for many clusters (see `survive`)."""

    def __init__(self, attributes: Sequence[str], config: SurvivorshipConfig) -> None:
        self._attributes = tuple(attributes)
        self._config = config
        self._rules = {a: config.rule_for(a) for a in self._attributes}
        self._conditional = any(rule.when is not None for rule in self._rules.values())
        self._restricted = {a for a, rule in self._rules.items() if rule.only_listed}

    def __call__(
        self, members: Sequence[Member], override: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        if override:
            return self._with_override(members, override)
        if len(members) == 1 and not self._conditional and not self._restricted:
            return self._single(members[0])
        rules = self._rules
        if self._conditional:
            systems = {m.system for m in members}
            rules = {a: self._config.rule_for(a, systems) for a in self._attributes}
        present = {name for m in members for name, v in m.attributes.items() if v not in _EMPTY}
        values: dict[str, Any] = {}
        provenance: dict[str, dict[str, Any]] = {}
        for attribute in self._attributes:
            if attribute in present:
                chosen = choose(attribute, members, rules[attribute])
                if chosen is not None:
                    values[attribute], provenance[attribute] = chosen
        return values, provenance

    def _single(self, member: Member) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """One record: each of its values survives as the only value."""
        attrs = member.attributes
        values: dict[str, Any] = {}
        provenance: dict[str, dict[str, Any]] = {}
        for attribute, rule in self._rules.items():
            value = attrs.get(attribute)
            if value is not None and value != "":
                values[attribute] = value
                provenance[attribute] = _provenance(member, rule, "only value")
        return values, provenance

    def _with_override(
        self, members: Sequence[Member], override: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        values, provenance = Survivorship(
            [a for a in self._attributes if a not in override], self._config
        )(members)
        for attribute in self._attributes:
            if attribute in override:
                values[attribute] = override[attribute]
                provenance[attribute] = dict(_OVERRIDDEN)
        order = {a: i for i, a in enumerate(self._attributes)}
        ordered = sorted(values, key=order.__getitem__)
        return {a: values[a] for a in ordered}, {a: provenance[a] for a in ordered}


def survive(
    members: Sequence[Member],
    attributes: Sequence[str],
    config: SurvivorshipConfig,
    override: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Golden attributes and their provenance for one cluster; a steward override wins."""
    return Survivorship(attributes, config)(members, override)
