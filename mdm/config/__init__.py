"""The hub config: entity types, source systems and mappings, matching and survivorship.

Loaded from one TOML file and validated into frozen models; every problem is reported at once.
"""

from mdm.config._loader import load_hub_config, parse_hub_config
from mdm.config._models import (
    ATTRIBUTE_TYPES,
    STEP_PARAMETERS,
    AttributeSpec,
    EntityTypeConfig,
    FieldMapping,
    HubConfig,
    SourceConfig,
    SourceEntityConfig,
    StepSpec,
    TimestampMapping,
)
from mdm.config._survivorship import RULE_NAMES, AttributeRule, Lifecycle, SurvivorshipConfig

__all__ = [
    "RULE_NAMES",
    "AttributeRule",
    "Lifecycle",
    "SurvivorshipConfig",
    "ATTRIBUTE_TYPES",
    "STEP_PARAMETERS",
    "AttributeSpec",
    "EntityTypeConfig",
    "FieldMapping",
    "HubConfig",
    "SourceConfig",
    "SourceEntityConfig",
    "StepSpec",
    "TimestampMapping",
    "load_hub_config",
    "parse_hub_config",
]
