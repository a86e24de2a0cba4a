"""Matching settings: the Splink model of one entity type, declared as data.

The hub's TOML table `[entity_types.<type>.matching]` is validated into these frozen
models; anything the table leaves out comes from `default_matching_settings`. Comparisons
are named builders from a registry (see `_comparisons`), blocking rules are column lists
or Splink SQL, so a firm tunes matching without writing Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: A blocking rule: columns that must be equal (a list) or a Splink SQL condition on l/r.
BlockingRule = tuple[str, ...] | str


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ComparisonSpec(_Frozen):
    """One comparison: a registry builder, optionally renamed and with tf adjustment."""

    builder: str
    name: str | None = None
    term_frequency: bool = False
    params: dict[str, Any] = Field(default_factory=dict)

    @property
    def output_name(self) -> str:
        return self.name or self.builder


class Thresholds(_Frozen):
    """Match probability cut-offs.

    `auto_link`: pairs at or above are linked. `review`: from here up to `auto_link`
    pairs go to the stewards' queue. `attach`: a record left alone is attached to its
    only plausible cluster when its best pair there reaches this and nothing disagrees
    (None: never). `veto`: a pair inside a cluster scored below this is clearly two
    entities, and no auto-link chain may join it.
    """

    auto_link: float = Field(0.95, gt=0, le=1)
    review: float = Field(0.5, gt=0, le=1)
    attach: float | None = Field(0.02, gt=0, le=1)
    veto: float = Field(0.01, ge=0, lt=1)

    @field_validator("attach", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        return None if value is False else value  # TOML has no null: `attach = false`

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.review > self.auto_link:
            raise ValueError("thresholds.review must not exceed thresholds.auto_link")
        if self.veto >= min(self.review, self.attach or 1.0):
            raise ValueError("thresholds.veto must be below thresholds.review and .attach")
        return self

    @property
    def scoring_floor(self) -> float:
        """The lowest probability any decision looks at: prediction keeps pairs from here."""
        return min(self.review, self.attach or self.review)


class TrainingSettings(_Frozen):
    """Unsupervised training: u by random sampling, lambda by deterministic rules, EM."""

    seed: int = 42
    u_max_pairs: float = Field(1e6, gt=0)
    em_blocking_rules: tuple[BlockingRule, ...] = ()
    em_max_pairs: float | None = Field(2.5e5, gt=0)
    #: EM iterations over each distinct agreement pattern with its count (False, the
    #: default) or over every pair with its term-frequency adjustments (True: slower, the
    #: estimates move slightly). Prediction applies the adjustments either way.
    em_term_frequencies: bool = False
    deterministic_rules: tuple[BlockingRule, ...] = ()
    deterministic_recall: float = Field(0.7, gt=0, le=1)
    max_iterations: int = Field(25, gt=0)


class ReferenceSpec(_Frozen):
    """A column holding the id of a record in another system ("crm_ref" -> "crm|<id>").

    `same_entity` references become must-links unless contradicted; `parent` references
    (a parent company in the same system) become cannot-links: a company is not its parent.
    """

    column: str
    system: str | None = None  # None: the record's own system
    kind: Literal["same_entity", "parent"] = "same_entity"


class NormalisationSettings(_Frozen):
    """Extra vocabulary for name normalisation, on top of the built-in tables."""

    extra_legal_forms: dict[str, str] = Field(default_factory=dict)
    extra_abbreviations: dict[str, str] = Field(default_factory=dict)


class MatchingSettings(_Frozen):
    """Everything needed to train, predict and cluster one entity type."""

    entity_kind: Literal["organisation", "project"] = "organisation"
    engine: Literal["duckdb", "spark"] = "duckdb"
    comparisons: tuple[ComparisonSpec, ...]
    blocking_rules: tuple[BlockingRule, ...]
    training: TrainingSettings = TrainingSettings()
    thresholds: Thresholds = Thresholds()
    normalisation: NormalisationSettings = NormalisationSettings()
    references: tuple[ReferenceSpec, ...] = ()
    reference_min_name_similarity: float = Field(0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _unique_names(self) -> MatchingSettings:
        names = [c.output_name for c in self.comparisons]
        if len(names) != len(set(names)):
            raise ValueError(f"comparison names must be unique, got {names}")
        return self


_ORG_COMPARISONS = (
    ComparisonSpec(builder="org_name", term_frequency=True),
    ComparisonSpec(builder="legal_form"),
    ComparisonSpec(builder="tax_id"),
    ComparisonSpec(builder="lei"),
    ComparisonSpec(builder="registration_number"),
    ComparisonSpec(builder="domain", term_frequency=True),
    ComparisonSpec(builder="phone", term_frequency=True),
    ComparisonSpec(builder="location", term_frequency=True),
    ComparisonSpec(builder="source_system"),
    ComparisonSpec(builder="country"),
)
_ORG_BLOCKING: tuple[BlockingRule, ...] = (
    ("name_core",),
    ("alt_name_core",),
    "l.name_core = r.alt_name_core",
    ("name_sorted",),
    ("name_compact",),
    ("name_anagram", "country"),
    ("name_phonetic", "country"),
    ("name_phonetic", "postcode_district"),
    ("name_first", "postcode_district"),
    ("name_first", "city_norm"),
    "substr(l.name_core, 1, 3) = substr(r.name_core, 1, 3) and l.postcode_norm = r.postcode_norm",
    ("tax_id_valid",),
    ("lei_valid",),
    ("registration_norm", "country"),
    ("domain",),
    ("phone_national",),
    ("address_full", "postcode_norm"),
)
_ORG_TRAINING = TrainingSettings(
    em_blocking_rules=(("name_core",), ("postcode_norm",), ("domain",), ("tax_id_valid",)),
    deterministic_rules=(
        ("tax_id_valid",),
        ("lei_valid",),
        ("name_core", "postcode_norm"),
        ("name_core", "domain"),
        ("name_core", "phone_national"),
    ),
    deterministic_recall=0.7,
)
_ORG_REFERENCES = (
    ReferenceSpec(column="crm_ref", system="crm"),
    ReferenceSpec(column="erp_ref", system="erp"),
    ReferenceSpec(column="parent_ref", kind="parent"),
)

_PROJECT_COMPARISONS = (
    ComparisonSpec(builder="project_name", term_frequency=True),
    ComparisonSpec(builder="project_code"),
    ComparisonSpec(builder="date", name="start_date", params={"column": "start_date"}),
    ComparisonSpec(builder="date", name="end_date", params={"column": "end_date"}),
    ComparisonSpec(
        builder="person_name", name="project_manager", params={"column": "project_manager"}
    ),
    ComparisonSpec(builder="exact", name="customer_ref", params={"column": "customer_ref"}),
    ComparisonSpec(builder="country"),
)
_PROJECT_BLOCKING: tuple[BlockingRule, ...] = (
    ("project_name_norm",),
    ("project_name_sorted",),
    ("code_norm",),
    ("name_first", "start_date"),
    ("name_first", "project_manager_norm"),
    "l.code_norm is not null and contains(r.project_name_norm, lower(l.code_norm))",
)
_PROJECT_TRAINING = TrainingSettings(
    em_blocking_rules=(("project_name_norm",), ("code_norm",), ("start_date",)),
    deterministic_rules=(("code_norm",), ("project_name_norm", "start_date")),
    deterministic_recall=0.6,
)


def default_matching_settings(entity_type: str) -> MatchingSettings:
    """Good defaults for "customer", "legal_entity" and "project" (others: organisation)."""
    if entity_type == "project":
        return MatchingSettings(
            entity_kind="project",
            comparisons=_PROJECT_COMPARISONS,
            blocking_rules=_PROJECT_BLOCKING,
            training=_PROJECT_TRAINING,
            # Projects carry codes and references; a name and a date alone are not enough
            # to attach one (two projects of one client often start on the same day).
            thresholds=Thresholds(auto_link=0.95, review=0.5, attach=None),
            references=(ReferenceSpec(column="erp_project_ref", system="erp"),),
            reference_min_name_similarity=0.3,
        )
    return MatchingSettings(
        entity_kind="organisation",
        comparisons=_ORG_COMPARISONS,
        blocking_rules=_ORG_BLOCKING,
        training=_ORG_TRAINING,
        thresholds=Thresholds(auto_link=0.95, review=0.5),
        references=_ORG_REFERENCES,
    )


def matching_settings(entity_type: str, table: Mapping[str, Any] | None = None) -> MatchingSettings:
    """Validate a hub TOML table over the entity type's defaults.

    Top-level keys of `table` replace the default's; the nested tables `training`,
    `thresholds` and `normalisation` merge key by key. Raises pydantic.ValidationError.
    """
    base = default_matching_settings(entity_type).model_dump()
    for key, value in (table or {}).items():
        if key in ("training", "thresholds", "normalisation") and isinstance(value, Mapping):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return MatchingSettings.model_validate(base)
