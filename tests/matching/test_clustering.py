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
    result = cluster_records(
        ids,
        pairs,
        must_links=[("d", "e", "same LEI")],
        auto_link_threshold=0.95,
        review_threshold=0.5,
    )
    assert result.assignments == {"a": "a", "b": "a", "c": "c", "d": "d", "e": "d"}
    review = result.review_pairs.to_pylist()
    assert [(r["unique_id_l"], r["unique_id_r"], r["reason"]) for r in review] == [
        ("b", "c", "review_band")
    ]


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
        lambda t: t[0] != t[1]
    )
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


def _scored(a: str, b: str, p: float, against: float = 0.0) -> dict:
    return {**_pair(a, b, p), "strongest_against": against}


def test_a_veto_stops_a_chain_but_not_a_must_link() -> None:
    ids = ["crm|a", "crm|b", "psa|x"]
    pairs = [_pair("crm|a", "psa|x", 0.99), _pair("crm|b", "psa|x", 0.98)]
    chained = cluster_records(ids, pairs, auto_link_threshold=0.95)
    assert len(set(chained.assignments.values())) == 1
    vetoed = cluster_records(ids, pairs, auto_link_threshold=0.95, vetoes=[("crm|a", "crm|b")])
    assert vetoed.assignments["crm|a"] != vetoed.assignments["crm|b"]
    linked = cluster_records(ids, [], must_links=[("crm|a", "crm|b")], vetoes=[("crm|a", "crm|b")])
    assert linked.assignments["crm|a"] == linked.assignments["crm|b"]


def test_a_record_pulled_equally_towards_two_forbidden_clusters_joins_neither() -> None:
    ids = ["crm|a", "crm|b", "psa|x"]
    pairs = [_pair("crm|a", "psa|x", 0.97), _pair("crm|b", "psa|x", 0.97)]
    result = cluster_records(
        ids, pairs, cannot_links=[("crm|a", "crm|b")], auto_link_threshold=0.95
    )
    assert result.ambiguous == ("psa|x",)
    assert len(set(result.assignments.values())) == 3
    assert {r["reason"] for r in result.review_pairs.to_pylist()} == {"ambiguous"}
    clear = cluster_records(
        ids,
        [_pair("crm|a", "psa|x", 0.99999), _pair("crm|b", "psa|x", 0.96)],
        cannot_links=[("crm|a", "crm|b")],
        auto_link_threshold=0.95,
    )
    assert clear.ambiguous == () and clear.assignments["psa|x"] == clear.assignments["crm|a"]


def test_a_lone_record_attaches_to_its_only_plausible_cluster() -> None:
    ids = ["crm|a", "erp|a", "psa|x"]
    base = [_scored("crm|a", "erp|a", 0.999)]

    def cluster(extra: list[dict], **kwargs):  # noqa: ANN202 - a test shorthand
        return cluster_records(
            ids,
            base + extra,
            auto_link_threshold=0.95,
            attach_threshold=kwargs.pop("attach", 0.02),
            **kwargs,
        )

    sole = cluster([_scored("crm|a", "psa|x", 0.3)])
    assert sole.assignments["psa|x"] == "crm|a"
    assert sole.attached == (("psa|x", "crm|a", 0.3),)
    assert cluster([_scored("crm|a", "psa|x", 0.3)], attach=None).assignments["psa|x"] == "psa|x"
    assert cluster([_scored("crm|a", "psa|x", 0.01)]).assignments["psa|x"] == "psa|x"
    disagrees = cluster([_scored("crm|a", "psa|x", 0.3), _scored("erp|a", "psa|x", 0.03, -4.0)])
    assert disagrees.assignments["psa|x"] == "psa|x"


def test_attachment_needs_a_clear_winner_and_another_system() -> None:
    ids = ["crm|a", "crm|b", "psa|x", "psa|y"]
    pairs = [
        _scored("crm|a", "psa|x", 0.3),
        _scored("crm|b", "psa|x", 0.2),
        _scored("psa|x", "psa|y", 0.4),
    ]
    result = cluster_records(ids, pairs, auto_link_threshold=0.95, attach_threshold=0.02)
    assert len(set(result.assignments.values())) == 4 and result.attached == ()
    clear = cluster_records(
        ids,
        [_scored("crm|a", "psa|x", 0.6), _scored("crm|b", "psa|x", 0.001)],
        auto_link_threshold=0.95,
        attach_threshold=0.02,
    )
    assert clear.assignments["psa|x"] == "crm|a"


@settings(max_examples=100, deadline=None)
@given(_graphs(), st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)), max_size=5))
def test_attachment_and_vetoes_never_join_a_cannot_link_pair(graph, veto_idx) -> None:
    ids, pairs, cannot, must = graph
    ids = [f"s{i % 3}|{uid}" for i, uid in enumerate(ids)]
    rename = {uid.split("|")[1]: uid for uid in ids}
    pairs = [
        {
            **p,
            "unique_id_l": min(rename[p["unique_id_l"]], rename[p["unique_id_r"]]),
            "unique_id_r": max(rename[p["unique_id_l"]], rename[p["unique_id_r"]]),
        }
        for p in pairs
    ]
    cannot = [(rename[a], rename[b]) for a, b in cannot]
    vetoes = [(ids[a], ids[b]) for a, b in veto_idx if a < len(ids) and b < len(ids) and a != b]
    result = cluster_records(
        ids,
        pairs,
        [(rename[a], rename[b]) for a, b in must],
        cannot,
        auto_link_threshold=0.8,
        attach_threshold=0.05,
        vetoes=vetoes,
    )
    for a, b in cannot:
        assert result.assignments[a] != result.assignments[b]
    for x, partner, _ in result.attached:
        assert result.assignments[x] == result.assignments[partner]
        assert x.split("|")[0] != partner.split("|")[0]
