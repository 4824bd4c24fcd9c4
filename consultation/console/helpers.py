"""What the console's pages share: the template helpers, and the consultation a page is about."""

from flask import request
from flask_login import current_user

from consultation.accounts import permissions
from consultation.catalog.models import Consultation
from consultation.catalog.service import get_consultation
from consultation.clock import describe_london, iso_utc, to_london
from consultation.common import counted
from consultation.console.access import signed_in
from consultation.errors import ValidationFailed
from consultation.extensions import db
from consultation.reporting import service as reporting

STATUS_WORDS = {"open": "Open", "closed": "Closed", "not_open": "Not open yet"}


def london(moment) -> str:
    """'06 Oct 2017 17:29' in London time, as staff read a timestamp."""
    return f"{to_london(moment):%d %b %Y %H:%M}" if moment is not None else ""


def bar_width(value: float, largest: float, full: int = 150) -> int:
    """The length in pixels of an inline bar, at least 1 for a value above zero."""
    if not largest or not value:
        return 0
    return max(1, round(full * value / largest))


def page_helpers() -> dict:
    user = signed_in() if _signed_in() else None
    return {
        "london": london,
        "describe_london": describe_london,
        "iso_utc": iso_utc,
        "plural": counted,
        "bar_width": bar_width,
        "status_words": STATUS_WORDS,
        "is_staff": permissions.has_role(user, permissions.STAFF),
        "is_admin": permissions.has_role(user, permissions.ADMINS),
        "runs_petitions": permissions.has_role(user, permissions.OWNER_ROLES),
        "may_see_personal_data": permissions.has_role(user, permissions.PERSONAL_DATA_ROLES),
    }


def _signed_in() -> bool:
    return bool(current_user and current_user.is_authenticated)


def consultation_page(slug: str) -> Consultation:
    return get_consultation(db.session, slug)


def filters_from_request() -> tuple[reporting.ResponseFilters, dict]:
    """The explorer's filters from the query string, and field errors for any value no filter takes."""
    try:
        return reporting.ResponseFilters.from_args(request.args), {}
    except ValidationFailed as error:
        return reporting.ResponseFilters(), {field: messages[0] for field, messages in error.errors.items()}
