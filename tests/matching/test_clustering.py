"""Constrained clustering: thresholds, must-links, cannot-links through chains, determinism."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import cluster_records


def _pair(a: str, b: str, p: float) -> dict:
    return {"unique_id_l": min(a, b), "unique_id_r": max(a, b), "match_probability": p}


def test_threshold_must_links_and_review_band() -> None:
    ids = ["a", "b", "c", "d", "e"]
    pairs = [_pair("a", "b", 0.99), _pair("b", "c", 0.7), _pair("d", "e", 0.2)]
    result = cluster_records(ids, pairs, must_links=[("d", "e", "same LEI")],
                             auto_link_threshold=0.95, review_threshold=0.5)
    assert result.assignments == {"a": "a", "b": "a", "c": "c", "d": "d", "e": "d"}
    review = result.review_pairs.to_pylist()
    assert [(r["unique_id_l"], r["unique_id_r"], r["reason"]) for r in review] == [
        ("b", "c", "review_band")]


def test_chain_cannot_join_a_cannot_link_pair_weakest_edge_breaks() -> None:
    ids = ["a", "b", "c"]
    pairs = [_pair("a", "b", 0.999), _pair("b", "c", 0.97)]
    result = cluster_records(ids, pairs, cannot_links=[("a", "c")], auto_link_threshold=0.95)
    assert result.assignments == {"a": "a", "b": "a", "c": "c"}
    assert result.review_pairs.to_pylist()[0]["reason"] == "refused_by_constraint"


def test_exclusive_keys_block_through_chains() -> None:
    ids = ["x", "y", "z"]
    pairs = [_pair("x", "y", 0.99), _pair("y", "z", 0.999)]
    keys = {"x": ["tax_id:GB=GB1"], "z": ["tax_id:GB=GB2"]}
    result = cluster_records(ids, pairs, auto_link_threshold=0.9, exclusive_keys=keys)
    assert result.assignments["y"] == result.assignments["z"] != result.assignments["x"]


def test_must_link_refused_when_it_contradicts_a_cannot_link() -> None:
    result = cluster_records(["a", "b"], [], must_links=[("a", "b")], cannot_links=[("a", "b")])
    assert result.assignments == {"a": "a", "b": "b"}
    assert result.refused_must_links == (("a", "b", "cannot-link"),)


@st.composite
def _graphs(draw):
    n = draw(st.integers(2, 14))
    ids = [f"r{i:02d}" for i in range(n)]
    pair_idx = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(
        lambda t: t[0] != t[1])
    edges = draw(st.lists(st.tuples(pair_idx, st.floats(0.0, 1.0)), max_size=40))
    cannot = draw(st.lists(pair_idx, max_size=6))
    must = draw(st.lists(pair_idx, max_size=4))
    pairs = [_pair(ids[a], ids[b], p) for (a, b), p in edges]
    return ids, pairs, [(ids[a], ids[b]) for a, b in cannot], [(ids[a], ids[b]) for a, b in must]


@settings(max_examples=150, deadline=None)
@given(_graphs())
def test_no_cannot_link_pair_ever_shares_a_cluster(graph) -> None:
    ids, pairs, cannot, must = graph
    result = cluster_records(ids, pairs, must, cannot, auto_link_threshold=0.5)
    for a, b in cannot:
        assert result.assignments[a] != result.assignments[b]
    refused = {(a, b) for a, b, _ in result.refused_must_links}
    for a, b in must:
        if (min(a, b), max(a, b)) not in refused:
            assert result.assignments[a] == result.assignments[b]
    for uid, key in result.assignments.items():  # key is the smallest member id
        assert key <= uid and result.assignments[key] == key


@settings(max_examples=60, deadline=None)
@given(_graphs(), st.randoms(use_true_random=False))
def test_same_input_in_any_order_gives_same_clusters(graph, rnd: random.Random) -> None:
    ids, pairs, cannot, must = graph
    first = cluster_records(ids, pairs, must, cannot, auto_link_threshold=0.5)
    shuffled = [dict(p) for p in pairs]
    rnd.shuffle(shuffled)
    ids2, must2, cannot2 = ids[:], [(b, a) for a, b in must], cannot[::-1]
    rnd.shuffle(ids2)
    second = cluster_records(ids2, shuffled, must2, cannot2, auto_link_threshold=0.5)
    assert first.assignments == second.assignments
