"""foundation: source records, matching, golden records, outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 19:25:48.887908
"""

from alembic import op
import sqlalchemy as sa
import mdm.store._types
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('systems', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('golden_record_versions',
    sa.Column('golden_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('redirect_to', sa.String(length=64), nullable=True),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('provenance', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('members', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('change', sa.String(length=32), nullable=False),
    sa.Column('valid_from', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('match_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('golden_id', 'version', name=op.f('pk_golden_record_versions'))
    )
    op.create_table('golden_records',
    sa.Column('golden_id', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('redirect_to', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('provenance', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('search_name', sa.String(length=512), nullable=True),
    sa.Column('created_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('golden_id', name=op.f('pk_golden_records'))
    )
    with op.batch_alter_table('golden_records', schema=None) as batch_op:
        batch_op.create_index('ix_golden_records_entity_status', ['entity_type', 'status'], unique=False)
        batch_op.create_index('ix_golden_records_redirect_to', ['redirect_to'], unique=False)

    op.create_table('golden_relationships',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('from_golden_id', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=64), nullable=False),
    sa.Column('to_golden_id', sa.String(length=64), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('valid_from', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_golden_relationships'))
    )
    with op.batch_alter_table('golden_relationships', schema=None) as batch_op:
        batch_op.create_index('ix_golden_relationships_from', ['from_golden_id'], unique=False)
        batch_op.create_index('ix_golden_relationships_to', ['to_golden_id'], unique=False)

    op.create_table('id_counters',
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('next_value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('entity_type', name=op.f('pk_id_counters'))
    )
    op.create_table('ingestion_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=1024), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('onboarding_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingestion_batches'))
    )
    op.create_table('match_constraints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('left_system', sa.String(length=64), nullable=False),
    sa.Column('left_source_id', sa.String(length=255), nullable=False),
    sa.Column('right_system', sa.String(length=64), nullable=False),
    sa.Column('right_source_id', sa.String(length=255), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('created_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_constraints'))
    )
    op.create_table('match_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stats', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_runs'))
    )
    op.create_table('model_versions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('model', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('trained_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('training_stats', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions'))
    )
    op.create_table('outbox',
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=True),
    sa.Column('aggregate_id', sa.String(length=255), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sequence', name=op.f('pk_outbox'))
    )
    op.create_table('source_systems',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), server_default='', nullable=False),
    sa.Column('registered_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_source_systems'))
    )
    op.create_table('xrefs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('golden_id', sa.String(length=64), nullable=False),
    sa.Column('valid_from', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('match_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xrefs'))
    )
    with op.batch_alter_table('xrefs', schema=None) as batch_op:
        batch_op.create_index('ix_xrefs_golden', ['golden_id'], unique=False)
        batch_op.create_index('ix_xrefs_key_history', ['entity_type', 'system', 'source_id', 'valid_from'], unique=False)
        batch_op.create_index('ux_xrefs_current', ['entity_type', 'system', 'source_id'], unique=True, sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))

    op.create_table('candidate_pairs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('left_system', sa.String(length=64), nullable=False),
    sa.Column('left_source_id', sa.String(length=255), nullable=False),
    sa.Column('right_system', sa.String(length=64), nullable=False),
    sa.Column('right_source_id', sa.String(length=255), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=False),
    sa.Column('match_weight', sa.Float(), nullable=False),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('band', sa.String(length=16), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=True),
    sa.Column('review_status', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['match_runs.id'], name=op.f('fk_candidate_pairs_run_id_match_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_pairs'))
    )
    with op.batch_alter_table('candidate_pairs', schema=None) as batch_op:
        batch_op.create_index('ix_candidate_pairs_run_band', ['run_id', 'band'], unique=False)

    op.create_table('quarantined_rows',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('source_id', sa.String(length=255), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['ingestion_batches.id'], name=op.f('fk_quarantined_rows_batch_id_ingestion_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_rows'))
    )
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.create_index('ix_quarantined_rows_hash', ['system', 'entity_type', 'content_hash'], unique=False)
        batch_op.create_index('ix_quarantined_rows_system_entity', ['system', 'entity_type'], unique=False)

    op.create_table('source_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('needs_match', sa.Boolean(), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('issues', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_updated_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('ingested_at', mdm.store._types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', mdm.store._types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['ingestion_batches.id'], name=op.f('fk_source_records_batch_id_ingestion_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_records')),
    sa.UniqueConstraint('entity_type', 'system', 'source_id', 'version', name=op.f('uq_source_records_entity_type_system_source_id_version'))
    )
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.create_index('ix_source_records_batch', ['batch_id'], unique=False)
        batch_op.create_index('ux_source_records_current', ['entity_type', 'system', 'source_id'], unique=True, sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))



def downgrade() -> None:
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.drop_index('ux_source_records_current', sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))
        batch_op.drop_index('ix_source_records_batch')

    op.drop_table('source_records')
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantined_rows_system_entity')
        batch_op.drop_index('ix_quarantined_rows_hash')

    op.drop_table('quarantined_rows')
    with op.batch_alter_table('candidate_pairs', schema=None) as batch_op:
        batch_op.drop_index('ix_candidate_pairs_run_band')

    op.drop_table('candidate_pairs')
    with op.batch_alter_table('xrefs', schema=None) as batch_op:
        batch_op.drop_index('ux_xrefs_current', sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))
        batch_op.drop_index('ix_xrefs_key_history')
        batch_op.drop_index('ix_xrefs_golden')

    op.drop_table('xrefs')
    op.drop_table('source_systems')
    op.drop_table('outbox')
    op.drop_table('model_versions')
    op.drop_table('match_runs')
    op.drop_table('match_constraints')
    op.drop_table('ingestion_batches')
    op.drop_table('golden_relationships')
    op.drop_table('id_counters')
    with op.batch_alter_table('golden_records', schema=None) as batch_op:
        batch_op.drop_index('ix_golden_records_redirect_to')
        batch_op.drop_index('ix_golden_records_entity_status')

    op.drop_table('golden_records')
    op.drop_table('golden_record_versions')
    op.drop_table('audit_log')
    op.drop_table('api_keys')
