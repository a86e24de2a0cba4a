"""Settings schema (incl. the documented TOML), the engine seam and the public surface."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pydantic
import pytest

import matching as m

ROOT = Path(__file__).resolve().parents[2]


def test_public_surface_is_exactly_all() -> None:
    public = {n for n in dir(m) if not n.startswith("_")}
    assert public == set(m.__all__)
    for name in m.__all__:
        assert getattr(m, name) is not None


@pytest.mark.parametrize("entity_type", ["customer", "legal_entity", "project"])
def test_defaults_are_valid_and_reference_known_builders(entity_type: str) -> None:
    settings = m.default_matching_settings(entity_type)
    assert {c.builder for c in settings.comparisons} <= set(m.COMPARISON_BUILDERS)
    assert settings.thresholds.review < settings.thresholds.auto_link


def test_toml_snippet_in_docs_validates() -> None:
    text = (ROOT / "docs" / "matching.md").read_text()
    snippet = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    doc = tomllib.loads(snippet)
    for entity_type, table in doc["entity_types"].items():
        settings = m.matching_settings(entity_type, table["matching"])
        assert settings.comparisons
    # "these are the defaults, written out": the snippet must not drift from the code
    for entity_type in ("customer", "project"):
        documented = m.matching_settings(entity_type, doc["entity_types"][entity_type]["matching"])
        assert documented == m.default_matching_settings(entity_type)


def test_overrides_merge_over_defaults_and_bad_values_fail() -> None:
    s = m.matching_settings("customer", {"thresholds": {"auto_link": 0.9}})
    assert (s.thresholds.auto_link, s.thresholds.review) == (0.9, 0.5)
    with pytest.raises(pydantic.ValidationError):
        m.matching_settings("customer", {"thresholds": {"review": 0.99, "auto_link": 0.9}})
    with pytest.raises(pydantic.ValidationError):
        m.matching_settings("customer", {"engine": "oracle"})


def test_absent_attributes_are_simply_not_used() -> None:
    rows = [
        {"unique_id": f"crm|{i}", "system": "crm", "source_id": str(i), "name": n, "city": c}
        for i, (n, c) in enumerate(
            [("Acme Ltd", "Leeds"), ("ACME Limited", "Leeds"), ("Birch Media", "York")] * 3
        )
    ]
    model = m.train_model(
        m.normalise_records(rows, m.default_matching_settings("customer")),
        m.default_matching_settings("customer"),
    )
    assert set(model.comparison_names) == {"org_name", "legal_form", "location", "source_system"}
    location = next(
        c for c in model.splink_settings["comparisons"] if c["output_column_name"] == "location"
    )
    assert "street_l" not in json.dumps(location)  # only the city levels: no street in the data


def test_spark_engine_without_pyspark_is_a_clear_error() -> None:
    pytest.importorskip("splink")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        with pytest.raises(m.EngineUnavailableError, match="pyspark"):
            m.make_db_api("spark")
    with pytest.raises(m.EngineUnavailableError, match="unknown"):
        m.make_db_api("oracle")


def test_only_matching_imports_the_matching_engines() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+(splink|duckdb|networkx)\b", re.M)
    offenders = [
        str(p.relative_to(ROOT))
        for d in ("mdm", "stewardship")
        for p in (ROOT / d).rglob("*.py")
        if pattern.search(p.read_text())
    ]
    assert offenders == []


def test_location_scores_one_fact_once() -> None:
    """Street, postcode and city in one comparison: agreeing on all three is one level."""
    from matching._comparisons import COMPARISON_BUILDERS

    spec = m.ComparisonSpec(builder="location", term_frequency=True)
    cols = {
        "street",
        "house_number",
        "address_full",
        "postcode_norm",
        "postcode_district",
        "city_norm",
    }
    labels = [lv["label_for_charts"] for lv in COMPARISON_BUILDERS["location"](spec, cols)]
    assert labels[:3] == ["null", "same address", "similar address"]
    assert labels.index("same postcode, other street") < labels.index("same city, street unknown")
    city_only = [
        lv["label_for_charts"] for lv in COMPARISON_BUILDERS["location"](spec, {"city_norm"})
    ]
    assert city_only == ["null", "same city, street unknown", "similar city", "different"]


def test_thresholds_attach_can_be_switched_off_and_veto_sits_below() -> None:
    s = m.matching_settings("customer", {"thresholds": {"attach": False}})
    assert s.thresholds.attach is None and s.thresholds.scoring_floor == 0.5
    assert m.default_matching_settings("customer").thresholds.scoring_floor == 0.02
    with pytest.raises(pydantic.ValidationError, match="veto"):
        m.matching_settings("customer", {"thresholds": {"veto": 0.05}})


def test_duckdb_databases_for_matching_cap_their_memory_and_spill_to_a_temp_dir(monkeypatch):
    from matching._engine import duckdb_connection

    def setting(connection, name):
        return connection.execute("SELECT current_setting(?)", [name]).fetchone()[0]

    monkeypatch.delenv("MATCHING_DUCKDB_MEMORY_LIMIT", raising=False)
    default = duckdb_connection()
    assert setting(default, "memory_limit") == "1.8 GiB"  # 2GB, as DuckDB prints it
    assert setting(default, "temp_directory").endswith("mdm-duckdb")
    monkeypatch.setenv("MATCHING_DUCKDB_MEMORY_LIMIT", "512MB")
    assert setting(duckdb_connection(), "memory_limit") == "488.2 MiB"
    monkeypatch.setenv("MATCHING_DUCKDB_MEMORY_LIMIT", "")  # empty: DuckDB's own default
    assert setting(duckdb_connection(), "memory_limit") != "1.8 GiB"


def test_name_similarity_gates_never_change_a_level() -> None:
    """The cheap gates in front of the edit distance (lengths, Jaro-Winkler, the plain
    Levenshtein bounds) and the one-way containment search decide exactly as the plain
    tests would, at the thresholds' edges, on transpositions and beyond ASCII."""
    import duckdb

    from matching._comparisons import _near_prefix, _similar_names, _token_containment

    names = [
        "acme",
        "acme holdings",
        "acmeholdings",
        "acme holdigns",
        "acme hlodings",  # a transposition: one Damerau edit, two plain ones
        "came holdnigs",
        "acme holdings international",
        "amce holdings internationla",
        "abcdefghij",
        "abcdefghi",  # one edit in ten: similarity exactly 0.9
        "abcdefgh",  # two in ten: exactly 0.8
        "日本語テスト会社",
        "日本語テスト会",
        "sørensen international",
        "sorensen international",
        "e\u0301toile",
        None,
    ]
    rows = [(name, alt) for name in names for alt in (None, "acme", "abcdefghi")]
    db = duckdb.connect()
    db.execute(
        "CREATE TABLE l AS SELECT * FROM (VALUES "
        + ", ".join("(?, ?)" for _ in rows)
        + ") t(name_core, alt_name_core)",
        [v for row in rows for v in row],
    )

    def plain(threshold: float) -> str:
        return " or ".join(
            f"(CASE WHEN jaro_winkler_similarity(l.{x}, r.{y}) >= 0.75 THEN 1 - "
            f"damerau_levenshtein(l.{x}, r.{y}) / greatest(length(l.{x}), length(r.{y}))::DOUBLE"
            f" >= {threshold} ELSE false END)"
            for x, y in [
                ("name_core", "name_core"),
                ("alt_name_core", "alt_name_core"),
                ("name_core", "alt_name_core"),
                ("alt_name_core", "name_core"),
            ]
        )

    contains = (
        "contains(' ' || l.name_core || ' ', ' ' || r.name_core || ' ') or "
        "contains(' ' || r.name_core || ' ', ' ' || l.name_core || ' ')"
    )

    def prefix(a: str, b: str) -> str:
        return (
            f"WHEN length({a}.name_core) >= 5 and length({a}.name_core) < length({b}.name_core)"
            f" and left({a}.name_core, 1) = left({b}.name_core, 1) THEN 1 - damerau_levenshtein("
            f"{a}.name_core, left({b}.name_core, length({a}.name_core))) / "
            f"length({a}.name_core)::DOUBLE >= 0.85"
        )

    for gated, reference in [
        (_similar_names(0.9), plain(0.9)),
        (_similar_names(0.8), plain(0.8)),
        (_token_containment("name_core"), contains),
        (_near_prefix("name_core", 0.85), f"CASE {prefix('l', 'r')} {prefix('r', 'l')} END"),
    ]:
        got = db.sql(
            f"SELECT coalesce({gated}, false) = coalesce({reference}, false) AS same, "
            f"coalesce({reference}, false) AS hit FROM l, l AS r"
        ).fetchall()
        assert all(same for same, _ in got)
        assert 0 < sum(hit for _, hit in got) < len(got)  # the cases reach both outcomes
