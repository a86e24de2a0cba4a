"""Survivorship of the clusters to rebuild, a round at a time, on all cores.

With enough clusters and more than one core, worker processes survive and encode rounds of
clusters while this process writes the rounds before them (and survives rounds itself while
the workers are behind). Rounds are written in order and each is encoded as this process
would encode it, so rows, events and their sequence do not depend on the number of
workers. The workers come from a fork server, not from this process with its heap, its
connection or any Arrow or DuckDB state; the rules and the JSON serialiser are sent to
them once, then the tasks of each round.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

import orjson

from mdm.services.golden._identity import MemberKey
from mdm.services.golden._rows import EncodedRows, RowEncoder
from mdm.services.golden._survivorship import Member, Survivorship

log = logging.getLogger(__name__)

# gid, members, build digest, same members as before, split from, override, the record as
# it was (or None), and the members' stored (version, source timestamp, attributes JSON)
Task = tuple[
    str,
    list[MemberKey],
    str,
    bool,
    str | None,
    Mapping[str, Any] | None,
    dict[str, Any] | None,
    list[tuple[int, datetime | None, str]],
]

#: Below this many clusters to rebuild, starting workers costs more than it saves.
PARALLEL_FROM = 50_000
_ROUND = 50_000  # clusters per round in this process
_POOLED_ROUND = 20_000  # smaller rounds when pooled: writing and surviving overlap more


def golden_workers() -> int:
    """Processes surviving clusters, this one included: MDM_GOLDEN_WORKERS, else
    MATCHING_WORKERS, else the number of cores."""
    setting = os.environ.get("MDM_GOLDEN_WORKERS") or os.environ.get("MATCHING_WORKERS")
    return max(1, int(setting) if setting else os.cpu_count() or 1)


def survive_round(
    survivorship: Survivorship, json: Callable[[Any], str], now: datetime, tasks: list[Task]
) -> EncodedRows:
    """The golden rows and events of a round of clusters (unchanged ones only rehashed)."""
    encoder, loads = RowEncoder(json, now), orjson.loads
    for gid, keys, digest, same_members, split_from, override, old, stored in tasks:
        members = [
            Member(k[0], k[1], version, updated_at, loads(text) if text else {})
            for k, (version, updated_at, text) in zip(keys, stored, strict=True)
        ]
        values, provenance = survivorship(members, override)
        if old and same_members and old["attributes"] == values and old["provenance"] == provenance:
            encoder.rehash(gid, digest)
        else:
            encoder.golden(gid, old, values, provenance, keys, split_from, digest)
    return encoder.rows


@contextmanager
def survival_rounds(
    count: int,
    make_round: Callable[[int, int], list[Task]],
    survivorship: Survivorship,
    json: Callable[[Any], str],
    now: datetime,
) -> Iterator[Iterator[tuple[int, int, EncodedRows]]]:
    """(start, stop, `survive_round` of tasks start to stop) of consecutive rounds of the
    `count` tasks `make_round` gives, in order. Workers start on entering, so that they
    come up while this process reads the members `make_round` needs."""
    workers = golden_workers() - 1 if count >= PARALLEL_FROM else 0
    state = (survivorship, json, now, make_round)
    if workers < 1 or not _picklable(state[:3]):
        yield _here(count, state)
        return
    pool = ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_start, initargs=state[:3]
    )
    try:
        with suppress(BrokenProcessPool):  # if so, every round is survived here
            pool.submit(int)  # start the workers now
        yield _in_order(pool, workers, count, state)
    finally:
        pool.shutdown(cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    """A fork server: workers forked from a small process of their own, not from this
    one, whose heap its own writes would leave to a forked worker page by page (forked
    from here, a worker held 1.25 GB of private memory at a million records). Nothing is
    preloaded: Python 3.11's fork server imports with its own path, not this process's,
    so each worker imports this module itself, as a spawned process would (and, as with
    spawn, runs the main script's top level again: scripts need their `__main__` guard)."""
    return multiprocessing.get_context("forkserver")


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False  # a serialiser of the caller's making, say: this process alone
    return True


def _here(count: int, state: _State) -> Iterator[tuple[int, int, EncodedRows]]:
    for start in range(0, count, _ROUND):
        stop = min(count, start + _ROUND)
        yield start, stop, _survive_here(start, stop, state)


def _in_order(
    pool: ProcessPoolExecutor, workers: int, count: int, state: _State
) -> Iterator[tuple[int, int, EncodedRows]]:
    """Rounds from the workers, one queued behind each; while the next one to write is
    not ready, this process survives the next round to come itself (at most `_AHEAD`)."""
    rounds = (
        (start, min(count, start + _POOLED_ROUND)) for start in range(0, count, _POOLED_ROUND)
    )
    pending: deque[tuple[int, int, Future[EncodedRows] | EncodedRows | None]] = deque()
    left = True
    while True:
        running = sum(isinstance(f, Future) and not f.done() for _, _, f in pending)
        while left and running <= workers:
            if (bounds := next(rounds, None)) is None:
                left = False
            else:
                pending.append((*bounds, _submit(pool, *bounds, state)))
                running += 1
        if not pending:
            return
        head, ahead = pending[0][2], sum(isinstance(f, EncodedRows) for _, _, f in pending)
        if left and isinstance(head, Future) and not head.done() and ahead < _AHEAD:
            if (bounds := next(rounds, None)) is None:
                left = False
            else:
                pending.append((*bounds, _survive_here(*bounds, state)))
            continue
        start, stop, done = pending.popleft()
        if isinstance(done, EncodedRows):
            yield start, stop, done
        else:
            yield _collect(start, stop, done, state)


_AHEAD = 2  # rounds this process may survive ahead of the one it waits for


_State = tuple[Survivorship, Callable[[Any], str], datetime, Callable[[int, int], list[Task]]]
_WORKER: tuple[Survivorship, Callable[[Any], str], datetime] | None = None


def _start(survivorship: Survivorship, json: Callable[[Any], str], now: datetime) -> None:
    global _WORKER
    gc.disable()  # rounds of acyclic rows, freed as soon as they are sent
    _WORKER = (survivorship, json, now)


def _survive(tasks: list[Task]) -> EncodedRows:
    assert _WORKER is not None
    return survive_round(*_WORKER, tasks)


def _submit(
    pool: ProcessPoolExecutor, start: int, stop: int, state: _State
) -> Future[EncodedRows] | None:
    try:
        return pool.submit(_survive, state[3](start, stop))
    except BrokenProcessPool:
        return None


def _collect(
    start: int, stop: int, future: Future[EncodedRows] | None, state: _State
) -> tuple[int, int, EncodedRows]:
    """A round's rows from its worker, or from this process if the worker was lost."""
    if future is not None:
        try:
            return start, stop, future.result()
        except BrokenProcessPool:
            pass
    log.warning("golden record workers unavailable; surviving a round in this process")
    return start, stop, _survive_here(start, stop, state)


def _survive_here(start: int, stop: int, state: _State) -> EncodedRows:
    survivorship, json, now, make_round = state
    return survive_round(survivorship, json, now, make_round(start, stop))
