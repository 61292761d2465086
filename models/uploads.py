"""An uploaded CSV of accounts, kept server-side between the preview and "Run import"."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import TimestampMixin, db, intpk, str255


class ImportUpload(TimestampMixin, db.Model):
    """The parsed rows of one uploaded file (header + values as typed), tied to its reseller and user.

    `import_id` is set once, by a conditional UPDATE, when the upload is run: a double submit or a second
    "Run import" of the same upload never starts a second import.
    """

    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # "customers" or "subscriptions"
    filename: Mapped[str255]
    size: Mapped[int]
    header: Mapped[list[str]] = mapped_column(sa.JSON)
    rows: Mapped[list[list[str]]] = mapped_column(sa.JSON)
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import.id"), unique=True)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def values(self, index: int) -> dict[str, Any]:
        """Row `index` (0-based) as column -> value."""
        return dict(zip(self.header, self.rows[index], strict=False))
