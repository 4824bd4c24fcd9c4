"""Commands for staff accounts: create a user who signs in to the console, and print a sign-in link for one.

Links are built from PUBLIC_BASE_URL (in development, the address `make run` serves)."""

import click
from flask import current_app
from sqlalchemy import select

from consultation.accounts import sign_in as links
from consultation.accounts.models import User
from consultation.accounts.permissions import ADMIN, ORGANISER, REVIEWER, ROLES
from consultation.accounts.service import create_user, normalise_email
from consultation.clock import now
from consultation.errors import ApiError
from consultation.extensions import db

# The demo's staff, one of each role; the organiser acts for Barking and Dagenham, and is the account that owns the
# demo petition and submission when those were seeded first (same name and role, no address yet).
DEMO_STAFF = (
    ("reviewer@demo.example", "Demo reviewer", REVIEWER, ()),
    ("organiser@demo.example", "Barking and Dagenham demo organiser", ORGANISER, ("E09000002",)),
    ("admin@demo.example", "Demo admin", ADMIN, ()),
)


def _fail(error: ApiError) -> None:
    details = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in error.errors.items())
    raise click.ClickException(f"{error.message} {details}".strip())


def _link_for(user) -> str:
    token = links.issue_link(db.session, user, now())
    db.session.commit()
    return links.sign_in_url(current_app.config["PUBLIC_BASE_URL"], token)


@click.command("create-user")
@click.option("--email", required=True, help="The address they sign in with.")
@click.option("--name", required=True, help="Their name, as the console shows it.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--borough", "boroughs", multiple=True, help="GSS code an organiser acts for; repeatable.")
def create_user_command(email, name, role, boroughs):
    """Create a staff user and print a first sign-in link (it works once, within 15 minutes)."""
    try:
        user = create_user(db.session, None, name=name, role=role, borough_codes=boroughs, email=email)
    except ApiError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    click.echo(f"Created {role} {user.name!r} <{user.email}>. Their first sign-in link (once, within 15 minutes):")
    click.echo(_link_for(user))


@click.command("sign-in-link")
@click.option("--email", required=True, help="The staff member's address.")
def sign_in_link_command(email):
    """Print a one-time sign-in link for an active staff user (for the demo, or when mail is not set up)."""
    try:
        address = normalise_email(email)
    except ApiError as error:
        _fail(error)
    user = links.active_user_by_email(db.session, address)
    if user is None:
        raise click.ClickException(f"No active staff user with the address {address}.")
    click.echo(_link_for(user))


def seed_demo_staff(session) -> list[str]:
    """The demo reviewer, organiser and admin, unless they exist; returns the addresses created."""
    created = []
    for email, name, role, boroughs in DEMO_STAFF:
        if links.active_user_by_email(session, email) is not None:
            continue
        existing = session.scalar(select(User).where(User.name == name, User.role == role, User.email.is_(None)))
        if existing is not None:
            existing.email = normalise_email(email)
        else:
            create_user(session, None, name=name, role=role, borough_codes=boroughs, email=email)
        created.append(email)
    session.commit()
    return created


COMMANDS = (create_user_command, sign_in_link_command)
