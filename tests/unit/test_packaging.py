"""Packaging rules: no top-level `graphql` package shadows graphql-core; presets ship."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_graphql_folder_is_not_an_importable_package():
    assert not list((ROOT / "graphql").glob("**/*.py"))
    spec = importlib.util.find_spec("graphql")
    assert spec is not None and "site-packages" in (spec.origin or "")


def test_the_layers_have_their_packages():
    for name in ("mdm", "matching", "stewardship"):
        assert importlib.util.find_spec(name) is not None, name
