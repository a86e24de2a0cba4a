"""Mapping many distinct values on all cores, for the normalisation of large tables.

Normalisers are pure Python, one call per distinct value; a million distinct company
names is tens of seconds on one core. Inside `worker_pool()`, `map_values` splits long
value lists between this process and `cpu_count - 1` spawned workers (spawn, not fork:
the caller may hold DuckDB threads). Results come back in input order, so output is
identical with or without workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)
_POOL: ContextVar[tuple[ProcessPoolExecutor, int] | None] = ContextVar("pool", default=None)

#: Below this many values the round trip to a worker costs more than it saves.
PARALLEL_FROM = 20_000


def _apply(fn: Callable[[Any], T], values: Sequence[Any]) -> list[T]:
    return [fn(v) for v in values]


def map_values(fn: Callable[[Any], T], values: Sequence[Any]) -> list[T]:
    """`[fn(v) for v in values]`, shared with the workers of an active `worker_pool`."""
    active = _POOL.get()
    if active is None or len(values) < PARALLEL_FROM:
        return _apply(fn, values)
    pool, workers = active
    step = -(-len(values) // (workers + 1))
    chunks = [values[i : i + step] for i in range(0, len(values), step)]
    try:
        futures = [pool.submit(_apply, fn, chunk) for chunk in chunks[1:]]
        results = _apply(fn, chunks[0])  # this process takes a share too
        for future in futures:
            results.extend(future.result())
    except BrokenProcessPool:
        # A worker could not start, typically a script without an `if __name__ ==
        # "__main__":` guard (spawn re-imports it). Same result, one core.
        logger.warning("matching workers unavailable; normalising on one core")
        _POOL.set(None)
        return _apply(fn, values)
    return results


@contextmanager
def worker_pool(rows: int, min_rows: int = 200_000) -> Iterator[None]:
    """Workers for `map_values` while the block runs, if the table is big enough and
    there is more than one core (MATCHING_WORKERS=1 turns them off)."""
    workers = int(os.environ.get("MATCHING_WORKERS", os.cpu_count() or 1)) - 1
    if rows < min_rows or workers < 1 or _POOL.get() is not None:
        yield
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        token = _POOL.set((pool, workers))
        try:
            yield
        finally:
            _POOL.reset(token)
