"""The hub's tables. Source records are versioned and never edited; golden records keep history."""

from __future__ import annotations

import sqlalchemy as sa

from mdm.store._types import BigId, JSONType, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

_SHORT = 64  # entity types, systems, roles
_ID = 255  # source ids and golden ids

source_systems = sa.Table(
    "source_systems",
    metadata,
    sa.Column("name", sa.String(_SHORT), primary_key=True),
    sa.Column("title", sa.String(255), nullable=False, server_default=""),
    sa.Column("registered_at", UtcDateTime(), nullable=False),
)

ingestion_batches = sa.Table(
    "ingestion_batches",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("system", sa.String(_SHORT), nullable=False),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("origin", sa.String(1024), nullable=False),  # file path or "api"
    sa.Column("file_sha256", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),  # running, committed, failed, rolled_back
    sa.Column("counts", JSONType, nullable=False),
    sa.Column("error", sa.Text()),
    sa.Column("actor", sa.String(_ID), nullable=False),
    sa.Column("correlation_id", sa.String(_SHORT), nullable=False),
    sa.Column("onboarding_id", sa.String(_SHORT)),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
)

source_records = sa.Table(
    "source_records",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("system", sa.String(_SHORT), nullable=False),
    sa.Column("source_id", sa.String(_ID), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("is_current", sa.Boolean(), nullable=False),
    sa.Column("needs_match", sa.Boolean(), nullable=False),
    sa.Column("raw", JSONType, nullable=False),
    sa.Column("attributes", JSONType, nullable=False),
    sa.Column("issues", JSONType),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("source_updated_at", UtcDateTime()),
    sa.Column("ingested_at", UtcDateTime(), nullable=False),
    sa.Column("superseded_at", UtcDateTime()),
    sa.Column("batch_id", BigId, sa.ForeignKey("ingestion_batches.id"), nullable=False),
    sa.Column("line", sa.Integer()),
    sa.UniqueConstraint("entity_type", "system", "source_id", "version"),
    sa.Index(
        "ux_source_records_current",
        "entity_type",
        "system",
        "source_id",
        unique=True,
        sqlite_where=sa.text("is_current"),
        postgresql_where=sa.text("is_current"),
    ),
    sa.Index("ix_source_records_batch", "batch_id"),
)

quarantined_rows = sa.Table(
    "quarantined_rows",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("batch_id", BigId, sa.ForeignKey("ingestion_batches.id"), nullable=False),
    sa.Column("system", sa.String(_SHORT), nullable=False),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("line", sa.Integer()),
    sa.Column("source_id", sa.String(_ID)),
    sa.Column("raw", JSONType, nullable=False),
    sa.Column("reasons", JSONType, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),  # of raw and reasons: no repeats
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Index("ix_quarantined_rows_system_entity", "system", "entity_type"),
    sa.Index("ix_quarantined_rows_hash", "system", "entity_type", "content_hash"),
)

# --- matching ------------------------------------------------------------------------------

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.String(_SHORT), primary_key=True),  # content hash of the model JSON
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("model", JSONType, nullable=False),
    sa.Column("trained_at", UtcDateTime(), nullable=False),
    sa.Column("training_stats", JSONType),
    sa.Column("is_active", sa.Boolean(), nullable=False),
)

match_runs = sa.Table(
    "match_runs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("model_version", sa.String(_SHORT)),
    sa.Column("mode", sa.String(16), nullable=False),  # batch, incremental
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("stats", JSONType),
    sa.Column("actor", sa.String(_ID), nullable=False),
    sa.Column("correlation_id", sa.String(_SHORT), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
)

candidate_pairs = sa.Table(
    "candidate_pairs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", BigId, sa.ForeignKey("match_runs.id"), nullable=False),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("left_system", sa.String(_SHORT), nullable=False),
    sa.Column("left_source_id", sa.String(_ID), nullable=False),
    sa.Column("right_system", sa.String(_SHORT), nullable=False),
    sa.Column("right_source_id", sa.String(_ID), nullable=False),
    sa.Column("match_probability", sa.Float(), nullable=False),
    sa.Column("match_weight", sa.Float(), nullable=False),
    sa.Column("explanation", JSONType),
    sa.Column("band", sa.String(16), nullable=False),  # auto_link, review, below
    sa.Column("model_version", sa.String(_SHORT)),
    sa.Column("review_status", sa.String(16)),  # open, accepted, rejected (stewards)
    sa.Index("ix_candidate_pairs_run_band", "run_id", "band"),
)

match_constraints = sa.Table(
    "match_constraints",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # must_link, cannot_link
    sa.Column("left_system", sa.String(_SHORT), nullable=False),
    sa.Column("left_source_id", sa.String(_ID), nullable=False),
    sa.Column("right_system", sa.String(_SHORT), nullable=False),
    sa.Column("right_source_id", sa.String(_ID), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),  # steward, rule
    sa.Column("reason", sa.Text()),
    sa.Column("actor", sa.String(_ID), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
)

# --- golden records ------------------------------------------------------------------------

golden_records = sa.Table(
    "golden_records",
    metadata,
    sa.Column("golden_id", sa.String(_SHORT), primary_key=True),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active, retired
    sa.Column("redirect_to", sa.String(_SHORT)),  # survivor of a retired record
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("attributes", JSONType, nullable=False),
    sa.Column("provenance", JSONType, nullable=False),
    sa.Column("search_name", sa.String(512)),  # folded name for search
    # Digest of the members' keys and versions, the survivorship rules and any override the
    # record was last built from: an equal digest means nothing to rebuild.
    sa.Column("build_hash", sa.String(32)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("retired_at", UtcDateTime()),
    sa.Index("ix_golden_records_entity_status", "entity_type", "status"),
    sa.Index("ix_golden_records_redirect_to", "redirect_to"),
)

golden_record_versions = sa.Table(
    "golden_record_versions",
    metadata,
    sa.Column("golden_id", sa.String(_SHORT), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("redirect_to", sa.String(_SHORT)),
    sa.Column("attributes", JSONType, nullable=False),
    sa.Column("provenance", JSONType, nullable=False),
    sa.Column("members", JSONType, nullable=False),
    sa.Column("change", sa.String(32), nullable=False),
    sa.Column("valid_from", UtcDateTime(), nullable=False),
    sa.Column("valid_to", UtcDateTime()),
    sa.Column("match_run_id", BigId),
)

xrefs = sa.Table(
    "xrefs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("entity_type", sa.String(_SHORT), nullable=False),
    sa.Column("system", sa.String(_SHORT), nullable=False),
    sa.Column("source_id", sa.String(_ID), nullable=False),
    sa.Column("golden_id", sa.String(_SHORT), nullable=False),
    sa.Column("valid_from", UtcDateTime(), nullable=False),
    sa.Column("valid_to", UtcDateTime()),
    sa.Column("match_run_id", BigId),
    sa.Index(
        "ux_xrefs_current",
        "entity_type",
        "system",
        "source_id",
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    ),
    sa.Index("ix_xrefs_golden", "golden_id"),
    sa.Index("ix_xrefs_key_history", "entity_type", "system", "source_id", "valid_from"),
)

golden_relationships = sa.Table(
    "golden_relationships",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("from_golden_id", sa.String(_SHORT), nullable=False),
    sa.Column("relation", sa.String(_SHORT), nullable=False),  # customer, parent, legal_entity
    sa.Column("to_golden_id", sa.String(_SHORT), nullable=False),
    sa.Column("evidence", JSONType, nullable=False),  # the source records that say so
    sa.Column("valid_from", UtcDateTime(), nullable=False),
    sa.Column("valid_to", UtcDateTime()),
    sa.Index("ix_golden_relationships_from", "from_golden_id"),
    sa.Index("ix_golden_relationships_to", "to_golden_id"),
)

id_counters = sa.Table(
    "id_counters",
    metadata,
    sa.Column("entity_type", sa.String(_SHORT), primary_key=True),
    sa.Column("next_value", sa.BigInteger(), nullable=False),
)

# --- publication, audit, security ----------------------------------------------------------

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("sequence", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_type", sa.String(_SHORT), nullable=False),
    sa.Column("entity_type", sa.String(_SHORT)),
    sa.Column("aggregate_id", sa.String(_ID)),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("actor", sa.String(_ID), nullable=False),
    sa.Column("correlation_id", sa.String(_SHORT), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(_ID), nullable=False),
    sa.Column("correlation_id", sa.String(_SHORT), nullable=False),
    sa.Column("action", sa.String(_SHORT), nullable=False),
    sa.Column("subject", sa.String(_ID)),
    sa.Column("details", JSONType),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(_SHORT), primary_key=True),  # public prefix shown to admins
    sa.Column("key_hash", sa.String(128), nullable=False),
    sa.Column("name", sa.String(255), nullable=False, server_default=""),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("systems", JSONType),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
)
