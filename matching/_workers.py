"""Mapping many distinct values on all cores, for the normalisation of large tables.

Normalisers are pure Python, one call per distinct value; a million distinct company
names is seconds of work per core. Inside `worker_pool()`, a `MappingBatch` cuts every
value list into pieces and queues them, as they are added, for `cpu_count - 1` spawned
workers (spawn, not fork: the caller may hold DuckDB threads); when asked for results
this process takes pieces from the other end of the queue, so every core stays busy
until the last piece. Pieces travel as Arrow arrays both ways and come back in input
order, so output is identical with or without workers.
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


class MappingBatch:
    """Mappings of value arrays, handed to the workers of an active `worker_pool` as they
    are added (so workers start on the first while the caller prepares the next);
    `results` maps here whatever no worker has claimed yet, from the back of the queue."""

    def __init__(self) -> None:
        self._pool = _POOL.get()
        self._pieces: list[tuple[int, ValueMapping]] = []  # (mapping number, piece)
        self._futures: list[Future] = []
        self._count = 0

    def add(self, fn: Callable[[Any], tuple[Any, ...]], values: pa.Array, types) -> None:
        """Queue `fn` over `values`; its arrays come back from `results` in order of `add`."""
        for start in range(0, max(len(values), 1), PIECE):
            piece = (fn, values[start : start + PIECE], types)
            if self._pool:
                piece = (fn, pa.concat_arrays([piece[1]]), types)  # a slice pickles all buffers
                try:
                    self._futures.append(self._pool.submit(_columns, *piece))
                except BrokenProcessPool:
                    self._lose_workers()
            self._pieces.append((self._count, piece))
        self._count += 1

    def results(self) -> list[list[pa.Array]]:
        """For each mapping, one array per element of `fn`'s tuple holding `fn` of each
        value, in order."""
        try:
            done = self._share()
        except BrokenProcessPool:
            self._lose_workers()
            done = self._share()
        out: list[list[list[pa.Array]]] = [[] for _ in range(self._count)]
        for (m, _), arrays in zip(self._pieces, done, strict=True):
            out[m].append(arrays)
        return [[pa.concat_arrays(list(col)) for col in zip(*parts, strict=True)] for parts in out]

    def _share(self) -> list[list[pa.Array]]:
        if self._pool is None:
            return [_columns(*piece) for _, piece in self._pieces]
        done: list[list[pa.Array] | None] = [None] * len(self._pieces)
        for i in reversed(range(len(self._pieces))):
            if not self._futures[i].cancel():
                break  # claimed by a worker, as are all before it (the queue is FIFO)
            done[i] = _columns(*self._pieces[i][1])
        return [
            a if a is not None else f.result() for a, f in zip(done, self._futures, strict=True)
        ]

    def _lose_workers(self) -> None:
        # A worker could not start, typically a script without an `if __name__ ==
        # "__main__":` guard (spawn re-imports it). Same result, one core.
        logger.warning("matching workers unavailable; normalising on one core")
        _POOL.set(None)
        self._pool = None
        self._futures = []


def _ready() -> None:
    """Nothing: a worker imports this package to run it, which is its start-up cost."""


@contextmanager
def worker_pool(rows: int, min_rows: int = 200_000) -> Iterator[None]:
    """Workers for `MappingBatch` while the block runs, if the table is big enough and
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
        except BaseException:
            pool.shutdown(cancel_futures=True)  # not the queued pieces of a failed run
            raise
        finally:
            _POOL.reset(token)
