"""product.search_text: the lowercased name, SKU and tags a catalog search reads (a stored generated column)

Revision ID: 5c1e9b7f3a20
Revises: 4b8f0d2c6e13
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e9b7f3a20'
down_revision = '4b8f0d2c6e13'
branch_labels = None
depends_on = None

SEARCH_TEXT = "lower(name || ' ' || sku || ' ' || tags)"


def upgrade():
    # SQLite cannot add a stored generated column to a table: recreate it there.
    with op.batch_alter_table('product', schema=None, recreate="auto" if op.get_context().dialect.name != "sqlite"
                              else "always") as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('search_text')
