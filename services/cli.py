"""`flask users create`: accounts for production, where there is no demo seed."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from models import Reseller, Role, db
from services.accounts import accounts

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--reseller", "reseller_name", help="Legal name of the reseller (created if new); resellers only.")
@click.option("--name", default="", help="The person's name.")
@click.password_option(prompt="Password")
def create(email: str, role: str, reseller_name: str | None, name: str, password: str) -> None:
    """Create a user with EMAIL; asks for the password."""
    reseller = None
    if reseller_name:
        reseller = db.session.scalar(sa.select(Reseller).where(Reseller.name == reseller_name))
        if reseller is None:
            reseller = Reseller(name=reseller_name)
            db.session.add(reseller)
    try:
        user = accounts.create_user(email, password, Role(role), reseller=reseller, name=name)
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} user {user.email}.")


@users_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Clear the two-factor login of the user with EMAIL (a lost phone); audited. For staff and ops, who have
    no staff page of their own; reseller users are reset from their reseller's admin page."""
    from services.accounts import two_factor

    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No user with the e-mail {email}.")
    try:
        two_factor.reset_two_factor(user, None)
    except two_factor.TwoFactorError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Two-factor login of {user.email} is reset; they set it up again at their next login.")
