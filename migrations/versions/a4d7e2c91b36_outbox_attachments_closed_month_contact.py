"""Outbox attachments and language, the months the close ran for, a reseller's contact e-mail.

Revision ID: a4d7e2c91b36
Revises: 3e8a5c7d1f42
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = 'a4d7e2c91b36'
down_revision = '3e8a5c7d1f42'
branch_labels = None
depends_on = None


def upgrade():
    # Outbox attachments named on the row; the months the close has run for
    with op.batch_alter_table('outbox_email') as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attachment_kind', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attachment_id', sa.Integer(), nullable=True))
    op.create_table('closed_month',
                    sa.Column('period', sa.String(length=7), nullable=False),
                    sa.Column('closed_at', models.base.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('statements', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('period', name=op.f('pk_closed_month')))
    # The months closed before: those with statements
    op.execute("INSERT INTO closed_month (period, closed_at, statements) "
               "SELECT period, MIN(created_at), COUNT(*) FROM statement GROUP BY period")
    # The reseller's contact address, the Reply-To of its customers' activation e-mails
    with op.batch_alter_table('reseller') as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False))


def downgrade():
    # The reseller's contact address
    with op.batch_alter_table('reseller') as batch_op:
        batch_op.drop_column('contact_email')
    # The outbox and the close
    op.drop_table('closed_month')
    with op.batch_alter_table('outbox_email') as batch_op:
        batch_op.drop_column('attachment_id')
        batch_op.drop_column('attachment_kind')
        batch_op.drop_column('locale')
