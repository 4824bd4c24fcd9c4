"""Flask commands: seed-demo, create-token (and the commands each capability adds)."""

import click
from flask import Flask

from consultation.accounts.service import create_user_with_token
from consultation.catalog.demo import seed_demo
from consultation.errors import ApiError
from consultation.extensions import db


def _fail(error: ApiError) -> None:
    details = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in error.errors.items())
    raise click.ClickException(f"{error.message} {details}".strip())


@click.command("seed-demo")
def seed_demo_command():
    """Load the 32 boroughs and the demo consultations (safe to run again)."""
    created = seed_demo(db.session)
    if created:
        click.echo(f"Created consultations: {', '.join(created)}")
    else:
        click.echo("Demo data already present; nothing to do.")


@click.command("create-token")
@click.option("--role", required=True, type=click.Choice(["admin", "reviewer", "organiser"]))
@click.option("--name", required=True, help="Who the token is for, e.g. 'Barking and Dagenham Council'.")
@click.option("--borough", "boroughs", multiple=True, help="GSS code an organiser may act for; repeatable.")
def create_token_command(role, name, boroughs):
    """Create a user and print their API token; it is shown once, as the last line."""
    try:
        user, token = create_user_with_token(db.session, name=name, role=role, borough_codes=boroughs)
    except ApiError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    scope = f" for {', '.join(boroughs)}" if boroughs else ""
    click.echo(f"Created {role} {user.name!r}{scope}. Store this token now; it will not be shown again:")
    click.echo(token)


def register_commands(app: Flask) -> None:
    for command in (seed_demo_command, create_token_command):
        app.cli.add_command(command)
