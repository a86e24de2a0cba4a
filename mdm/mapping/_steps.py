"""Mapping steps, looked up by name: each turns a text value into another (or None)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from mdm.mapping._values import InvalidValue, to_domain

Step = Callable[[str], str | None]


def _trim(_: dict[str, Any]) -> Step:
    return lambda v: v.strip() or None


def _case(method: str) -> Callable[[dict[str, Any]], Step]:
    return lambda _: getattr(str, method)


def _collapse(_: dict[str, Any]) -> Step:
    return lambda v: " ".join(v.split()) or None


def _digits(_: dict[str, Any]) -> Step:
    return lambda v: "".join(ch for ch in v if ch.isdigit()) or None


def _domain(_: dict[str, Any]) -> Step:
    return to_domain


def _split(p: dict[str, Any]) -> Step:
    sep, index = p["sep"], p.get("index", 0)

    def split(v: str) -> str | None:
        parts = v.split(sep)
        return parts[index].strip() or None if -len(parts) <= index < len(parts) else None

    return split


def _replace(p: dict[str, Any]) -> Step:
    old, new = p["old"], p.get("new", "")
    return lambda v: v.replace(old, new)


def _regex(p: dict[str, Any]) -> Step:
    pattern, group = re.compile(p["pattern"]), p.get("group", 0)

    def extract(v: str) -> str | None:
        found = pattern.search(v)
        return found.group(group) if found else None

    return extract


def _map(p: dict[str, Any]) -> Step:
    values = {str(k).casefold(): str(v) for k, v in p["values"].items()}
    default = p.get("default", "keep")

    def lookup(v: str) -> str | None:
        hit = values.get(v.casefold())
        if hit is not None:
            return hit
        return v if default == "keep" else (default or None)

    return lookup


def _null_if(p: dict[str, Any]) -> Step:
    nulls = {str(x).strip().casefold() for x in p["values"]}
    return lambda v: None if v.strip().casefold() in nulls else v


def _default(p: dict[str, Any]) -> Step:
    value = str(p["value"])
    return lambda v: v or value


def _prefix(p: dict[str, Any]) -> Step:
    value = p["value"]
    return lambda v: v if v.startswith(value) else value + v


def _parse_with(formats: list[str], as_date: bool) -> Step:
    @lru_cache(maxsize=8192)  # extracts repeat dates a lot; a cache per compiled step
    def parse(v: str) -> str | None:
        text = v.strip()
        for fmt in formats:
            try:
                moment = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if as_date:
                return moment.date().isoformat()
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC).isoformat()
        wanted = " or ".join(formats)
        raise InvalidValue(f"{text!r} does not match the format {wanted}")

    return parse


STEPS: dict[str, Callable[[dict[str, Any]], Step]] = {
    "trim": _trim,
    "upper": _case("upper"),
    "lower": _case("lower"),
    "title": _case("title"),
    "collapse_spaces": _collapse,
    "digits": _digits,
    "domain": _domain,
    "split": _split,
    "replace": _replace,
    "regex": _regex,
    "map": _map,
    "null_if": _null_if,
    "default": _default,
    "date": lambda p: _parse_with(p["formats"], as_date=True),
    "timestamp": lambda p: _parse_with(p["formats"], as_date=False),
    "prefix": _prefix,
}
