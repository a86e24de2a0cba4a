"""Mapping of large extracts on several processes, in order, with bounded memory.

Parsing and storing stay in the calling process (one transaction); only the CPU-heavy
mapping (normalisers, validators, hashing) runs in worker processes. Workers are
started with `spawn`, so they share no database connection with the caller.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from mdm.config import EntityTypeConfig, SourceEntityConfig
from mdm.domain import MappedRecord, QuarantinedRow
from mdm.mapping import RowMapper
from mdm.services.readers import ParsedRow, ParseFailure

Mapped = tuple[list[MappedRecord], list[QuarantinedRow]]
_worker_mapper: RowMapper | None = None


def map_chunk(mapper: RowMapper, chunk: list[ParsedRow | ParseFailure]) -> Mapped:
    """Map one chunk of parsed rows; parse failures become quarantined rows."""
    mapped: list[MappedRecord] = []
    rejected: list[QuarantinedRow] = []
    for row in chunk:
        if isinstance(row, ParseFailure):
            rejected.append(QuarantinedRow(row.line, {"_text": row.raw}, [row.reason]))
            continue
        result = mapper.map_row(row.raw, row.line)
        (mapped if isinstance(result, MappedRecord) else rejected).append(result)
    return mapped, rejected


def _init_worker(entity: EntityTypeConfig, source: SourceEntityConfig, country: str | None) -> None:
    global _worker_mapper
    _worker_mapper = RowMapper(entity, source, country)


def _map_in_worker(chunk: list[ParsedRow | ParseFailure]) -> Mapped:
    assert _worker_mapper is not None
    return map_chunk(_worker_mapper, chunk)


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


def map_chunks_in_parallel(
    chunks: Iterator[list[ParsedRow | ParseFailure]],
    entity: EntityTypeConfig,
    source: SourceEntityConfig,
    default_country: str | None,
    workers: int,
) -> Iterator[tuple[list[ParsedRow | ParseFailure], Mapped]]:
    """Yield (chunk, mapped chunk) in input order, keeping a few chunks in flight."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(entity, source, default_country),
    ) as pool:
        pending: deque[tuple[list, Future[Mapped]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_map_in_worker, chunk)))
            if len(pending) > workers * 2:
                done_chunk, future = pending.popleft()
                yield done_chunk, future.result()
        while pending:
            done_chunk, future = pending.popleft()
            yield done_chunk, future.result()
