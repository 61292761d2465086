"""`flask users create`: accounts for production, where there is no demo seed."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from models import Reseller, Role, db
from services import accounts

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
