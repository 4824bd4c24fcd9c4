"""Signing in with an emailed one-time link, and signing out.

The form answers the same for any address; the emailed link opens a page whose button POSTs (mail scanners
follow links); both the form and the button are rate limited, per client address and per email address.
"""

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from consultation.accounts import sign_in as links
from consultation.clock import arrival_time, iso_utc
from consultation.console.access import NOTICE_KEY, SEEN_KEY, safe_next, sign_out
from consultation.errors import ValidationFailed
from consultation.extensions import db, limiter
from consultation.mail import current_settings

EMAIL_FIELD = "email"
ASKED_KEY = "staff_sign_in_asked"
NEXT_KEY = "staff_next"


def _email_key() -> str:
    return "staff-sign-in:" + request.form.get(EMAIL_FIELD, "").strip().lower()


per_address = limiter.shared_limit(
    lambda: current_app.config["STAFF_SIGN_IN_RATE_LIMIT"], scope="staff-sign-in", methods=["POST"]
)
per_email = limiter.limit(lambda: current_app.config["STAFF_SIGN_IN_RATE_LIMIT"], key_func=_email_key, methods=["POST"])


@per_address
@per_email
def sign_in():
    """Asks for an email address and sends a one-time link to it if it has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("console.home"))
    if request.method != "POST":
        session[NEXT_KEY] = safe_next(request.args.get("next"))
        return render_template("console/sign_in.html", notice=session.pop(NOTICE_KEY, None))
    email = request.form.get(EMAIL_FIELD, "")
    try:
        links.request_link(
            db.session,
            email,
            base_url=current_app.config["PUBLIC_BASE_URL"],
            mail=current_settings(),
            at=arrival_time(),
        )
    except ValidationFailed as error:
        db.session.rollback()
        message = error.errors[EMAIL_FIELD][0]
        return render_template("console/sign_in.html", email=email, error=message), 422
    session[ASKED_KEY] = email.strip()
    return redirect(url_for("console.check_email"), code=303)


def check_email():
    """The same page whether or not the address has an account."""
    return render_template("console/check_email.html", email=session.get(ASKED_KEY))


STATUSES = {"valid": 200, "used": 410, "expired": 410, "unknown": 404}


@per_address
def use_link(token: str):
    """GET shows a button and spends nothing; the button's POST signs in."""
    at = arrival_time()
    if request.method != "POST":
        found = links.check_link(db.session, token, at)
        return render_template("console/use_link.html", outcome=found.outcome), STATUSES[found.outcome]
    found = links.redeem_link(db.session, token, at)
    if found.outcome != "valid":
        return render_template("console/use_link.html", outcome=found.outcome), STATUSES[found.outcome]
    target = session.get(NEXT_KEY)
    session.clear()  # nothing from before signing in carries over into the signed-in session
    login_user(found.user)
    session[SEEN_KEY] = iso_utc(at)
    return redirect(safe_next(target), code=303)


def sign_out_view():
    sign_out("You have signed out.")
    return redirect(url_for("console.sign_in"), code=303)
