"""Refining a trained model with steward labels.

Unsupervised m-probabilities are estimates; pairs a steward has confirmed as matches are
direct observations of them. Each comparison's m distribution is updated as a Bayesian
blend: the labelled level counts plus the current m values weighted as `prior_strength`
pseudo-pairs, so a handful of labels nudges the model and many labels dominate it.
Non-match labels are not used for u (random sampling estimates u better) but are
checked, like the matches, to exist in `records`.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from matching._model import MatchingModel, apply_weight_caps, make_model
from matching._normalise import ensure_normalised
from matching._predict import _linker
from matching._splink import quiet_splink


def _labelled_matches(labelled_pairs: Iterable[Sequence[Any]] | pa.Table) -> list[tuple[str, str]]:
    rows: Iterable[Any] = (
        labelled_pairs.to_pylist() if isinstance(labelled_pairs, pa.Table) else labelled_pairs
    )
    out = []
    for row in rows:
        if isinstance(row, Mapping):
            a, b, is_match = row["unique_id_l"], row["unique_id_r"], row["is_match"]
        else:
            a, b, is_match = row
        if is_match and a != b:
            out.append((min(str(a), str(b)), max(str(a), str(b))))
    return sorted(set(out))


def _level_counts(
    model: MatchingModel, table: pa.Table, pairs: list[tuple[str, str]]
) -> dict[str, Counter[int]]:
    with quiet_splink():
        linker, frames = _linker(model, [table], None)
        blocked = frames[0].db_api.register(
            pa.table(
                {
                    "match_key": ["0"] * len(pairs),
                    "join_key_l": [a for a, _ in pairs],
                    "join_key_r": [b for _, b in pairs],
                }
            )
        )
        linker.table_management.register_blocked_pairs_for_predict(blocked)
        scored = linker.inference.predict(warning_mode="never").as_pyarrow_table()
    names = model.comparison_names
    return {n: Counter(scored[f"gamma_{n}"].to_pylist()) for n in names}


def refine_with_labels(
    model: MatchingModel,
    labelled_pairs: Iterable[Sequence[Any]] | pa.Table,
    records: pa.Table | Sequence[Mapping[str, Any]],
    *,
    prior_strength: float = 50.0,
) -> MatchingModel:
    """A new model whose m-probabilities include the labelled matches.

    `labelled_pairs`: (id_a, id_b, is_match) tuples, or a table with unique_id_l,
    unique_id_r, is_match. `records` must contain every labelled id.
    """
    matches = _labelled_matches(labelled_pairs)
    if not matches:
        return model
    table = ensure_normalised(records, model.settings)
    known = set(table["unique_id"].to_pylist())
    missing = {i for pair in matches for i in pair} - known
    if missing:
        raise ValueError(f"labelled ids not in records: {sorted(missing)[:5]}")
    counts = _level_counts(model, table, matches)
    settings = copy.deepcopy(model.splink_settings)
    for comp in settings["comparisons"]:
        observed = counts[comp["output_column_name"]]
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        n = sum(observed[v] for v in range(len(levels)))
        for value, level in zip(range(len(levels) - 1, -1, -1), levels, strict=True):
            prior = level["m_probability"] * prior_strength
            level["m_probability"] = max((observed[value] + prior) / (n + prior_strength), 1e-6)
    return make_model(model.settings, apply_weight_caps(settings))
