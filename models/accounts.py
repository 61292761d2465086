"""Resellers (companies) and the people who log in."""
from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from models.base import TimestampMixin, db, intpk, str255
from models.types import enum_column


class ResellerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class Role(StrEnum):
    RESELLER = "reseller"
    STAFF = "staff"
    OPS = "ops"


class TeamRole(StrEnum):
    """What a reseller's user may do inside their company (staff and ops users carry ADMIN, unused)."""
    ADMIN = "admin"    # everything a buyer does, and manages the team (blueprints/team)
    BUYER = "buyer"    # orders, assignments, customers, provisioning
    VIEWER = "viewer"  # reads only: blueprints.guards.refuse_viewer_writes answers 403 to any write


class Reseller(TimestampMixin, db.Model):
    id: Mapped[intpk]
    name: Mapped[str255]
    tax_id: Mapped[str] = mapped_column(sa.String(40), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="UY")
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    status: Mapped[ResellerStatus] = enum_column(ResellerStatus, default=ResellerStatus.ACTIVE)
    # Every user of this reseller must log in with a second factor (services/accounts/two_factor.py).
    two_factor_required: Mapped[bool] = mapped_column(default=False, server_default=sa.text("false"))
    # Where its end customers' replies go (the Reply-To of their activation e-mails); empty: the assigning user.
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")

    users: Mapped[list[User]] = relationship(back_populates="reseller")

    @property
    def is_active(self) -> bool:
        return self.status is ResellerStatus.ACTIVE


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, TimestampMixin, db.Model):
    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = enum_column(Role)
    # Users that existed before team roles keep their full powers: the column's server default is admin.
    team_role: Mapped[TeamRole] = enum_column(TeamRole, default=TeamRole.ADMIN, server_default=TeamRole.ADMIN.value)
    reseller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reseller.id"), index=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie: rotating it ends every session of this user at once.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    last_login_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(sa.String(5))       # None: follow the browser
    timezone: Mapped[str | None] = mapped_column(sa.String(64))    # IANA name; None: set at first login
    # Part of every set-password link: a new link, a password set or a login replaces it (older links void).
    password_link_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    # Two-factor login (services/accounts/two_factor.py): the TOTP secret (None: not enrolled) and the last step used.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    reseller: Mapped[Reseller | None] = relationship(back_populates="users")
    # Units in the user's cart, when the loader asked for them (services.orders.cart.units_expression); else None.
    cart_units: Mapped[int | None] = query_expression()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.enabled

    @property
    def is_reseller(self) -> bool:
        return self.role is Role.RESELLER

    @property
    def is_staff(self) -> bool:
        return self.role is Role.STAFF

    @property
    def is_ops(self) -> bool:
        return self.role is Role.OPS

    @property
    def is_team_admin(self) -> bool:
        return self.role is Role.RESELLER and self.team_role is TeamRole.ADMIN

    @property
    def is_viewer(self) -> bool:
        return self.role is Role.RESELLER and self.team_role is TeamRole.VIEWER

    def end_sessions(self) -> None:
        self.session_token = new_session_token()
