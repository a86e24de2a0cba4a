"""Request and response bodies of the REST API (API models, not tables)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mdm.services.ingestion import LoadReport


class RecordBatch(BaseModel):
    """Source records of one system and entity type, as the system exports them."""

    records: list[dict[str, Any]] = Field(
        description="One object per record, with the fields the system's mapping reads.",
        examples=[[{"Id": "001A", "Name": "Acme", "Country": "GB"}]],
    )


class QuarantinedRowOut(BaseModel):
    line: int | None
    source_id: str | None
    reasons: list[str]


class LoadResult(BaseModel):
    """What a load did with each record: stored, unchanged, stale or quarantined."""

    batch_id: int | None
    system: str
    entity_type: str
    dry_run: bool
    counts: dict[str, int]
    quarantined: list[QuarantinedRowOut]
    correlation_id: str

    @classmethod
    def of(cls, report: LoadReport, correlation_id: str) -> LoadResult:
        return cls(
            batch_id=report.batch_id,
            system=report.system,
            entity_type=report.entity_type,
            dry_run=report.dry_run,
            counts=report.counts.as_dict(),
            quarantined=[
                QuarantinedRowOut(
                    line=q.get("line"), source_id=q.get("source_id"), reasons=q["reasons"]
                )
                for q in report.quarantine_sample
            ],
            correlation_id=correlation_id,
        )
