"""Trained matching models: Splink settings built from `MatchingSettings`, trained without
labels, serialised as JSON with a content-hash version id.

Training is unsupervised and seeded: u-probabilities from a random sample of record
pairs, the prior match rate from deterministic rules (identifier equality and
name-plus-locality), then EM on several blocking rules, each of which re-estimates the
comparisons it does not block on. The version id is a hash of the trained parameters, so
every match decision can record exactly which model made it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from splink.internals.exceptions import SplinkException
from splink.internals.linker import Linker

from matching._comparisons import WEIGHT_CAPS, build_comparison, columns_used
from matching._engine import make_db_api
from matching._normalise import REQUIRED_COLUMNS
from matching._settings import BlockingRule, MatchingSettings
from matching._splink import quiet_splink, rule_sql, usable_rules

logger = logging.getLogger(__name__)
_FLOOR = 1e-6


@dataclass(frozen=True)
class MatchingModel:
    """A trained model: matching settings + Splink settings dict, with its version id."""

    settings: MatchingSettings
    splink_settings: dict[str, Any]
    version: str

    def to_json(self) -> str:
        """Serialise (settings, Splink model, version) as one JSON document."""
        return json.dumps(
            {
                "version": self.version,
                "settings": self.settings.model_dump(mode="json"),
                "splink_settings": self.splink_settings,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> MatchingModel:
        """Load a model saved by `to_json`; the version is recomputed and checked."""
        doc = json.loads(text)
        clean = _round({k: v for k, v in doc["splink_settings"].items() if k != "linker_uid"})
        # The hash is over the settings as saved: settings keys added by a later release
        # (with their defaults) do not orphan models trained before it.
        if _version(doc["settings"], clean) != doc["version"]:
            raise ValueError(f"model content does not match its version {doc['version']}")
        return cls(MatchingSettings.model_validate(doc["settings"]), clean, doc["version"])

    @property
    def comparison_names(self) -> list[str]:
        return [c["output_column_name"] for c in self.splink_settings["comparisons"]]


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def make_model(settings: MatchingSettings, splink_settings: dict[str, Any]) -> MatchingModel:
    """Wrap a Splink settings dict; parameters are rounded so the hash is stable."""
    clean = _round({k: v for k, v in splink_settings.items() if k != "linker_uid"})
    return MatchingModel(settings, clean, _version(settings.model_dump(mode="json"), clean))


def _version(settings: dict[str, Any], splink_settings: dict[str, Any]) -> str:
    payload = json.dumps({"s": settings, "m": splink_settings}, sort_keys=True)
    return "m-" + hashlib.sha256(payload.encode()).hexdigest()[:16]


def splink_settings_for(settings: MatchingSettings, columns: list[str]) -> dict[str, Any]:
    """The untrained Splink settings dict for the columns present in the data."""
    comparisons = [c for c in (build_comparison(s, columns) for s in settings.comparisons) if c]
    if not comparisons:
        raise ValueError(f"no comparison can be built from the columns present: {sorted(columns)}")
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            rule_sql(r) for r in usable_rules(settings.blocking_rules, columns)
        ],
        "probability_two_random_records_match": 1e-4,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "max_iterations": settings.training.max_iterations,
        "em_convergence": 1e-4,
    }


def model_columns(splink_settings: dict[str, Any]) -> list[str]:
    """Input columns a Splink settings dict reads (comparisons, tf, blocking)."""
    cols: set[str] = set(REQUIRED_COLUMNS)
    for comp in splink_settings["comparisons"]:
        for level in comp["comparison_levels"]:
            cols |= columns_used(level["sql_condition"])
            if level.get("tf_adjustment_column"):
                cols.add(level["tf_adjustment_column"])
    for rule in splink_settings["blocking_rules_to_generate_predictions"]:
        cols |= columns_used(rule["blocking_rule"] if isinstance(rule, dict) else rule)
    return sorted(cols)


def train_model(table: pa.Table, settings: MatchingSettings) -> MatchingModel:
    """Train on a normalised table (see `normalise_records`); deterministic for one input."""
    untrained = splink_settings_for(settings, table.column_names)
    data = table.select([c for c in model_columns(untrained) if c in table.column_names])
    db_api = make_db_api(settings.engine)
    with quiet_splink():
        # validate_settings=False: Splink's column checks only log (and cost 0.4 s a linker at
        # 1M records); `splink_settings_for` builds comparisons only from present columns.
        linker = Linker(db_api.register(data), untrained, log_level=None, validate_settings=False)
        _estimate_prior(linker, settings, data)
        linker.training.estimate_u_using_random_sampling(
            max_pairs=settings.training.u_max_pairs, seed=settings.training.seed
        )
        for rule in usable_rules(settings.training.em_blocking_rules, data.column_names):
            _em(linker, rule, settings)
        trained = linker.misc.save_model_to_json()
    n = data.num_rows
    sampled = min(settings.training.u_max_pairs, n * (n - 1) / 2)
    return make_model(settings, _sanitise(trained, untrained, sampled))


def _estimate_prior(linker: Linker, settings: MatchingSettings, data: pa.Table) -> None:
    rules = [
        rule_sql(r) for r in usable_rules(settings.training.deterministic_rules, data.column_names)
    ]
    n = max(data.num_rows, 2)
    fallback = min(0.5, 1.0 / n)  # about one duplicate per record, if nothing better
    if rules:
        try:
            linker.training.estimate_probability_two_random_records_match(
                rules, recall=settings.training.deterministic_recall
            )
        except (ValueError, SplinkException) as exc:
            logger.info("prior match rate: deterministic rules unusable (%s)", exc)
    current = linker._settings_obj._probability_two_random_records_match
    if not current or current <= 0 or current >= 1:
        linker._settings_obj._probability_two_random_records_match = fallback


def _em(linker: Linker, rule: BlockingRule, settings: MatchingSettings) -> None:
    """One EM session; on failure (too few pairs, an m underflowing to 0) the model is
    restored to its state before the session and training moves on."""
    saved = copy.deepcopy(linker._settings_obj.core_model_settings)
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule_sql(rule),
            max_pairs=settings.training.em_max_pairs,
            estimate_without_term_frequencies=not settings.training.em_term_frequencies,
        )
    except (SplinkException, ValueError, ZeroDivisionError) as exc:
        linker._settings_obj.core_model_settings = saved
        logger.info("EM on %s skipped: %s", rule, exc)


def _sanitise(
    trained: dict[str, Any], untrained: dict[str, Any], sampled_pairs: float
) -> dict[str, Any]:
    """Regularise what training produced.

    u is a share of `sampled_pairs` random pairs; it is blended with its prior as if the
    prior had been seen in `_U_PRIOR_PAIRS` pairs, so a handful of records (ten pairs, in
    which one shared name is a u of 0.1) cannot talk the model out of what it knows.

    Parameters training could not estimate keep their priors. EM on a small or skewed
    block happily drives an m-probability to zero ("no match ever differs in country"),
    which would make one typo veto a match; so m is kept above a quarter of its prior.
    u is kept above a small floor; then the weight caps apply.
    """
    for comp, prior in zip(trained["comparisons"], untrained["comparisons"], strict=True):
        for level, prior_level in zip(
            comp["comparison_levels"], prior["comparison_levels"], strict=True
        ):
            if level.get("is_null_level"):
                continue
            for key in ("m_probability", "u_probability"):
                if not isinstance(level.get(key), (int, float)):
                    level[key] = prior_level[key]
            level["m_probability"] = max(
                float(level["m_probability"]), _M_FLOOR_SHARE * prior_level["m_probability"]
            )
            level["u_probability"] = (
                sampled_pairs * float(level["u_probability"])
                + _U_PRIOR_PAIRS * prior_level["u_probability"]
            ) / (sampled_pairs + _U_PRIOR_PAIRS)
            level["u_probability"] = min(max(float(level["u_probability"]), _FLOOR), 1.0)
    return apply_weight_caps(trained)


def apply_weight_caps(splink_settings: dict[str, Any]) -> dict[str, Any]:
    """Bound weak levels' weights (see `WEIGHT_CAPS`), keeping each level's evidence intact.

    A positive cap (an agreement that must not count for much) raises the level's u, and
    the other levels' u share what is left; a negative cap (a disagreement that must count
    at least this much against) lowers the level's m, and the other levels' m share the
    rest. Lowering m for a positive cap instead would hand its mass to the disagreement
    level and make disagreeing almost free.
    """
    for comp in splink_settings["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            cap = WEIGHT_CAPS.get((comp["output_column_name"], level["label_for_charts"]))
            if cap is None or level["m_probability"] <= level["u_probability"] * 2**cap:
                continue
            key, value = (
                ("u_probability", level["m_probability"] / 2**cap)
                if cap >= 0
                else ("m_probability", level["u_probability"] * 2**cap)
            )
            _set_and_rebalance(levels, level, key, min(value, 0.999))
        total = sum(lv["m_probability"] for lv in levels)
        for level in levels:  # m over a comparison's levels is a distribution
            level["m_probability"] = level["m_probability"] / total
    return splink_settings


def _set_and_rebalance(
    levels: list[dict[str, Any]], level: dict[str, Any], key: str, value: float
) -> None:
    """Set one level's probability and scale the others' so they still sum to one."""
    others = [lv for lv in levels if lv is not level]
    total = sum(lv[key] for lv in others)
    level[key] = value
    if total > 0:
        for other in others:
            other[key] = other[key] * (1.0 - value) / total


_M_FLOOR_SHARE = 0.25
_U_PRIOR_PAIRS = 10_000.0
