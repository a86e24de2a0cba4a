"""Exports of the cross-reference table, streamed so memory stays flat on large stores."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from mdm.store import UnitOfWork

XREF_COLUMNS = ("entity_type", "system", "source_id", "golden_id")


def export_xrefs(
    uow: UnitOfWork, out: TextIO, entity_type: str | None = None, fmt: str = "csv"
) -> int:
    """Write every open cross-reference as CSV or JSON Lines; returns the row count."""
    count = 0
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(XREF_COLUMNS)
    with uow:
        for batch in uow.golden.iter_xrefs(entity_type):
            for row in batch:
                if writer:
                    writer.writerow(row)
                else:
                    out.write(json.dumps(dict(zip(XREF_COLUMNS, row, strict=True))) + "\n")
            count += len(batch)
    return count


def example_xref(uow: UnitOfWork, entity_type: str) -> tuple[str, str, str] | None:
    """(system, source_id, golden_id) of one open cross-reference of `entity_type` (the
    first in key order), for example queries; None if there is none."""
    with uow:
        for batch in uow.golden.iter_xrefs(entity_type, batch_size=1):
            _, system, source_id, golden_id = batch[0]
            return system, source_id, golden_id
    return None


def describe_golden(uow: UnitOfWork, golden_id: str) -> dict:
    """A golden record for humans: redirect followed, attributes with provenance, members."""
    with uow:
        active, path = uow.golden.resolve(golden_id)
        record = uow.golden.get(active or golden_id)
        members = uow.lookups.members([record["golden_id"]])[record["golden_id"]] if record else []
    return {"requested": golden_id, "path": path, "record": record, "members": sorted(members)}
