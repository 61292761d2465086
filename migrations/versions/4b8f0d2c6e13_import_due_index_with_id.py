"""import due index on (status, run_at, id): a claim reads its batch in index order

PostgreSQL used (status, run_at) and then sorted every due row by id to take a batch: with 10,000
imports due in the same second, each claim read and sorted all that were left.

Revision ID: 4b8f0d2c6e13
Revises: 1097ccdff461
Create Date: 2026-11-22 22:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4b8f0d2c6e13'
down_revision = '1097ccdff461'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import', schema=None) as batch_op:
        batch_op.drop_index('ix_import_due')
        batch_op.create_index('ix_import_due', ['status', 'run_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('import', schema=None) as batch_op:
        batch_op.drop_index('ix_import_due')
        batch_op.create_index('ix_import_due', ['status', 'run_at'], unique=False)
