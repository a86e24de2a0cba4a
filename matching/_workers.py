"""Mapping many distinct values on all cores, for the normalisation of large tables.

Normalisers are pure Python, one call per distinct value; a million distinct company
names is seconds of work per core. Inside `worker_pool()`, `map_arrays` cuts every
value list into pieces and queues them all for `cpu_count - 1` spawned workers (spawn,
not fork: the caller may hold DuckDB threads) while this process takes pieces from the
other end of the queue, so every core stays busy until the last piece. Pieces travel
as Arrow arrays both ways and come back in input order, so output is identical with or
without workers.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pyarrow as pa

logger = logging.getLogger(__name__)
_POOL: ContextVar[ProcessPoolExecutor | None] = ContextVar("pool", default=None)

#: Values per piece: big enough that its round trip is noise, small enough that the
#: last piece a worker holds does not keep the others waiting.
PIECE = 20_000

#: One mapping: a function of one value returning a tuple, the values, and the Arrow
#: type of each element of the tuple.
ValueMapping = tuple[Callable[[Any], tuple[Any, ...]], pa.Array, Sequence[pa.DataType]]


def _columns(fn: Callable[[Any], tuple[Any, ...]], values: pa.Array, types: Sequence[pa.DataType]):
    """`fn` of each value, as one Arrow array per element of its result tuple."""
    enabled = gc.isenabled()
    gc.disable()  # the results are acyclic: collecting while they pile up is pure cost
    try:
        results = [fn(v) for v in values.to_pylist()]
    finally:
        if enabled:
            gc.enable()
    # One conversion of the tuples as a struct is several times cheaper than one per field.
    struct = pa.struct([(str(i), typ) for i, typ in enumerate(types)])
    return pa.array(results, type=struct).flatten()


def map_arrays(mappings: Sequence[ValueMapping]) -> list[list[pa.Array]]:
    """For each mapping, one array per element of `fn`'s tuple holding `fn` of each value
    (in order); shared with the workers of an active `worker_pool`."""
    pool = _POOL.get()
    if pool is None:
        return [_columns(fn, values, types) for fn, values, types in mappings]
    pieces = [
        (m, fn, pa.concat_arrays([values[start : start + PIECE]]), types)
        for m, (fn, values, types) in enumerate(mappings)
        for start in range(0, max(len(values), 1), PIECE)
    ]
    try:
        done = _share(pool, pieces)
    except BrokenProcessPool:
        # A worker could not start, typically a script without an `if __name__ ==
        # "__main__":` guard (spawn re-imports it). Same result, one core.
        logger.warning("matching workers unavailable; normalising on one core")
        _POOL.set(None)
        return [_columns(fn, values, types) for fn, values, types in mappings]
    out: list[list[list[pa.Array]]] = [[] for _ in mappings]
    for (m, *_), arrays in zip(pieces, done, strict=True):
        out[m].append(arrays)
    return [
        [pa.concat_arrays(list(column)) for column in zip(*parts, strict=True)] for parts in out
    ]


def _share(pool: ProcessPoolExecutor, pieces: list[tuple]) -> list[list[pa.Array]]:
    """Queue every piece for the workers, then map pieces here from the back of the queue
    for as long as no worker has claimed them (a claimed future can no longer be cancelled)."""
    futures: list[Future] = [pool.submit(_columns, *piece[1:]) for piece in pieces]
    done: list[list[pa.Array] | None] = [None] * len(pieces)
    for i in reversed(range(len(pieces))):
        if not futures[i].cancel():
            break
        done[i] = _columns(*pieces[i][1:])
    return [
        arrays if arrays is not None else f.result()
        for arrays, f in zip(done, futures, strict=True)
    ]


def _ready() -> None:
    """Nothing: a worker imports this package to run it, which is its start-up cost."""


@contextmanager
def worker_pool(rows: int, min_rows: int = 200_000) -> Iterator[None]:
    """Workers for `map_arrays` while the block runs, if the table is big enough and
    there is more than one core (MATCHING_WORKERS=1 turns them off)."""
    workers = int(os.environ.get("MATCHING_WORKERS", os.cpu_count() or 1)) - 1
    if rows < min_rows or workers < 1 or _POOL.get() is not None:
        yield
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for _ in range(workers):  # start them now: spawn and imports overlap the caller's work
            pool.submit(_ready)
        token = _POOL.set(pool)
        try:
            yield
        finally:
            _POOL.reset(token)
