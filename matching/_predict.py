"""Prediction: score candidate pairs with a trained model, in-process, and explain them.

All systems are matched at once (a `dedupe_only` run over the concatenated records, each
carrying its `system`). Each output pair carries a JSON explanation naming, per
comparison, the level that fired and its match weight (log2 Bayes factor, including the
term-frequency adjustment), so a steward can see why two records were linked.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from splink.internals.blocking import BlockingRule
from splink.internals.comparison_vector_values import (
    compute_comparison_vector_values_from_id_pairs_sqls,
)
from splink.internals.linker import Linker
from splink.internals.pipeline import CTEPipeline
from splink.internals.predict import predict_from_comparison_vectors_sqls_using_settings
from splink.internals.splink_dataframe import SplinkDataFrame
from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

from matching._comparisons import PARTIAL_DISAGREEMENT, PARTIAL_LEVELS, PROVENANCE_BUILDERS
from matching._engine import make_db_api
from matching._model import MatchingModel, model_columns
from matching._normalise import ensure_normalised
from matching._splink import quiet_splink

PAIR_SCHEMA = pa.schema(
    [
        ("unique_id_l", pa.string()),
        ("unique_id_r", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("strongest_against", pa.float64()),
        ("explanation", pa.string()),
    ]
)


def _linker(
    model: MatchingModel,
    tables: list[pa.Table],
    connection: Any,
    frequencies: Mapping[str, pa.Table] | None = None,
) -> tuple[Linker, list[SplinkDataFrame]]:
    """A linker over tables[0]; every table is registered in the same database, and the
    given term-frequency tables are used instead of frequencies over tables[0]."""
    settings = copy.deepcopy(model.splink_settings)
    settings["retain_matching_columns"] = True  # the gamma (level) columns
    settings["retain_intermediate_calculation_columns"] = True  # per-comparison weights
    db_api = make_db_api(model.settings.engine, connection)
    cols = model_columns(settings)
    frames = [db_api.register(t.select([c for c in cols if c in t.column_names])) for t in tables]
    linker = Linker(frames[0], settings, log_level=None, validate_settings=False)  # see train_model
    for col, lookup in (frequencies or {}).items():
        linker.table_management.register_term_frequency_lookup(db_api.register(lookup), col)
    return linker, frames


def _level_labels(linker: Linker) -> dict[str, dict[int, str]]:
    return {
        c.output_column_name: {
            lv.comparison_vector_value: lv.label_for_charts for lv in c.comparison_levels
        }
        for c in linker._settings_obj.comparisons
    }


def _weight_sql(name: str, columns: list[str]) -> str:
    tf = f" + coalesce(mw_tf_adj_{name}, 0)" if f"mw_tf_adj_{name}" in columns else ""
    return f"(mw_{name}{tf})"


def _explanation_sql(linker: Linker, columns: list[str]) -> str:
    parts = []
    for name, labels in _level_labels(linker).items():
        whens = " ".join(
            f"WHEN {v} THEN '{lab.replace(chr(39), chr(39) * 2)}'" for v, lab in labels.items()
        )
        weight = _weight_sql(name, columns)
        parts.append(
            f"'{name}', json_object('level', CASE gamma_{name} {whens} END, "
            f"'weight', round({weight}, 3), 'bayes_factor', round(pow(2, {weight}), 4))"
        )
    return "json_object(" + ", ".join(parts) + ")::VARCHAR"


def _against_sql(model: MatchingModel, linker: Linker, columns: list[str]) -> str:
    """The strongest disagreement in a pair, as a weight (0 when nothing disagrees): the
    most negative comparison weight, where a partial agreement such as "other street,
    same postcode" counts as `PARTIAL_DISAGREEMENT` whatever its weight. A pair that is
    weak only for want of data has 0."""
    labels = _level_labels(linker)
    terms = []
    for spec in model.settings.comparisons:
        name = spec.output_name
        if spec.builder in PROVENANCE_BUILDERS or name not in labels:
            continue
        partial = [v for v, lab in labels[name].items() if (spec.builder, lab) in PARTIAL_LEVELS]
        weight = _weight_sql(name, columns)
        terms.append(
            f"CASE WHEN gamma_{name} IN ({', '.join(map(str, partial))}) "
            f"THEN least({weight}, {PARTIAL_DISAGREEMENT}) ELSE {weight} END"
            if partial
            else weight
        )
    return "least(0.0, " + ", ".join(terms) + ")::DOUBLE"


def _public_columns_sql(
    model: MatchingModel, linker: Linker, columns: list[str], source: str, *, explain: bool
) -> str:
    """The public pair columns from Splink's predictions in `source`, lower id on the
    left, sorted for determinism (without `explain`, the explanation column is null: it
    is most of the cost)."""
    return f"""
        SELECT least(unique_id_l, unique_id_r) AS unique_id_l,
               greatest(unique_id_l, unique_id_r) AS unique_id_r,
               match_probability::DOUBLE AS match_probability,
               match_weight::DOUBLE AS match_weight,
               {_against_sql(model, linker, columns)} AS strongest_against,
               {_explanation_sql(linker, columns) if explain else "NULL::VARCHAR"} AS explanation
        FROM {source}
        ORDER BY unique_id_l, unique_id_r
    """


def _finish(
    model: MatchingModel,
    linker: Linker,
    predictions: list[SplinkDataFrame],
    *,
    explain: bool = True,
) -> pa.Table:
    """The public pair columns of materialised Splink predictions (see `_score`)."""
    if not predictions:
        return PAIR_SCHEMA.empty_table()
    columns = [c.unquote().name for c in predictions[0].columns]
    union = " UNION ALL ".join(f"SELECT * FROM {p.physical_name}" for p in predictions)
    sql = _public_columns_sql(model, linker, columns, f"({union})", explain=explain)
    out = linker.misc.query_sql(sql, output_type="splink_df").as_pyarrow_table()
    return out.cast(PAIR_SCHEMA)


def _blocked_pairs(linker: Linker, frame: SplinkDataFrame) -> SplinkDataFrame:
    """The candidate pairs of a `dedupe_only` model's blocking rules, as Splink's
    `__splink__blocked_id_pairs` (match_key = the first rule that finds the pair,
    join_key_l < join_key_r), built the cheap way on DuckDB.

    Splink writes one join per rule that excludes, pair by pair, everything the earlier
    rules found (rule k evaluates the k - 1 earlier conditions on each of its pairs). Here
    each rule's join yields integer row numbers only, and one GROUP BY keeps each pair
    once with the lowest rule number: the same pairs and keys (the rows are numbered in
    unique_id order, so `l < r` means the same), at about a third less time with the
    fifteen default rules at a million records. Other engines and link types keep
    Splink's own blocking.
    """
    settings = linker._settings_obj
    rules = settings._blocking_rules_to_generate_predictions
    uid = settings.column_info_settings.unique_id_input_column.name
    joins = " UNION ALL ".join(
        f"SELECT {k}::INTEGER AS k, l.{_ROW} AS li, r.{_ROW} AS ri FROM {_RANKED} AS l "
        f"JOIN {_RANKED} AS r ON ({rule.blocking_rule_sql}) WHERE l.{_ROW} < r.{_ROW}"
        for k, rule in enumerate(rules)
    )
    pipeline = CTEPipeline()
    pipeline.enqueue_sql(
        f"SELECT *, (row_number() OVER (ORDER BY {uid}))::INTEGER AS {_ROW} "
        f"FROM {frame.physical_name}",
        _RANKED,
    )
    pipeline.enqueue_sql(
        f"SELECT min(k) AS k, li, ri FROM ({joins}) GROUP BY li, ri", "__mdm_blocked_rows"
    )
    pipeline.enqueue_sql(
        f"SELECT p.k::VARCHAR AS match_key, l.{uid} AS join_key_l, r.{uid} AS join_key_r "
        f"FROM __mdm_blocked_rows AS p JOIN {_RANKED} AS l ON l.{_ROW} = p.li "
        f"JOIN {_RANKED} AS r ON r.{_ROW} = p.ri",
        "__splink__blocked_id_pairs",
    )
    return linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)


_RANKED = "__mdm_ranked"
_ROW = "__mdm_row"


def _without(linker: Linker, blocked: SplinkDataFrame, skip: SplinkDataFrame) -> SplinkDataFrame:
    """`blocked` (join_key_l < join_key_r, as both blockings give it) less the pairs of
    `skip`; the unfiltered table is dropped."""
    pipeline = CTEPipeline()
    pipeline.enqueue_sql(
        f"SELECT b.* FROM {blocked.physical_name} AS b WHERE NOT EXISTS (SELECT 1 FROM "
        f"{skip.physical_name} AS s WHERE s.unique_id_l = b.join_key_l "
        "AND s.unique_id_r = b.join_key_r)",
        "__splink__blocked_id_pairs",
    )
    try:
        return linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
    finally:
        blocked.drop_table_from_database_and_remove_from_cache()


def _own_blocking(model: MatchingModel, linker: Linker) -> bool:
    settings = linker._settings_obj
    rules = settings._blocking_rules_to_generate_predictions
    return (  # no rule at all: Splink compares every pair, and so does its blocking
        model.settings.engine == "duckdb"
        and settings._link_type == "dedupe_only"
        and bool(rules)
        and all(type(r) is BlockingRule for r in rules)
    )


def _score(
    model: MatchingModel,
    linker: Linker,
    frame: SplinkDataFrame,
    *,
    threshold: float | None = None,
    explain: bool = True,
    skip: SplinkDataFrame | None = None,
) -> pa.Table:
    """Block, compare, score and select the public columns in one pipeline, so only the
    public columns are ever materialised (Splink's `predict` keeps every compared column
    of both records, about 60 strings per pair here, to be read again and thrown away).
    Pairs in `skip` (unique_id_l < unique_id_r) are left out before they are compared."""
    settings = linker._settings_obj
    if _own_blocking(model, linker):
        blocked = _blocked_pairs(linker, frame)
    else:
        blocked = linker.inference.compute_blocked_pairs_for_predict()
    if skip is not None:
        blocked = _without(linker, blocked, skip)
    try:
        pipeline = CTEPipeline([blocked])
        enqueue_df_concat_with_tf(linker, pipeline)
        pipeline.enqueue_list_of_sqls(
            compute_comparison_vector_values_from_id_pairs_sqls(
                settings._columns_to_select_for_blocking,
                settings._columns_to_select_for_comparison_vector_values,
                input_tablename_l="__splink__df_concat_with_tf",
                input_tablename_r="__splink__df_concat_with_tf",
                source_dataset_input_column=settings.column_info_settings.source_dataset_input_column,
                unique_id_input_column=settings.column_info_settings.unique_id_input_column,
                link_type=settings._link_type,
                sql_dialect_str=linker._sql_dialect_str,
            )
        )
        pipeline.enqueue_list_of_sqls(
            predict_from_comparison_vectors_sqls_using_settings(settings, threshold, None)
        )
        columns = [c for cc in settings.comparisons for c in cc._match_weight_columns_to_sum]
        pipeline.enqueue_sql(
            _public_columns_sql(model, linker, columns, "__splink__df_predict", explain=explain),
            "__mdm_pairs",
        )
        scored = linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
        try:
            return scored.as_pyarrow_table().cast(PAIR_SCHEMA)
        finally:
            scored.drop_table_from_database_and_remove_from_cache()
    finally:
        blocked.drop_table_from_database_and_remove_from_cache()


def predict_pairs(
    model: MatchingModel,
    records: pa.Table,
    *,
    threshold: float | None = None,
    connection: Any = None,
) -> pa.Table:
    """Score all candidate pairs among `records` (all systems at once).

    Returns unique_id_l < unique_id_r, match_probability, match_weight, strongest_against,
    explanation (JSON), for pairs with probability >= `threshold` (default: the lowest
    threshold the settings decide on, see `Thresholds.scoring_floor`).
    """
    table = ensure_normalised(records, model.settings)
    cut = model.settings.thresholds.scoring_floor if threshold is None else threshold
    with quiet_splink():
        linker, frames = _linker(model, [table], connection)
        return _score(model, linker, frames[0], threshold=cut)


def term_frequencies(
    model: MatchingModel, records: pa.Table, *, connection: Any = None
) -> dict[str, pa.Table]:
    """The model's term-frequency tables over `records` (column -> value, tf_column), as
    Splink computes them, for scoring a subset of the records later against the
    frequencies of the whole (see `score_within_clusters`)."""
    columns = _tf_columns(model)
    if not columns:
        return {}
    table = ensure_normalised(records, model.settings)
    with quiet_splink():
        linker, _ = _linker(model, [table], connection)
        return {
            col: linker.table_management.compute_tf_table(col).as_pyarrow_table() for col in columns
        }


def score_within_clusters(
    model: MatchingModel,
    records: pa.Table,
    assignments: Mapping[str, str],
    *,
    min_size: int = 3,
    connection: Any = None,
    frequencies: Mapping[str, pa.Table] | None = None,
    explain: bool = True,
    skip: pa.Table | None = None,
) -> pa.Table:
    """Score every pair of records that share a cluster of at least `min_size` members.

    Clustering links records through chains; this asks the model about the pairs the
    chains implied but blocking never compared (or scored below the review threshold).
    Term frequencies still come from all `records` (or are the given `frequencies`, from
    `term_frequencies` over the same records); only the grouped records are read. Same
    output shape as `predict_pairs`, with no probability cut-off; without `explain`, the
    explanation column is null. Pairs of `skip` (unique_id_l < unique_id_r, say those
    `predict_pairs` scored already, against the same frequencies) are not scored again
    and not returned.
    """
    sizes = Counter(assignments.values())
    grouped = {uid: key for uid, key in assignments.items() if sizes[key] >= min_size}
    if not grouped:
        return PAIR_SCHEMA.empty_table()
    table = ensure_normalised(records, model.settings)
    if frequencies is None:
        frequencies = term_frequencies(model, table, connection=connection)
    uids = pa.array(list(grouped), pa.string())
    table = table.filter(pc.is_in(table["unique_id"], value_set=uids))
    where = pc.index_in(table["unique_id"], value_set=uids)
    table = table.append_column(_GROUP, pa.array(list(grouped.values()), pa.string()).take(where))
    settings = copy.deepcopy(model.splink_settings)
    settings["blocking_rules_to_generate_predictions"] = [f"l.{_GROUP} = r.{_GROUP}"]
    within = MatchingModel(model.settings, settings, model.version)
    with quiet_splink():
        linker, frames = _linker(within, [table], connection, frequencies)
        known = None
        if skip is not None and skip.num_rows:
            known = linker._db_api.register(skip.select(["unique_id_l", "unique_id_r"]))
        return _score(within, linker, frames[0], explain=explain, skip=known)


_GROUP = "cluster_group"


def match_new_records(
    model: MatchingModel,
    existing: pa.Table,
    new: pa.Table,
    *,
    threshold: float | None = None,
    connection: Any = None,
) -> pa.Table:
    """Score a few new records against the existing ones and among themselves.

    Existing-existing pairs are not scored (they were decided before); term frequencies
    come from existing + new together. Same output shape as `predict_pairs`.
    """
    old = ensure_normalised(existing, model.settings)
    fresh = ensure_normalised(new, model.settings)
    cut = model.settings.thresholds.scoring_floor if threshold is None else threshold
    with quiet_splink():
        combined = pa.concat_tables([old, fresh], promote_options="default")
        linker, frames = _linker(model, [combined, old, fresh], connection)
        _, old_sdf, new_sdf = frames
        for col in _tf_columns(model):
            linker.table_management.compute_tf_table(col)
        between = linker.inference.predict_between(
            old_sdf, new_sdf, threshold_match_probability=cut, warning_mode="never"
        )
        within = linker.inference.predict_within(
            new_sdf, threshold_match_probability=cut, warning_mode="never"
        )
        return _finish(model, linker, [between, within])


def _tf_columns(model: MatchingModel) -> list[str]:
    return sorted(
        {
            lv["tf_adjustment_column"]
            for c in model.splink_settings["comparisons"]
            for lv in c["comparison_levels"]
            if lv.get("tf_adjustment_column")
        }
    )
