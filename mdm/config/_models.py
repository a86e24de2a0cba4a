"""Frozen models of the hub config. Structure only; cross-checks live in the loader."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mdm.config._survivorship import SurvivorshipConfig

ATTRIBUTE_TYPES = frozenset(
    {
        "string",
        "text",
        "integer",
        "decimal",
        "boolean",
        "date",
        "timestamp",
        "country",
        "phone",
        "email",
        "domain",
        "tax_id",
        "lei",
        "currency",
        "reference",
    }
)

# Mapping steps and the parameters each takes (name -> (type, required)).
STEP_PARAMETERS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "trim": {},
    "upper": {},
    "lower": {},
    "title": {},
    "collapse_spaces": {},
    "digits": {},
    "domain": {},
    "split": {"sep": (str, True), "index": (int, False)},
    "replace": {"old": (str, True), "new": (str, False)},
    "regex": {"pattern": (str, True), "group": ((int, str), False)},
    "map": {"values": (dict, True), "default": (str, False)},
    "null_if": {"values": (list, True)},
    "default": {"value": ((str, int, float, bool), True)},
    "date": {"formats": (list, True)},
    "timestamp": {"formats": (list, True)},
    "prefix": {"value": (str, True)},
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class StepSpec(_Frozen):
    """One mapping step: an operation looked up by name, and its parameters."""

    op: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"op": value}
        if isinstance(value, dict) and "params" not in value:
            rest = {k: v for k, v in value.items() if k != "op"}
            return {"op": value.get("op"), "params": rest}
        return value

    @model_validator(mode="after")
    def _check_params(self) -> StepSpec:
        spec = STEP_PARAMETERS.get(self.op)
        if spec is None:
            known = ", ".join(sorted(STEP_PARAMETERS))
            raise ValueError(f"unknown step {self.op!r} (known: {known})")
        for name, value in self.params.items():
            if name not in spec:
                raise ValueError(f"step {self.op!r} takes no parameter {name!r}")
            if not isinstance(value, spec[name][0]):
                raise ValueError(f"step {self.op!r}: parameter {name!r} has the wrong type")
        for name, (_, required) in spec.items():
            if required and name not in self.params:
                raise ValueError(f"step {self.op!r} needs parameter {name!r}")
        return self


class FieldMapping(_Frozen):
    """Where one canonical attribute comes from in a source row, and how it is prepared."""

    from_: str | tuple[str, ...] | None = Field(default=None, alias="from")
    const: str | int | float | bool | None = None
    join: str = " "
    steps: tuple[StepSpec, ...] = ()
    required: bool = False
    on_invalid: Literal["quarantine", "drop"] | None = None  # None: the attribute type's default
    country_from: str = "country"

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value: Any) -> Any:
        return {"from": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_origin(self) -> FieldMapping:
        if (self.from_ is None) == (self.const is None):
            raise ValueError("give exactly one of 'from' (a column) or 'const' (a constant)")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        if self.from_ is None:
            return ()
        return (self.from_,) if isinstance(self.from_, str) else self.from_


class TimestampMapping(_Frozen):
    """The column holding the source's own last-modified time, and its formats."""

    from_: str = Field(alias="from")
    formats: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value: Any) -> Any:
        return {"from": value} if isinstance(value, str) else value


class SourceEntityConfig(_Frozen):
    """How one entity type is read from one source system's export."""

    format: Literal["csv", "jsonl"] = "csv"
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    key: str | tuple[str, ...]
    key_separator: str = ":"
    updated_at: TimestampMapping | None = None
    default_country: str | None = None
    fields: dict[str, FieldMapping]

    @field_validator("delimiter", "quotechar")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("must be exactly one character")
        return value

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (self.key,) if isinstance(self.key, str) else self.key


class SourceConfig(_Frozen):
    """A registered source system and the entity types it exports."""

    title: str = ""
    preset: str | None = None
    entities: dict[str, SourceEntityConfig]


class AttributeSpec(_Frozen):
    """A canonical attribute of an entity type."""

    type: str = "string"
    entity: str | None = None
    system: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _check_type(self) -> AttributeSpec:
        if self.type not in ATTRIBUTE_TYPES:
            raise ValueError(
                f"unknown type {self.type!r} (known: {', '.join(sorted(ATTRIBUTE_TYPES))})"
            )
        if self.type == "reference" and not self.entity:
            raise ValueError("a reference needs 'entity'")
        if self.type != "reference" and (self.entity or self.system):
            raise ValueError("'entity' and 'system' belong to references only")
        return self


class EntityTypeConfig(_Frozen):
    """An entity type: its attributes, and its matching and survivorship settings."""

    id_prefix: str
    description: str = ""
    attributes: dict[str, AttributeSpec]
    matching: dict[str, Any] = Field(default_factory=dict)
    survivorship: SurvivorshipConfig = SurvivorshipConfig()

    @field_validator("id_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value.isalnum() or not value.isupper():
            raise ValueError("must be upper-case letters or digits, such as 'CUS'")
        return value


class HubSection(_Frozen):
    name: str = "MDM hub"
    default_country: str | None = None


class HubConfig(_Frozen):
    """The whole hub config, validated."""

    hub: HubSection = HubSection()
    entity_types: dict[str, EntityTypeConfig]
    sources: dict[str, SourceConfig] = Field(default_factory=dict)

    def source_entity(self, system: str, entity_type: str) -> SourceEntityConfig:
        """The mapping of `entity_type` in `system`; NotFoundError-style KeyError text if absent."""
        from mdm.domain import NotFoundError

        if system not in self.sources:
            known = ", ".join(sorted(self.sources)) or "none"
            raise NotFoundError(f"unknown source system {system!r} (configured: {known})")
        entities = self.sources[system].entities
        if entity_type not in entities:
            known = ", ".join(sorted(entities)) or "none"
            raise NotFoundError(
                f"source system {system!r} has no mapping for entity type {entity_type!r} "
                f"(it maps: {known})"
            )
        return entities[entity_type]
