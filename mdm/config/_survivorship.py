"""Survivorship rules as data: per attribute, a rule and a chain of tie-breakers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RuleName = Literal["source_priority", "most_recent", "most_complete", "most_frequent"]
RULE_NAMES: tuple[str, ...] = ("source_priority", "most_recent", "most_complete", "most_frequent")


class Lifecycle(BaseModel):
    """A condition on the systems a cluster has records in: while a customer exists only in
    the CRM, say, or once an ERP record exists."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    present: tuple[str, ...] = ()  # holds when the cluster has a record of one of these
    absent: tuple[str, ...] = ()  # holds while the cluster has a record of none of these

    @model_validator(mode="after")
    def _some_condition(self) -> Lifecycle:
        if not self.present and not self.absent:
            raise ValueError("a 'when' condition names systems in 'present' or 'absent'")
        return self

    def holds(self, systems: Collection[str]) -> bool:
        present = not self.present or any(s in systems for s in self.present)
        return present and not any(s in systems for s in self.absent)

    def __str__(self) -> str:
        parts = [f"{', '.join(self.present)} present"] if self.present else []
        parts += [f"{', '.join(self.absent)} absent"] if self.absent else []
        return " and ".join(parts)


class AttributeRule(BaseModel):
    """How one golden attribute is chosen among the cluster's values.

    `rule` decides first; `then` breaks ties in order; a final tie goes to the smallest
    (system, source_id), so the outcome is deterministic. `systems` is the authority
    order for `source_priority` (systems not listed come after, in name order); with
    `only_listed`, values of systems not listed never survive. `when` makes the rule hold
    only at a stage of the record's lifecycle; otherwise `otherwise` applies (or the
    entity type's default).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: RuleName = "most_recent"
    systems: tuple[str, ...] = ()
    then: tuple[RuleName, ...] = ("most_recent", "most_complete")
    only_listed: bool = False
    when: Lifecycle | None = None
    otherwise: AttributeRule | None = None

    @model_validator(mode="after")
    def _systems_for_priority(self) -> AttributeRule:
        if (self.rule == "source_priority" or "source_priority" in self.then) and not self.systems:
            raise ValueError("source_priority needs 'systems', the authority order")
        if self.only_listed and not self.systems:
            raise ValueError("only_listed needs 'systems', the systems whose values count")
        if self.otherwise is not None and self.when is None:
            raise ValueError("'otherwise' needs a 'when' condition")
        return self


class SurvivorshipConfig(BaseModel):
    """An entity type's survivorship: a default rule and per-attribute rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: AttributeRule = AttributeRule()
    attributes: dict[str, AttributeRule] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unconditional_default(self) -> SurvivorshipConfig:
        if self.default.when is not None:
            raise ValueError("the default rule cannot have a 'when' condition")
        return self

    def rule_for(self, attribute: str, systems: Collection[str] | None = None) -> AttributeRule:
        """The rule for `attribute`; given the systems of a cluster's records, the one whose
        lifecycle condition holds for them."""
        rule = self.attributes.get(attribute, self.default)
        if systems is None:
            return rule
        while rule.when is not None and not rule.when.holds(systems):
            rule = rule.otherwise or self.default
        return rule
