"""Ingestion: parse, map, validate and store source records, idempotently and all-or-nothing.

Every input row ends stored (as a new version, or recognised as unchanged or stale) or
quarantined with its reasons. A malformed file leaves the store as it was.

A file is read as chunks of whole records; each chunk is parsed, mapped and encoded for the
store (here, or on worker processes for large files) and comes back as version payloads,
which this process writes in order, in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mdm.config import HubConfig
from mdm.domain import IngestCounts, MalformedFileError, MdmError, QuarantinedRow
from mdm.mapping import RowMapper, content_hash
from mdm.services.parallel_mapping import (
    MappedChunk,
    default_workers,
    map_chunks_in_parallel,
    map_rows,
)
from mdm.services.readers import (
    ExtractFormat,
    ParsedChunk,
    ParsedRow,
    ParseFailure,
    read_chunks,
)
from mdm.services.record_versions import VersionPlanner
from mdm.store import UnitOfWork, VersionEncoder, utcnow

log = logging.getLogger(__name__)

CHUNK_ROWS = 10_000
PARALLEL_FROM_BYTES = 8 * 1024 * 1024
Progress = Callable[[int], None]
Mapping = Callable[[VersionEncoder], Iterator[MappedChunk]]


@dataclass
class LoadReport:
    """What one load did."""

    batch_id: int | None
    system: str
    entity_type: str
    origin: str
    counts: IngestCounts
    dry_run: bool = False
    quarantine_sample: list[dict[str, Any]] = field(default_factory=list)


def load_file(
    uow: UnitOfWork,
    config: HubConfig,
    system: str,
    entity_type: str,
    path: Path,
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    onboarding_id: str | None = None,
    workers: int | None = None,
) -> LoadReport:
    """Load one extract file of `entity_type` from `system` through its mapping.

    Files above PARALLEL_FROM_BYTES are parsed and mapped on `workers` processes (default:
    the cores); `progress` is called with the number of bytes read as reading goes.
    """
    source = config.source_entity(system, entity_type)
    path = Path(path)
    if not path.is_file():
        raise MalformedFileError(str(path), "no such file")
    mapper = RowMapper(config.entity_types[entity_type], source, config.hub.default_country)
    extract = ExtractFormat(str(path), source.format, source.delimiter, source.quotechar)
    chunks = read_chunks(
        path,
        extract,
        encoding=source.encoding,
        required_columns=set(source.key_columns),
        on_read=progress,
    )
    if workers is None:
        workers = default_workers() if path.stat().st_size >= PARALLEL_FROM_BYTES else 1

    def mapped(encoder: VersionEncoder) -> Iterator[MappedChunk]:
        if workers <= 1:
            return (map_rows(mapper, encoder, extract.parse(chunk)) for chunk in chunks)
        return map_chunks_in_parallel(chunks, mapper, encoder, extract, workers)

    return _ingest(
        uow,
        system,
        entity_type,
        mapped,
        str(path),
        _sha256(path),
        dry_run=dry_run,
        onboarding_id=onboarding_id,
    )


def load_rows(
    uow: UnitOfWork,
    config: HubConfig,
    system: str,
    entity_type: str,
    rows: Iterable[dict[str, Any]],
    *,
    origin: str = "api",
    dry_run: bool = False,
) -> LoadReport:
    """Load records given as mappings (the REST API's path), with the same rules as files."""
    source = config.source_entity(system, entity_type)
    mapper = RowMapper(config.entity_types[entity_type], source, config.hub.default_country)
    parsed = (
        ParsedRow(i, row)
        if isinstance(row, dict)
        else ParseFailure(i, repr(row), "unparseable row: not an object")
        for i, row in enumerate(rows, start=1)
    )

    def mapped(encoder: VersionEncoder) -> Iterator[MappedChunk]:
        return (
            map_rows(mapper, encoder, ParsedChunk.of(chunk))
            for chunk in _chunks(parsed, CHUNK_ROWS)
        )

    return _ingest(uow, system, entity_type, mapped, origin, None, dry_run=dry_run)


def _ingest(
    uow: UnitOfWork,
    system: str,
    entity_type: str,
    mapped: Mapping,
    origin: str,
    sha256: str | None,
    *,
    dry_run: bool,
    onboarding_id: str | None = None,
) -> LoadReport:
    """Store mapped chunks in order, in one transaction; `mapped` gets the store's encoder."""
    counts = IngestCounts()
    sample: list[dict[str, Any]] = []
    try:
        with uow:
            batch_id = _open_batch(uow, system, entity_type, origin, sha256, onboarding_id)
            planner = VersionPlanner(uow, entity_type, system, batch_id)
            with closing(mapped(uow.source_records.encoder())) as chunks:
                for chunk in chunks:
                    counts.add(planner.store(chunk.payloads))
                    counts.quarantined += len(chunk.rejected)
                    counts.read += chunk.read
                    quarantined = [
                        _quarantine_row(q, batch_id, system, entity_type) for q in chunk.rejected
                    ]
                    if uow.quarantine.add_many(quarantined):
                        planner.quarantined()
                    sample.extend(quarantined[: max(0, 20 - len(sample))])
            uow.batches.finish(batch_id, "committed", counts.as_dict(), utcnow())
            uow.record_audit(
                "load",
                f"{system}/{entity_type}",
                {"batch_id": batch_id, "origin": origin, **counts.as_dict()},
            )
            if dry_run:
                uow.rollback()
            else:
                uow.commit()
    except MalformedFileError as exc:
        _record_failed_batch(uow, system, entity_type, origin, sha256, str(exc))
        raise
    log.info(
        "batch %s %s/%s: %s%s",
        batch_id,
        system,
        entity_type,
        counts.as_dict(),
        " (dry run, rolled back)" if dry_run else "",
    )
    return LoadReport(
        None if dry_run else batch_id, system, entity_type, origin, counts, dry_run, sample
    )


def _quarantine_row(q: QuarantinedRow, batch_id: int, system: str, entity_type: str) -> dict:
    raw = q.raw if isinstance(q.raw, dict) else {"_text": q.raw}
    return {
        "batch_id": batch_id,
        "system": system,
        "entity_type": entity_type,
        "line": q.line,
        "source_id": q.source_id,
        "raw": raw,
        "reasons": q.reasons,
        "content_hash": content_hash(raw, {"reasons": q.reasons}),
        "created_at": utcnow(),
    }


def _open_batch(
    uow: UnitOfWork,
    system: str,
    entity_type: str,
    origin: str,
    sha256: str | None,
    onboarding_id: str | None = None,
) -> int:
    """Register the system if new and start an ingestion batch; returns its id."""
    uow.batches.ensure_system(system, utcnow())
    return uow.batches.start(
        system=system,
        entity_type=entity_type,
        origin=origin,
        file_sha256=sha256,
        actor=uow.actor,
        correlation_id=uow.correlation_id,
        started_at=utcnow(),
        onboarding_id=onboarding_id,
    )


def _record_failed_batch(
    uow: UnitOfWork, system: str, entity_type: str, origin: str, sha256: str | None, error: str
) -> None:
    """Note the failed load in its own transaction, so the attempt is visible."""
    try:
        with UnitOfWork(uow.engine, uow.actor, uow.correlation_id) as failed:
            batch_id = _open_batch(failed, system, entity_type, origin, sha256)
            failed.batches.finish(batch_id, "failed", {}, utcnow(), error=error)
            failed.commit()
    except MdmError:
        log.exception("could not record the failed load of %s/%s", system, entity_type)


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
