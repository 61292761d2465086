"""One-time recovery codes of a user's two-factor login (the TOTP secret itself is on User)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import TimestampMixin, db, intpk


class RecoveryCode(TimestampMixin, db.Model):
    """A code is random, so a SHA-256 of it is enough (no slow hash); used_at set once, by a conditional UPDATE."""
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]

    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)
