"""`flask demo seed` and `flask dev` (the whole stack in one command)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from devstack.supervisor import Supervisor
from models import db
from services import demo

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
def seed() -> None:
    """Create the demo resellers, logins, catalog and customers (idempotent)."""
    demo.seed()
    db.session.commit()
    click.echo("Demo data is in place.")


@click.command("dev")
@click.option("--port", envvar="PORT", default=5000, show_default=True)
def dev_command(port: int) -> None:
    """Run web, worker, scheduler, embedded Redis and the mail catcher until Ctrl-C."""
    Supervisor(current_app._get_current_object(), port).run()
