"""Deterministic evidence: must-links, cannot-links, exclusive keys and stale references.

Some facts need no model. Two records with the same valid LEI are one legal entity; two
with different valid VAT numbers of one country, or different valid LEIs, are not (those
are expressed as *exclusive keys* so clustering can enforce them through chains without
enumerating every pair); a record naming its parent company is not that parent. A record
that carries another system's id ("crm_ref") is the same entity as that record — unless
the referenced record is missing or contradicts it, in which case the reference is
reported as stale with the reason, for a steward to fix at source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz

from matching._normalise import ensure_normalised
from matching._settings import MatchingSettings, ReferenceSpec, default_matching_settings


class Link(NamedTuple):
    """A pair of record ids and why they are linked (or kept apart)."""

    a: str
    b: str
    reason: str


class StaleReference(NamedTuple):
    """A cross-system reference that was not used, and why ("missing", "contradicted: ...")."""

    unique_id: str
    column: str
    target: str
    reason: str


@dataclass(frozen=True)
class Constraints:
    """Input for `cluster_records`: links, exclusive keys, plus the stale references."""

    must_links: tuple[Link, ...]
    cannot_links: tuple[Link, ...]
    exclusive_keys: dict[str, tuple[str, ...]]
    stale_references: tuple[StaleReference, ...]

    def conflict(self, a: str, b: str) -> str | None:
        """Why records a and b may never share a cluster, or None."""
        for link in self.cannot_links:
            if {link.a, link.b} == {a, b}:
                return link.reason
        ka = dict(k.partition("=")[::2] for k in self.exclusive_keys.get(a, ()))
        for key in self.exclusive_keys.get(b, ()):
            ns, _, value = key.partition("=")
            if ka.get(ns, value) != value:
                return f"different {ns}"
        return None


_COMPARE = (
    "unique_id",
    "country",
    "tax_id_valid",
    "tax_id_country",
    "lei_valid",
    "name_core",
    "alt_name_core",
    "project_name_norm",
    "code_norm",
)


def _column(table: pa.Table, name: str) -> list[Any]:
    return table[name].to_pylist() if name in table.column_names else [None] * table.num_rows


def _exclusive_keys(table: pa.Table) -> dict[str, tuple[str, ...]]:
    keys: dict[str, list[str]] = {}
    for col, ns in (("lei_valid", None), ("tax_id_valid", "tax_id")):
        if col not in table.column_names:
            continue
        rows = table.filter(pc.is_valid(table[col]))
        countries = _column(rows, "tax_id_country")
        for uid, value, cc in zip(
            _column(rows, "unique_id"), _column(rows, col), countries, strict=True
        ):
            name = "lei" if ns is None else f"tax_id:{cc}"
            keys.setdefault(uid, []).append(f"{name}={value}")
    return {k: tuple(v) for k, v in keys.items()}


def _same_lei_links(table: pa.Table) -> list[Link]:
    if "lei_valid" not in table.column_names:
        return []
    rows = table.filter(pc.is_valid(table["lei_valid"])).select(["lei_valid", "unique_id"])
    groups = rows.group_by("lei_valid").aggregate([("unique_id", "list")])
    links = []
    for members in groups["unique_id_list"].to_pylist():
        first, *rest = sorted(members)
        links += [Link(first, other, "same LEI") for other in rest]
    return links


def _name_similarity(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    names_a = {a.get(k) for k in ("name_core", "alt_name_core", "project_name_norm")} - {None}
    names_b = {b.get(k) for k in ("name_core", "alt_name_core", "project_name_norm")} - {None}
    if not names_a or not names_b:
        return None
    return max(fuzz.token_set_ratio(x, y) for x in names_a for y in names_b) / 100


def contradiction(a: dict[str, Any], b: dict[str, Any], min_name_similarity: float) -> str | None:
    """The strongest reason records a and b cannot be one entity, if any."""
    for field, label in (("country", "country"), ("lei_valid", "lei"), ("code_norm", "code")):
        if a.get(field) and b.get(field) and a[field] != b[field]:
            return f"contradicted: {label}"
    if (
        a.get("tax_id_valid")
        and b.get("tax_id_valid")
        and a["tax_id_valid"] != b["tax_id_valid"]
        and a.get("tax_id_country") == b.get("tax_id_country")
    ):
        return "contradicted: tax_id"
    similarity = _name_similarity(a, b)
    if similarity is not None and similarity < min_name_similarity:
        return "contradicted: name"
    return None


def _references(
    table: pa.Table,
    spec: ReferenceSpec,
    min_sim: float,
) -> tuple[list[Link], list[Link], list[StaleReference]]:
    rows = table.filter(pc.is_valid(table[spec.column]))
    if rows.num_rows == 0:
        return [], [], []
    system = (
        pa.array([spec.system] * rows.num_rows, pa.string())
        if spec.system
        else pc.cast(rows["system"], pa.string())
    )
    targets = pc.binary_join_element_wise(system, pc.cast(rows[spec.column], pa.string()), "|")
    found = pc.index_in(targets, value_set=table["unique_id"].combine_chunks())
    cols = [c for c in _COMPARE if c in table.column_names]
    sources = rows.select(cols).to_pylist()
    hit = pc.is_valid(found)
    target_rows = iter(table.select(cols).take(pc.drop_null(found)).to_pylist())
    must, cannot, stale = [], [], []
    for src, target, ok in zip(sources, targets.to_pylist(), hit.to_pylist(), strict=True):
        if not ok:
            stale.append(StaleReference(src["unique_id"], spec.column, target, "missing"))
            continue
        tgt = next(target_rows)
        if tgt["unique_id"] == src["unique_id"]:
            continue
        if spec.kind == "parent":
            cannot.append(Link(src["unique_id"], target, f"parent ({spec.column})"))
        elif why := contradiction(src, tgt, min_sim):
            stale.append(StaleReference(src["unique_id"], spec.column, target, why))
        else:
            must.append(Link(src["unique_id"], target, f"reference ({spec.column})"))
    return must, cannot, stale


def derive_constraints(
    records: pa.Table | Sequence[Mapping[str, Any]],
    settings: MatchingSettings | None = None,
    *,
    steward_must_links: Iterable[Sequence[str]] = (),
    steward_cannot_links: Iterable[Sequence[str]] = (),
) -> Constraints:
    """Derive constraints from (normalised or raw) records plus steward decisions.

    Steward links are (id_a, id_b) pairs; they are kept as given (reason "steward").
    """
    settings = settings or default_matching_settings("customer")
    table = ensure_normalised(records, settings)
    must = _same_lei_links(table)
    cannot: list[Link] = []
    stale: list[StaleReference] = []
    for spec in settings.references:
        if spec.column in table.column_names:
            m, c, s = _references(table, spec, settings.reference_min_name_similarity)
            must, cannot, stale = must + m, cannot + c, stale + s
    must += [Link(str(a), str(b), "steward") for a, b, *_ in steward_must_links]
    cannot += [Link(str(a), str(b), "steward") for a, b, *_ in steward_cannot_links]
    return Constraints(tuple(must), tuple(cannot), _exclusive_keys(table), tuple(stale))
