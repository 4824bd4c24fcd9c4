"""API tokens for programs: a signed-in user creates and revokes their own; a new token is shown once."""

from flask import redirect, render_template, url_for

from consultation.accounts import service as accounts
from consultation.console.access import signed_in, staff_page
from consultation.extensions import db


@staff_page()
def tokens():
    return render_template("console/tokens.html", tokens=accounts.list_tokens(db.session, signed_in()))


@staff_page()
def create_token():
    """The new token is rendered into this one response and never stored in plain anywhere."""
    user = signed_in()
    token = accounts.create_token(db.session, user)
    page = render_template("console/tokens.html", tokens=accounts.list_tokens(db.session, user), new_token=token)
    return page, 201, {"Cache-Control": "no-store"}


@staff_page()
def revoke_token(token_id: int):
    revoked = accounts.revoke_token(db.session, signed_in(), token_id)
    return redirect(url_for("console.tokens", revoked=1 if revoked else 0), code=303)
