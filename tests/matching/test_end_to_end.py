"""Train + predict + cluster on a varied synthetic set; model JSON, labels, incremental."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

import matching as m
from tests.matching.synthetic_orgs import generate


@pytest.fixture(scope="module")
def data():
    records, truth, sisters = generate(seed=7)
    settings = m.default_matching_settings("customer")
    return records, truth, sisters, settings, m.match_records(records, settings)


def test_quality_and_no_sister_company_merged(data) -> None:
    _, truth, sisters, _, result = data
    metrics = m.evaluate_clusters(result.clusters.assignments, truth)
    assert metrics.pairwise_f1 >= 0.95
    assert metrics.bcubed_f1 >= 0.95
    clusters_of: dict[str, set[str]] = {}
    for uid, entity in truth.items():
        clusters_of.setdefault(entity, set()).add(result.clusters.assignments[uid])
    assert sisters, "the generator plants sister companies"
    for a, b in sisters:
        assert not clusters_of[a] & clusters_of[b], f"sister companies {a} and {b} merged"


def test_same_name_different_city_firms_stay_apart(data) -> None:
    records, truth, _, _, result = data
    generic = [
        r["unique_id"] for r in records if (r["name"] or "").lower().startswith("global solutions")
    ]
    by_cluster = {}
    for uid in generic:
        by_cluster.setdefault(result.clusters.assignments[uid], set()).add(truth[uid])
    assert all(len(entities) == 1 for entities in by_cluster.values())


def test_pairs_carry_an_explanation(data) -> None:
    _, _, _, _, result = data
    pairs = result.pairs
    assert pairs.column_names == [
        "unique_id_l",
        "unique_id_r",
        "match_probability",
        "match_weight",
        "strongest_against",
        "explanation",
    ]
    assert all(
        a < b
        for a, b in zip(
            pairs["unique_id_l"].to_pylist(), pairs["unique_id_r"].to_pylist(), strict=True
        )
    )
    explanation = json.loads(pairs["explanation"][0].as_py())
    assert set(explanation) == set(result.model.comparison_names)
    assert {"level", "weight", "bayes_factor"} <= set(explanation["org_name"])
    for row in pairs.to_pylist():  # the strongest disagreement, provenance left out
        levels = {k: v for k, v in json.loads(row["explanation"]).items() if k != "source_system"}
        weights = [
            min(v["weight"], m.PARTIAL_DISAGREEMENT)
            if (k, v["level"]) in m.PARTIAL_LEVELS
            else v["weight"]
            for k, v in levels.items()
        ]
        assert row["strongest_against"] == pytest.approx(min(0.0, *weights), abs=2e-3)


def test_model_json_round_trip_and_deterministic_training(data) -> None:
    records, _, _, settings, result = data
    model = result.model
    assert m.MatchingModel.from_json(model.to_json()) == model
    again = m.train_model(m.normalise_records(list(reversed(records)), settings), settings)
    assert again.version == model.version


def test_incremental_matching_of_new_records(data) -> None:
    records, truth, _, settings, result = data
    table = m.normalise_records(records, settings)
    new_ids = {r["unique_id"] for r in records[-12:]}
    is_new = pa.array([u in new_ids for u in table["unique_id"].to_pylist()])
    pairs = m.match_new_records(
        result.model, table.filter(pa.compute.invert(is_new)), table.filter(is_new)
    )
    found = {
        (a, b)
        for a, b, p in zip(
            pairs["unique_id_l"].to_pylist(),
            pairs["unique_id_r"].to_pylist(),
            pairs["match_probability"].to_pylist(),
            strict=True,
        )
        if p >= 0.95
    }
    assert found and all(a in new_ids or b in new_ids for a, b in found)
    assert all(truth[a] == truth[b] for a, b in found)


def test_refine_with_labels_moves_m_towards_labels(data) -> None:
    records, truth, _, _, result = data
    by_entity: dict[str, list[str]] = {}
    for uid, entity in sorted(truth.items()):
        by_entity.setdefault(entity, []).append(uid)
    labels = [(ids[0], ids[1], True) for ids in by_entity.values() if len(ids) > 1][:40]
    labels.append((labels[0][0], labels[1][0], False))
    refined = m.refine_with_labels(result.model, labels, records)
    assert refined.version != result.model.version
    for comp in refined.splink_settings["comparisons"]:
        ms = [
            lv["m_probability"] for lv in comp["comparison_levels"] if not lv.get("is_null_level")
        ]
        assert sum(ms) == pytest.approx(1.0, abs=1e-6)


def test_sparse_noisy_records_stay_precise() -> None:
    """Identifiers mostly missing, more typos: fewer auto-links, but no wrong merges."""
    import random

    from tests.matching.synthetic_orgs import _typo

    records, truth, sisters = generate(seed=3, n_entities=200)
    rng = random.Random(3)
    for r in records:
        for key, p in (("tax_id", 0.6), ("phone", 0.5), ("postcode", 0.3), ("address_line1", 0.2)):
            if rng.random() < p:
                r[key] = None
        if rng.random() < 0.5:
            r["website"] = r["email"] = None
        if r["name"] and rng.random() < 0.2:
            r["name"] = _typo(rng, r["name"])
        r["lei"] = None
    result = m.match_records(records, m.default_matching_settings("customer"))
    metrics = m.evaluate_clusters(result.clusters.assignments, truth)
    assert metrics.pairwise_precision >= 0.97
    assert metrics.pairwise_f1 >= 0.9
    clusters_of: dict[str, set[str]] = {}
    for uid, entity in truth.items():
        clusters_of.setdefault(entity, set()).add(result.clusters.assignments[uid])
    assert not any(clusters_of[a] & clusters_of[b] for a, b in sisters)


def test_within_cluster_scoring_reads_only_the_clusters_but_weighs_by_all_records(data) -> None:
    records, _, _, settings, result = data
    table = m.normalise_records(records, settings)
    sizes: dict[str, int] = {}
    for key in result.clusters.assignments.values():
        sizes[key] = sizes.get(key, 0) + 1
    big = {u: k for u, k in result.clusters.assignments.items() if sizes[k] >= 3}
    assert big, "the synthetic set has clusters of three or more"
    frequencies = m.term_frequencies(result.model, table)
    assert "name_core" in frequencies
    given = m.score_within_clusters(result.model, table, big, frequencies=frequencies)
    computed = m.score_within_clusters(result.model, table, big)
    assert given.equals(computed)
    assert given.num_rows == sum(s * (s - 1) // 2 for k, s in sizes.items() if s >= 3) > 0
    # Frequencies of the clustered records alone would make their shared names look rarer
    # (stronger); the whole table's frequencies are what the run used.
    subset = table.filter(pa.compute.is_in(table["unique_id"], value_set=pa.array(list(big))))
    local = m.score_within_clusters(
        result.model, table, big, frequencies=m.term_frequencies(result.model, subset)
    )
    assert local["match_weight"].to_pylist() != given["match_weight"].to_pylist()
    bare = m.score_within_clusters(result.model, table, big, frequencies=frequencies, explain=False)
    assert bare.drop_columns(["explanation"]).equals(given.drop_columns(["explanation"]))
    assert bare["explanation"].null_count == bare.num_rows


def test_our_blocking_and_scoring_give_exactly_splinks_predictions(data) -> None:
    """The one-pass scoring (own blocking on row numbers, only the public columns
    materialised) finds the same pairs under the same rule keys, with the same scores,
    as Splink's own `predict` followed by the column selection."""
    from matching import _predict

    records, _, _, settings, result = data
    table = m.normalise_records(records, settings)
    model = result.model
    assert len(model.splink_settings["blocking_rules_to_generate_predictions"]) > 5
    linker, frames = _predict._linker(model, [table], None)
    assert _predict._own_blocking(model, linker)
    ours = _predict._blocked_pairs(linker, frames[0]).as_pyarrow_table()
    splinks = linker.inference.compute_blocked_pairs_for_predict().as_pyarrow_table()
    key = ["match_key", "join_key_l", "join_key_r"]
    assert ours.num_rows == splinks.num_rows > len(records)
    assert (
        ours.select(key)
        .sort_by([(k, "ascending") for k in key])
        .equals(splinks.select(key).sort_by([(k, "ascending") for k in key]))
    )
    assert len(set(ours["match_key"].to_pylist())) > 3  # several rules contribute

    cut = settings.thresholds.scoring_floor
    reference = _predict._finish(
        model,
        linker,
        [linker.inference.predict(threshold_match_probability=cut, warning_mode="never")],
    )
    scored = m.predict_pairs(model, table)
    assert scored.num_rows == reference.num_rows > 0
    assert scored.equals(reference)


def test_em_over_agreement_patterns_decides_as_em_over_pairs_does(data) -> None:
    """The default EM (each distinct agreement pattern once, with its count) moves the
    estimates a little from EM over every pair with term frequencies, but not the
    outcome: both clusterings score alike against the truth and agree with each other."""
    records, truth, _, settings, result = data
    assert settings.training.em_term_frequencies is False
    slow_settings = settings.model_copy(
        update={"training": settings.training.model_copy(update={"em_term_frequencies": True})}
    )
    slow = m.match_records(records, slow_settings)
    fast_m = [
        lv.get("m_probability")
        for c in result.model.splink_settings["comparisons"]
        for lv in c["comparison_levels"]
    ]
    slow_m = [
        lv.get("m_probability")
        for c in slow.model.splink_settings["comparisons"]
        for lv in c["comparison_levels"]
    ]
    assert fast_m != slow_m  # the two really trained differently
    fast_q = m.evaluate_clusters(result.clusters.assignments, truth)
    slow_q = m.evaluate_clusters(slow.clusters.assignments, truth)
    assert abs(fast_q.pairwise_f1 - slow_q.pairwise_f1) < 0.02
    assert abs(fast_q.bcubed_f1 - slow_q.bcubed_f1) < 0.01
    between = m.evaluate_clusters(result.clusters.assignments, slow.clusters.assignments)
    assert between.bcubed_f1 > 0.98


def test_systems_as_arrow_columns_cluster_as_a_dict_does() -> None:
    """`checked_clustering` hands the records' systems over as Arrow columns; attachment
    (which needs them) and follow-up rounds decide exactly as with a plain dict."""
    from matching._clustering import SystemColumn

    records, _, _ = generate(seed=7)
    for r in records[::3]:  # sparse records: some are left alone, then attached
        r["tax_id"] = r["phone"] = r["website"] = r["email"] = None
    settings = m.default_matching_settings("customer")
    result = m.match_records(records, settings)
    table = m.normalise_records(records, settings)
    constraints = m.derive_constraints(table, settings)
    column = SystemColumn(table["unique_id"], table["system"])
    plain = dict(zip(table["unique_id"].to_pylist(), table["system"].to_pylist(), strict=True))
    assert dict(column) == plain and len(column) == len(plain)
    t = settings.thresholds
    runs = [
        m.cluster_records(
            table["unique_id"] if isinstance(systems, SystemColumn) else list(plain),
            result.pairs,
            constraints.must_links,
            constraints.cannot_links,
            t.auto_link,
            review_threshold=t.review,
            exclusive_keys=constraints.exclusive_keys,
            vetoes=result.vetoes,
            attach_threshold=t.attach,
            systems=systems,
        )
        for systems in (column, plain)
    ]
    assert runs[0].attached, "the set has lone records to attach"
    assert runs[0].assignments == runs[1].assignments
    assert runs[0].attached == runs[1].attached
    assert runs[0].review_pairs.equals(runs[1].review_pairs)
    region = set(list(plain)[:50])
    assert column.within(region) == {k: plain[k] for k in region}


def test_scoring_within_clusters_leaves_out_the_pairs_it_is_told_to_skip(data) -> None:
    """Pairs prediction scored already are not compared again: what is left is exactly
    the full scoring without them, with the same scores."""
    records, _, _, settings, result = data
    table = m.normalise_records(records, settings)
    full = m.score_within_clusters(result.model, table, result.clusters.assignments, min_size=2)
    skip = full.take(list(range(0, full.num_rows, 2)))  # every other pair
    assert 0 < skip.num_rows < full.num_rows
    rest = m.score_within_clusters(
        result.model, table, result.clusters.assignments, min_size=2, skip=skip
    )
    ids = ["unique_id_l", "unique_id_r"]
    skipped = set(zip(*(skip[c].to_pylist() for c in ids), strict=True))
    keep = pa.array(
        [(a, b) not in skipped for a, b in zip(*(full[c].to_pylist() for c in ids), strict=True)]
    )
    assert rest.equals(full.filter(keep))


def test_a_model_without_blocking_rules_scores_every_pair(data) -> None:
    """No blocking rule (all of them dropped for want of columns, say): every pair is
    compared, as Splink does, rather than an error from the one-pass scoring."""
    records, _, _, settings, result = data
    plain = settings.model_copy(update={"blocking_rules": ()})
    model = m.MatchingModel(
        plain,
        {**result.model.splink_settings, "blocking_rules_to_generate_predictions": []},
        result.model.version,
    )
    table = m.normalise_records(records[:40], plain)
    pairs = m.predict_pairs(model, table, threshold=0.0)
    assert pairs.num_rows == 40 * 39 // 2
