"""Admins manage staff: invite (an account and a first sign-in link by email), change a role or boroughs, and
deactivate (the user's sessions and tokens stop working on their next request)."""

from flask import current_app, redirect, render_template, request, url_for

from consultation.accounts import permissions
from consultation.accounts import service as accounts
from consultation.accounts import sign_in as links
from consultation.boroughs import Borough
from consultation.clock import arrival_time
from consultation.console.access import signed_in, staff_page
from consultation.errors import ApiError
from consultation.extensions import db
from consultation.mail import current_settings


def _page(**extra):
    boroughs = db.session.query(Borough).order_by(Borough.name).all()
    return render_template(
        "console/users.html",
        users=accounts.list_users(db.session),
        boroughs=boroughs,
        roles=permissions.ROLES,
        **extra,
    )


@staff_page(permissions.ADMINS)
def users():
    return _page(done=request.args.get("done"))


@staff_page(permissions.ADMINS)
def invite():
    """Create the account and email its first sign-in link."""
    form = request.form
    try:
        user = accounts.create_user(
            db.session,
            signed_in(),
            name=form.get("name", ""),
            role=form.get("role", ""),
            borough_codes=form.getlist("boroughs"),
            email=form.get("email", ""),
        )
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        errors = {field: messages[0] for field, messages in error.errors.items()} or {"email": error.message}
        return _page(errors=errors, form=form), error.status
    links.request_link(
        db.session,
        user.email,
        base_url=current_app.config["PUBLIC_BASE_URL"],
        mail=current_settings(),
        at=arrival_time(),
    )
    return redirect(url_for("console.users", done="invited"), code=303)


@staff_page(permissions.ADMINS)
def update_user(user_id: int):
    form = request.form
    try:
        accounts.update_user(
            db.session,
            signed_in(),
            user_id,
            role=form.get("role", ""),
            borough_codes=form.getlist("boroughs"),
            is_active=form.get("active") == "yes",
        )
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        errors = {field: messages[0] for field, messages in error.errors.items()} or {"user": error.message}
        return _page(errors=errors), error.status
    return redirect(url_for("console.users", done="updated"), code=303)
