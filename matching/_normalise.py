"""`normalise_records`: add the derived columns the comparisons and blocking rules use.

Every derivation runs once per DISTINCT input value (Arrow dictionary-encodes the column,
Python parses the dictionary, Arrow takes the results back out), so a million rows with
the usual repetition cost a fraction of a million parses. Columns absent from the input
produce no derived columns; comparisons and blocking rules that need them are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from matching import _derivations as derive
from matching._derivations import SEP as _SEP
from matching._names import NameNormaliser
from matching._settings import MatchingSettings
from matching._workers import map_values, worker_pool

REQUIRED_COLUMNS = ("unique_id", "system", "source_id")


def as_arrow(records: pa.Table | Sequence[Mapping[str, Any]]) -> pa.Table:
    """Accept a pyarrow Table or a list of dicts; check the id columns."""
    table = records if isinstance(records, pa.Table) else pa.Table.from_pylist(list(records))
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise ValueError(f"records lack required columns: {missing}")
    return table


def _strings(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    if name not in table.column_names:
        return None
    col = table[name]
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = pc.cast(col, pa.string())
    blank = pc.equal(pc.utf8_trim_whitespace(col), "")
    return pc.if_else(blank, pa.scalar(None, pa.string()), col)


def _joined(table: pa.Table, value: str, context: str) -> pa.ChunkedArray | None:
    """`value` and `context` joined into one key, so pairs are parsed once per distinct pair."""
    col = _strings(table, value)
    if col is None:
        return None
    ctx = _strings(table, context)
    if ctx is None:
        return col
    return pc.binary_join_element_wise(col, pc.fill_null(ctx, ""), _SEP, null_handling="emit_null")


def _map_distinct(
    col: pa.ChunkedArray, fn: Callable[[str], tuple[Any, ...]], types: Sequence[pa.DataType]
) -> list[pa.Array]:
    """Apply `fn` to each distinct non-null value; one output array per element of its tuple."""
    encoded = pc.dictionary_encode(col.combine_chunks())
    results = map_values(fn, encoded.dictionary.to_pylist())
    fields = list(zip(*results, strict=True)) if results else [()] * len(types)
    out = []
    for values, typ in zip(fields, types, strict=True):
        dictionary = pa.array(values, type=typ)
        out.append(dictionary.take(encoded.indices))
    return out


def _organisation_names(table: pa.Table, names: NameNormaliser) -> dict[str, pa.Array]:
    s = pa.string()
    parsed: dict[str, list[pa.Array]] = {}
    for source in ("name", "legal_name"):
        col = _strings(table, source)
        if col is not None:
            parsed[source] = _map_distinct(col, partial(derive.org_name, names), [s] * 8)
    if not parsed:
        return {}
    primary = parsed.get("name") or parsed["legal_name"]
    legal = parsed.get("legal_name") or parsed["name"]
    both = lambda i: pc.coalesce(primary[i], legal[i])  # noqa: E731
    return {
        "name_norm": both(0),
        "name_core": both(1),
        "legal_name_norm": pc.coalesce(legal[0], primary[0]),
        "legal_name_core": pc.coalesce(legal[1], primary[1]),
        "alt_name_core": _alt(primary[1], legal[1]),
        "legal_form": (form := pc.coalesce(legal[2], primary[2])),
        "legal_form_family": _family(form),
        "name_first": both(3),
        "name_sorted": both(4),
        "name_phonetic": both(5),
        "name_compact": both(6),
        "name_anagram": both(7),
    }


def _family(form: pa.Array) -> pa.Array:
    """Jurisdictional family of a legal form ("pty ltd" and "ltd": private_limited)."""
    return _map_distinct(pa.chunked_array([form]), derive.legal_form_family, [pa.string()])[0]


def _alt(primary: pa.Array, legal: pa.Array) -> pa.Array:
    """The legal core name where it differs from the trading core name, else null."""
    differs = pc.and_kleene(pc.is_valid(legal), pc.not_equal(legal, pc.coalesce(primary, "")))
    return pc.if_else(pc.fill_null(differs, False), legal, pa.scalar(None, pa.string()))


def _project_fields(table: pa.Table) -> dict[str, pa.Array]:
    s = pa.string()
    out: dict[str, pa.Array] = {}
    if (col := _strings(table, "name")) is not None:
        out["project_name_norm"], out["project_name_sorted"], out["name_first"] = _map_distinct(
            col, derive.project_name, [s, s, s]
        )
    if (col := _strings(table, "code")) is not None:
        out["code_norm"] = _map_distinct(col, derive.code, [s])[0]
    if (col := _strings(table, "project_manager")) is not None:
        out["project_manager_norm"] = _map_distinct(col, derive.person_name, [s])[0]
    for name in ("start_date", "end_date"):
        if name in table.column_names:
            out[name] = _dates(table[name])
    return out


def _dates(col: pa.ChunkedArray) -> pa.Array:
    if pa.types.is_date32(col.type):
        return col.combine_chunks()
    if pa.types.is_timestamp(col.type) or pa.types.is_date64(col.type):
        return pc.cast(col, pa.date32()).combine_chunks()
    return _map_distinct(pc.cast(col, pa.string()), derive.iso_date, [pa.date32()])[0]


def _addresses(table: pa.Table) -> dict[str, pa.Array]:
    s = pa.string()
    out: dict[str, pa.Array] = {}
    if "address_line1" in table.column_names or "address_line2" in table.column_names:
        key = (
            _joined(table, "address_line1", "address_line2")
            if "address_line1" in (table.column_names)
            else _strings(table, "address_line2")
        )
        out["street"], out["house_number"], out["address_unit"], out["address_full"] = (
            _map_distinct(key, derive.street, [s] * 4)
        )
    if (key := _joined(table, "postcode", "country")) is not None:
        out["postcode_norm"], out["postcode_district"] = _map_distinct(key, derive.postcode, [s, s])
    if (col := _strings(table, "city")) is not None:
        out["city_norm"] = _map_distinct(col, derive.city, [s])[0]
    if (col := _strings(table, "country")) is not None:
        out["country"] = pc.utf8_upper(pc.utf8_trim_whitespace(col)).combine_chunks()
    return out


def _identifiers(table: pa.Table) -> dict[str, pa.Array]:
    s = pa.string()
    out: dict[str, pa.Array] = {}
    if (key := _joined(table, "tax_id", "country")) is not None:
        out["tax_id_valid"], out["tax_id_country"] = _map_distinct(key, derive.tax_id, [s, s])
    if (col := _strings(table, "lei")) is not None:
        out["lei_valid"] = _map_distinct(col, derive.lei, [s])[0]
    if (col := _strings(table, "registration_number")) is not None:
        out["registration_norm"] = _map_distinct(col, derive.registration_number, [s])[0]
    if (key := _joined(table, "phone", "country")) is not None:
        out["phone_e164"], out["phone_national"] = _map_distinct(key, derive.phone, [s, s])
    out.update(_domains(table))
    return out


def _domains(table: pa.Table) -> dict[str, pa.Array]:
    s = pa.string()
    found: list[list[pa.Array]] = []
    if (col := _strings(table, "website")) is not None:
        found.append(_map_distinct(col, derive.website, [s, s]))
    if (col := _strings(table, "email")) is not None:
        found.append(_map_distinct(col, derive.email, [s, s]))
    if not found:
        return {}
    domain = pc.coalesce(*(f[0] for f in found))
    label = pc.coalesce(*(f[1] for f in found))
    out = {"domain": domain, "domain_label": label}
    if len(found) > 1:  # the e-mail domain may differ from the website's (acme.com vs acme.co.uk)
        out["email_domain"] = found[1][0]
        out["email_domain_label"] = found[1][1]
    return out


def normalise_records(
    records: pa.Table | Sequence[Mapping[str, Any]], settings: MatchingSettings
) -> pa.Table:
    """Return the input table with derived matching columns appended (or replaced).

    Organisations get name/legal-form keys, validated identifiers, address, postcode,
    phone and domain forms; projects get name, code, date and manager forms. `country`
    is replaced by its trimmed upper-case form. Idempotent: derived columns are rebuilt.
    """
    table = as_arrow(records)
    table = _with_columns(table, [("unique_id", pc.cast(table["unique_id"], pa.string()))])
    derived: dict[str, pa.Array] = {}
    with worker_pool(table.num_rows):
        if settings.entity_kind == "organisation":
            names = NameNormaliser(
                settings.normalisation.extra_legal_forms, settings.normalisation.extra_abbreviations
            )
            derived.update(_organisation_names(table, names))
            derived.update(_identifiers(table))
        else:
            derived.update(_project_fields(table))
        derived.update(_addresses(table))
    table = _with_columns(table, derived.items())
    return table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _MARK: settings.entity_kind.encode()}
    )


def ensure_normalised(
    records: pa.Table | Sequence[Mapping[str, Any]], settings: MatchingSettings
) -> pa.Table:
    """`records` as returned by `normalise_records` (normalising only if not yet done)."""
    if isinstance(records, pa.Table) and (records.schema.metadata or {}).get(_MARK):
        return records
    return normalise_records(records, settings)


_MARK = b"matching.normalised"


def _with_columns(table: pa.Table, columns: Iterable[tuple[str, pa.Array]]) -> pa.Table:
    for name, array in columns:
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, array)
        else:
            table = table.append_column(name, array)
    return table
