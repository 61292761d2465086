"""Small column helpers shared by the models."""
from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column


def enum_column(enum: type[StrEnum], **kwargs: Any):
    """A StrEnum stored as its value in a plain VARCHAR (no native enum types to migrate)."""
    return mapped_column(
        sa.Enum(enum, native_enum=False, create_constraint=False, length=20,
                values_callable=lambda e: [m.value for m in e]),
        **kwargs,
    )
