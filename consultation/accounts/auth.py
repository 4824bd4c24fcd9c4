"""Bearer authentication: who the request's API token belongs to."""

from flask import request

from consultation.accounts.models import User
from consultation.accounts.tokens import user_for_token
from consultation.errors import Unauthorized
from consultation.extensions import db

BEARER_SECURITY = [{"bearerAuth": []}]
# Cached on the request itself, not on `g`: an app context can outlive one request (tests, CLI).
_USER_KEY = "consultation.current_user"


def _token_from_header() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def optional_user() -> User | None:
    """The authenticated user, if the request carries a valid token; a bad token is still a 401."""
    if _USER_KEY in request.environ:
        return request.environ[_USER_KEY]
    user = None
    if request.headers.get("Authorization"):
        token = _token_from_header()
        user = user_for_token(db.session, token) if token else None
        if user is None:
            raise Unauthorized("The bearer token is missing, malformed, revoked or unknown.")
    request.environ[_USER_KEY] = user
    return user


def current_user() -> User:
    user = optional_user()
    if user is None:
        raise Unauthorized()
    return user
