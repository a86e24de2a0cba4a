"""`normalise_records`: add the derived columns the comparisons and blocking rules use.

Every derivation runs once per DISTINCT input value (Arrow dictionary-encodes the column,
Python parses the dictionary, Arrow takes the results back out), so a million rows with
the usual repetition cost a fraction of a million parses. Columns absent from the input
produce no derived columns; comparisons and blocking rules that need them are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from matching import _derivations as derive
from matching._derivations import SEP as _SEP
from matching._names import NameNormaliser
from matching._settings import MatchingSettings
from matching._workers import MappingBatch, worker_pool

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


class _DistinctMaps:
    """The distinct-value mappings of every derived column, requested first (the workers
    of a `worker_pool` start on each as it comes) and collected together by `run`."""

    def __init__(self) -> None:
        self._batch = MappingBatch()
        self._indices: list[list[pa.Array]] = []
        self._results: list[list[pa.Array]] = []

    def request(
        self, fn: Callable[[Any], tuple[Any, ...]], types: Sequence[pa.DataType], *cols
    ) -> Callable[..., list[pa.Array]]:
        """Map `fn` over the distinct non-null values of `cols` (columns of one type that
        share their values, such as trading and legal names, are parsed once). Returns a
        getter of the results for the rows of one of `cols`: one array per output type."""
        arrays = [col.combine_chunks() for col in cols]
        if len({array.type for array in arrays}) > 1:  # string and large_string
            arrays = [array.cast(pa.large_string()) for array in arrays]
        encoded = pc.dictionary_encode(arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays))
        starts = [0]
        for array in arrays:
            starts.append(starts[-1] + len(array))
        self._indices.append(
            [encoded.indices.slice(a, b - a) for a, b in zip(starts, starts[1:], strict=False)]
        )
        self._batch.add(fn, encoded.dictionary, types)
        handle = len(self._indices) - 1
        return lambda col=0: [d.take(self._indices[handle][col]) for d in self._results[handle]]

    def run(self) -> None:
        self._results = self._batch.results()


_Finish = Callable[[], dict[str, pa.Array]]


def _organisation_names(table: pa.Table, names: NameNormaliser, maps: _DistinctMaps) -> _Finish:
    cols = {c: col for c in ("name", "legal_name") if (col := _strings(table, c)) is not None}
    if not cols:
        return dict
    get = maps.request(names.fields, [pa.string()] * 8, *cols.values())
    return lambda: _name_columns({c: get(i) for i, c in enumerate(cols)})


def _name_columns(parsed: dict[str, list[pa.Array]]) -> dict[str, pa.Array]:
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
    encoded = pc.dictionary_encode(form)
    forms = encoded.dictionary.to_pylist()  # a few hundred at most: no workers
    families = pa.array([derive.legal_form_family(f)[0] for f in forms], pa.string())
    return families.take(encoded.indices)


def _alt(primary: pa.Array, legal: pa.Array) -> pa.Array:
    """The legal core name where it differs from the trading core name, else null."""
    differs = pc.and_kleene(pc.is_valid(legal), pc.not_equal(legal, pc.coalesce(primary, "")))
    return pc.if_else(pc.fill_null(differs, False), legal, pa.scalar(None, pa.string()))


def _mapped(maps: _DistinctMaps, requests: dict[tuple[str, ...], tuple]) -> _Finish:
    """Request each (column, fn, types) and name the resulting arrays by the key's names."""
    gets = {names: maps.request(fn, types, col) for names, (col, fn, types) in requests.items()}
    return lambda: {n: a for names, get in gets.items() for n, a in zip(names, get(), strict=True)}


def _project_fields(table: pa.Table, maps: _DistinctMaps) -> _Finish:
    s = pa.string()
    requests: dict[tuple[str, ...], tuple] = {}
    if (col := _strings(table, "name")) is not None:
        names = ("project_name_norm", "project_name_sorted", "name_first")
        requests[names] = (col, derive.project_name, [s, s, s])
    if (col := _strings(table, "code")) is not None:
        requests[("code_norm",)] = (col, derive.code, [s])
    if (col := _strings(table, "project_manager")) is not None:
        requests[("project_manager_norm",)] = (col, derive.person_name, [s])
    dates: dict[str, pa.Array] = {}
    for name in ("start_date", "end_date"):
        if name not in table.column_names:
            continue
        col = table[name]
        if pa.types.is_date32(col.type):
            dates[name] = col.combine_chunks()
        elif pa.types.is_timestamp(col.type) or pa.types.is_date64(col.type):
            dates[name] = pc.cast(col, pa.date32()).combine_chunks()
        else:
            requests[(name,)] = (pc.cast(col, pa.string()), derive.iso_date, [pa.date32()])
    finish = _mapped(maps, requests)
    return lambda: {**finish(), **dates}


def _addresses(table: pa.Table, maps: _DistinctMaps) -> _Finish:
    s = pa.string()
    requests: dict[tuple[str, ...], tuple] = {}
    if "address_line1" in table.column_names or "address_line2" in table.column_names:
        key = (
            _joined(table, "address_line1", "address_line2")
            if "address_line1" in (table.column_names)
            else _strings(table, "address_line2")
        )
        names = ("street", "house_number", "address_unit", "address_full")
        requests[names] = (key, derive.street, [s] * 4)
    if (key := _joined(table, "postcode", "country")) is not None:
        requests[("postcode_norm", "postcode_district")] = (key, derive.postcode, [s, s])
    if (col := _strings(table, "city")) is not None:
        requests[("city_norm",)] = (col, derive.city, [s])
    finish = _mapped(maps, requests)
    if (col := _strings(table, "country")) is None:
        return finish
    country = pc.utf8_upper(pc.utf8_trim_whitespace(col)).combine_chunks()
    return lambda: {**finish(), "country": country}


def _identifiers(table: pa.Table, maps: _DistinctMaps) -> _Finish:
    s = pa.string()
    requests: dict[tuple[str, ...], tuple] = {}
    if (key := _joined(table, "tax_id", "country")) is not None:
        requests[("tax_id_valid", "tax_id_country")] = (key, derive.tax_id, [s, s])
    if (col := _strings(table, "lei")) is not None:
        requests[("lei_valid",)] = (col, derive.lei, [s])
    if (col := _strings(table, "registration_number")) is not None:
        requests[("registration_norm",)] = (col, derive.registration_number, [s])
    if (key := _joined(table, "phone", "country")) is not None:
        requests[("phone_e164", "phone_national")] = (key, derive.phone, [s, s])
    finish, domains = _mapped(maps, requests), _domains(table, maps)
    return lambda: {**finish(), **domains()}


def _domains(table: pa.Table, maps: _DistinctMaps) -> _Finish:
    s = pa.string()
    gets = [
        maps.request(fn, [s, s], col)
        for name, fn in (("website", derive.website), ("email", derive.email))
        if (col := _strings(table, name)) is not None
    ]
    return lambda: _domain_columns([get() for get in gets])


def _domain_columns(found: list[list[pa.Array]]) -> dict[str, pa.Array]:
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
    with worker_pool(table.num_rows):  # workers start while the distinct values are found
        maps = _DistinctMaps()
        if settings.entity_kind == "organisation":
            names = NameNormaliser(
                settings.normalisation.extra_legal_forms,
                settings.normalisation.extra_abbreviations,
            )
            sections = [_organisation_names(table, names, maps), _identifiers(table, maps)]
        else:
            sections = [_project_fields(table, maps)]
        sections.append(_addresses(table, maps))
        maps.run()
    derived = {name: array for finish in sections for name, array in finish().items()}
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
