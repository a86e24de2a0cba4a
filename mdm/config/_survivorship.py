"""Survivorship rules as data: per attribute, a rule and a chain of tie-breakers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RuleName = Literal["source_priority", "most_recent", "most_complete", "most_frequent"]
RULE_NAMES: tuple[str, ...] = ("source_priority", "most_recent", "most_complete", "most_frequent")


class AttributeRule(BaseModel):
    """How one golden attribute is chosen among the cluster's values.

    `rule` decides first; `then` breaks ties in order; a final tie goes to the smallest
    (system, source_id), so the outcome is deterministic. `systems` is the authority
    order for `source_priority` (systems not listed come after, in name order).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: RuleName = "most_recent"
    systems: tuple[str, ...] = ()
    then: tuple[RuleName, ...] = ("most_recent", "most_complete")

    @model_validator(mode="after")
    def _systems_for_priority(self) -> AttributeRule:
        if (self.rule == "source_priority" or "source_priority" in self.then) and not self.systems:
            raise ValueError("source_priority needs 'systems', the authority order")
        return self


class SurvivorshipConfig(BaseModel):
    """An entity type's survivorship: a default rule and per-attribute rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: AttributeRule = AttributeRule()
    attributes: dict[str, AttributeRule] = Field(default_factory=dict)

    def rule_for(self, attribute: str) -> AttributeRule:
        return self.attributes.get(attribute, self.default)
