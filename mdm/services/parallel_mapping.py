"""Mapping of extract chunks, here or on worker processes, in order and with bounded memory.

A chunk is parsed, mapped, validated, normalised and encoded for the store (JSON text, content
hash, timestamps) where it is processed, so a worker sends back compact payloads ready to
insert: pickling mapped records with their raw dicts cost more than the mapping saved.
Storing stays in the calling process, in one transaction. Workers are started with `spawn`,
so they share no database connection with the caller.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from mdm.domain import MdmError, QuarantinedRow
from mdm.mapping import RowMapper
from mdm.services.extract_chunks import TextChunk
from mdm.services.readers import ExtractFormat, ParsedChunk
from mdm.store import VersionEncoder

_worker: tuple[RowMapper, VersionEncoder, ExtractFormat] | None = None


@dataclass(slots=True)
class MappedChunk:
    """What became of one chunk: version payloads of its records, in order, and its refusals."""

    payloads: list[tuple[Any, ...]]
    rejected: list[QuarantinedRow]
    read: int


def map_rows(mapper: RowMapper, encoder: VersionEncoder, parsed: ParsedChunk) -> MappedChunk:
    """Map parsed rows and encode the records; parse failures become quarantined rows."""
    mapped = mapper.map_columns(parsed.rows, parsed.lines, parsed.columns)
    payloads = encoder.payloads(
        mapped.source_ids,
        mapped.raws,
        mapped.attributes,
        mapped.issues,
        mapped.hashes,
        mapped.updated,
        mapped.lines,
    )
    rejected = mapped.refused
    if parsed.failures:  # unparseable rows too, all in line order
        failures = [QuarantinedRow(f.line, {"_text": f.raw}, [f.reason]) for f in parsed.failures]
        rejected = sorted(rejected + failures, key=lambda q: q.line)
    return MappedChunk(payloads, rejected, len(parsed.rows) + len(parsed.failures))


def _init_worker(definition: tuple, encoder: VersionEncoder, extract: ExtractFormat) -> None:
    global _worker
    _worker = (RowMapper(*definition), encoder, extract)
    # Mapping allocates millions of short-lived, acyclic objects (rows, values, payloads),
    # freed by reference counting; the cyclic collector only rescans them, at about a seventh
    # of a worker's time. Workers live for one load, so it is off in them.
    gc.disable()


def _map_in_worker(chunk: TextChunk) -> MappedChunk:
    assert _worker is not None
    mapper, encoder, extract = _worker
    return map_rows(mapper, encoder, extract.parse(chunk))


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


def map_chunks_in_parallel(
    chunks: Iterator[TextChunk],
    mapper: RowMapper,
    encoder: VersionEncoder,
    extract: ExtractFormat,
    workers: int,
) -> Iterator[MappedChunk]:
    """Mapped chunks in input order, keeping a few in flight on `workers` processes."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(mapper.definition, encoder, extract),
    )
    pending: deque[Future[MappedChunk]] = deque()
    try:
        while True:
            try:
                chunk = next(chunks, None)
            except MdmError:  # the file cannot be read further: earlier chunks' errors first
                for future in pending:
                    future.result()
                raise
            if chunk is None:
                break
            pending.append(pool.submit(_map_in_worker, chunk))
            if len(pending) > workers * 2:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
