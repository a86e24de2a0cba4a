"""Distinct values mapped on worker processes come back as one process maps them."""

from __future__ import annotations

import pyarrow as pa
import pytest

from matching import _derivations as derive
from matching import _workers
from matching._names import NameNormaliser
from matching._workers import MappingBatch, worker_pool

S = pa.string()


def _map_all(names: NameNormaliser) -> list[list[pa.Array]]:
    batch = MappingBatch()
    batch.add(
        names.fields, pa.array([f"The Acme {i} Hldgs GmbH & Co. KG" for i in range(40)]), [S] * 8
    )
    batch.add(
        derive.postcode, pa.array([f"{i:05d}\x1fUS" for i in range(30)] + ["SW1A 1AA"]), [S] * 2
    )
    batch.add(derive.city, pa.array([], S), [S])
    batch.add(derive.iso_date, pa.array(["2024-02-29", "not a date"]), [pa.date32()])
    return batch.results()


def test_pieces_mapped_on_workers_equal_the_mapping_in_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_workers, "PIECE", 7)  # many pieces, so workers and this process share
    monkeypatch.setenv("MATCHING_WORKERS", "2")
    names = NameNormaliser({"e.U.": "eu"}, {"cnsltg": "consulting"})
    here = _map_all(names)
    with worker_pool(rows=1, min_rows=0):
        _workers._POOL.get().submit(int).result()  # a started worker claims the first pieces
        shared = _map_all(names)
    assert [len(arrays) for arrays in shared] == [8, 2, 1, 1]
    for ours, theirs in zip(here, shared, strict=True):
        assert all(a.equals(b) for a, b in zip(ours, theirs, strict=True))
    assert here[0][1][0].as_py() == "acme 0 holdings"
    assert here[3][0].to_pylist()[1] is None
