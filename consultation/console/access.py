"""Who is signed in to the console, and the one decorator every console page wears.

Sessions are Flask-Login's: a signed cookie (HttpOnly, SameSite=Lax, Secure in production) naming the user.
Every request loads the user again, so a deactivated user is signed out on their next request, and a session
idle for longer than STAFF_IDLE_MINUTES is ended. Which roles may open a page, and which boroughs and objects
a user may see, are asked of accounts.permissions, the same rules as the API's.
"""

from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.clock import as_utc, iso_utc, now
from consultation.extensions import db

login_manager = LoginManager()
login_manager.login_view = "console.sign_in"
login_manager.login_message = None
SEEN_KEY = "staff_seen_at"
NOTICE_KEY = "staff_notice"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


def signed_in() -> User:
    """The signed-in user as a plain User (services take that, not Flask-Login's proxy)."""
    return current_user._get_current_object()


def end_idle_sessions() -> None:
    """Before every console request: sign out a session idle past the limit, else note this request's time."""
    # Load the user afresh for this request, even where an app context outlives requests (tests, commands):
    # a user deactivated a moment ago must not ride on a cached object.
    g.pop("_login_user", None)
    if not current_user.is_authenticated:
        return
    at = now()
    seen = session.get(SEEN_KEY)
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    if seen is not None and at - as_utc(datetime.fromisoformat(seen)) > idle:
        sign_out("You were signed out after a time without activity. Sign in again to go on.")
        return
    session[SEEN_KEY] = iso_utc(at)


def sign_out(notice: str | None = None) -> None:
    logout_user()
    session.clear()
    if notice:
        session[NOTICE_KEY] = notice


def staff_page(roles: tuple[str, ...] = permissions.READERS):
    """Signed in, or sent to the sign-in page; then one of `roles`, or a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
            permissions.ensure_role(signed_in(), roles)
            return view(*args, **kwargs)

        wrapper.console_roles = roles
        return wrapper

    return decorator


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path inside the console, never another site."""
    if target and target.startswith("/staff/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.home")
