"""Read the hub config file, merge presets, validate, and report every problem at once."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pycountry
from pydantic import ValidationError

from mdm.config._models import HubConfig
from mdm.domain import ConfigError

_PRESET_PACKAGE = "mdm.presets"


def load_hub_config(path: str | Path) -> HubConfig:
    """Load and validate the hub config at `path`; raise ConfigError listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"{path}: file not found"], source=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"], source=str(path)) from exc
    return parse_hub_config(data, source=str(path))


def parse_hub_config(data: dict[str, Any], source: str = "hub config") -> HubConfig:
    """Validate an already-parsed config mapping (presets merged in) into a HubConfig."""
    problems: list[str] = []
    data = _merge_presets(data, problems, source)
    try:
        config = HubConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(_describe(error, source) for error in exc.errors())
        raise ConfigError(problems, source=source) from None
    problems.extend(_cross_check(config, source))
    if problems:
        raise ConfigError(problems, source=source)
    return config


def preset_names() -> list[str]:
    """Names of the presets shipped with the hub."""
    folder = resources.files(_PRESET_PACKAGE)
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def _merge_presets(data: dict[str, Any], problems: list[str], source: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for system, body in (data.get("sources") or {}).items():
        if not isinstance(body, dict) or not body.get("preset"):
            continue
        name = body["preset"]
        try:
            text = resources.files(_PRESET_PACKAGE).joinpath(f"{name}.toml").read_text("utf-8")
        except (FileNotFoundError, OSError):
            known = ", ".join(preset_names())
            problems.append(
                f"{source}: sources.{system}.preset: unknown preset {name!r} (known: {known})"
            )
            continue
        data["sources"][system] = _deep_merge(tomllib.loads(text), body)
    return data


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: dict[str, Any], source: str) -> str:
    loc = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    return f"{source}: {loc}: {message}"


def _cross_check(config: HubConfig, source: str) -> list[str]:
    problems: list[str] = []
    types = config.entity_types
    for name, entity in types.items():
        for attr in entity.survivorship.attributes:
            if attr not in entity.attributes:
                problems.append(
                    f"{source}: entity_types.{name}.survivorship.attributes.{attr}: "
                    f"not an attribute of {name!r}"
                )
        for attr, spec in entity.attributes.items():
            if spec.type == "reference" and spec.entity not in types:
                problems.append(
                    f"{source}: entity_types.{name}.attributes.{attr}.entity: "
                    f"unknown entity type {spec.entity!r}"
                )
            if spec.system and spec.system not in config.sources:
                problems.append(
                    f"{source}: entity_types.{name}.attributes.{attr}.system: "
                    f"unknown source system {spec.system!r}"
                )
    if config.hub.default_country and not _is_country(config.hub.default_country):
        problems.append(f"{source}: hub.default_country: not an ISO 3166 alpha-2 code")
    for system, src in config.sources.items():
        for entity_type, mapping in src.entities.items():
            where = f"{source}: sources.{system}.entities.{entity_type}"
            if entity_type not in types:
                problems.append(f"{where}: unknown entity type {entity_type!r}")
                continue
            attributes = types[entity_type].attributes
            for field in mapping.fields:
                if field not in attributes:
                    problems.append(
                        f"{where}.fields.{field}: not an attribute of {entity_type!r} "
                        f"(declare it under entity_types.{entity_type}.attributes)"
                    )
            for field, fm in mapping.fields.items():
                spec = attributes.get(field)
                contextual = spec is not None and spec.type in ("phone", "tax_id")
                if contextual and fm.country_from not in attributes:
                    problems.append(f"{where}.fields.{field}.country_from: unknown attribute")
            if mapping.default_country and not _is_country(mapping.default_country):
                problems.append(f"{where}.default_country: not an ISO 3166 alpha-2 code")
            try:
                "".encode(mapping.encoding)
            except LookupError:
                problems.append(f"{where}.encoding: unknown codec {mapping.encoding!r}")
    return problems


def _is_country(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None
