"""Pairwise and B-cubed metrics on hand-made clusterings."""

from __future__ import annotations

import pytest

from matching import evaluate_clusters


def test_perfect_clustering() -> None:
    truth = {"a": "E1", "b": "E1", "c": "E2"}
    m = evaluate_clusters({"a": "a", "b": "a", "c": "c"}, truth)
    assert (m.pairwise_f1, m.bcubed_f1) == (1.0, 1.0)
    assert (m.wrongly_merged, m.wrongly_split) == ({}, {})


def test_over_merge() -> None:
    truth = {"a": "E1", "b": "E1", "c": "E2"}
    m = evaluate_clusters({"a": "a", "b": "a", "c": "a"}, truth)
    assert m.pairwise_precision == pytest.approx(1 / 3)
    assert m.pairwise_recall == 1.0
    assert m.bcubed_precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)
    assert m.bcubed_recall == 1.0
    assert m.wrongly_merged == {"a": {"E1": ["a", "b"], "E2": ["c"]}}


def test_split_and_missing_ids_count_as_singletons() -> None:
    truth = {"a": "E1", "b": "E1", "c": "E1", "d": "E2"}
    m = evaluate_clusters({"a": "a", "b": "a", "d": "d", "zz": "zz"}, truth)
    assert m.pairwise_precision == 1.0
    assert m.pairwise_recall == pytest.approx(1 / 3)
    assert m.bcubed_recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert m.wrongly_split == {"E1": {"a": ["a", "b"], "c": ["c"]}}
