"""Staff accounts from the command line: create-user prints a first sign-in link; sign-in-link prints another."""

import re

from sqlalchemy import select

from consultation.accounts.models import User
from consultation.extensions import db

LINK = re.compile(r"^http://localhost/staff/sign-in/[A-Za-z0-9_-]+$", re.M)


def test_create_user_stores_a_normalised_address_and_prints_a_working_link(runner, client, boroughs):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            " Ann@Example.ORG",
            "--name",
            "Ann",
            "--role",
            "organiser",
            "--borough",
            "E09000002",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ann@example.org"))
    assert user.role == "organiser" and [b.gss_code for b in user.boroughs] == ["E09000002"]
    link = LINK.search(result.output).group(0)
    assert client.post(link.removeprefix("http://localhost")).status_code == 303


def test_create_user_refuses_a_taken_address_with_a_sentence(runner, boroughs):
    runner.invoke(args=["create-user", "--email", "ann@example.org", "--name", "Ann", "--role", "reviewer"])
    again = runner.invoke(args=["create-user", "--email", "ANN@example.org", "--name", "Ann", "--role", "reviewer"])
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert "Traceback" not in again.output


def test_sign_in_link_prints_a_link_for_an_active_user_only(runner, boroughs):
    runner.invoke(args=["create-user", "--email", "ann@example.org", "--name", "Ann", "--role", "reviewer"])
    assert LINK.search(runner.invoke(args=["sign-in-link", "--email", "ann@example.org"]).output)
    missing = runner.invoke(args=["sign-in-link", "--email", "bob@example.org"])
    assert missing.exit_code != 0 and "No active staff user" in missing.output


def test_the_demo_organiser_who_signs_in_owns_the_demo_petition_and_submission(full_demo):
    from consultation.petitions.models import Petition
    from consultation.submissions.models import Submission

    organiser = db.session.scalar(select(User).where(User.email == "organiser@demo.example"))
    assert organiser is not None and organiser.role == "organiser"
    assert db.session.scalars(select(Petition.owner_id)).all() == [organiser.id]
    assert set(db.session.scalars(select(Submission.owner_id))) == {organiser.id}
