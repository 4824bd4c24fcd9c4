"""Who may do what: every role, ownership and borough-scope rule in one place.

Routes, pages and services ask this module; none of them names a role list of its own (the architecture test
refuses a tuple of role names anywhere else).

- Roles: an admin runs the service; a reviewer works for the consulting body and reads every borough; an
  organiser (a council or an MP) acts only inside the boroughs their account is scoped to.
- Ownership: petitions and submissions belong to the organiser who made them. The owner or an admin may change
  one; the owner, reviewers and admins may read it; another organiser may do neither.
- Stations: a list of station slugs is resolved one way everywhere: unknown slugs are a validation error naming
  them all, a slug given twice counts once (first place kept), and a station outside the caller's boroughs is 403.
"""

from collections.abc import Iterable
from copy import deepcopy
from functools import wraps
from typing import Protocol

from consultation.accounts.auth import BEARER_SECURITY, current_user
from consultation.errors import Forbidden, ValidationFailed

ADMIN = "admin"
REVIEWER = "reviewer"
ORGANISER = "organiser"
ROLES = (ADMIN, REVIEWER, ORGANISER)

ADMINS = (ADMIN,)
# The consulting body: codes responses, imports paper and email, reads every borough.
STAFF = (ADMIN, REVIEWER)
# Everyone with an account; organisers are held to their boroughs by the scope rules below.
READERS = (ADMIN, REVIEWER, ORGANISER)
# Who runs petitions and draws up submissions.
OWNER_ROLES = (ORGANISER, ADMIN)
# Who may read respondents' personal data (names, emails, postcodes), and only when they ask for it.
PERSONAL_DATA_ROLES = (REVIEWER, ADMIN)


class Owned(Protocol):
    owner_id: int


class Located(Protocol):
    slug: str
    borough_id: int


def has_role(user, roles: Iterable[str]) -> bool:
    return user is not None and user.role in roles


def ensure_role(user, roles: tuple[str, ...]) -> None:
    if not has_role(user, roles):
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")


def requires(roles: tuple[str, ...]):
    """View decorator: 401 without a valid token, 403 for a role not in `roles`; documents both in OpenAPI."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            ensure_role(current_user(), roles)
            return view(*args, **kwargs)

        # flask-smorest reads `_apidoc["manual_doc"]` into the operation, as `Blueprint.doc(...)` would write it.
        apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        manual["security"] = BEARER_SECURITY
        manual["x-roles"] = list(roles)
        wrapper._apidoc = apidoc
        return wrapper

    return decorator


# Borough scope ------------------------------------------------------------------------------------------------


def visible_borough_ids(user) -> set[int] | None:
    """The boroughs this user may see; None means every borough."""
    if user is None or user.role != ORGANISER:
        return None
    return user.borough_ids


def may_see_borough(user, borough_id: int) -> bool:
    visible = visible_borough_ids(user)
    return visible is None or borough_id in visible


def ensure_borough_access(user, borough_id: int) -> None:
    """Organisers act only inside their boroughs; admins and reviewers see every borough."""
    if not may_see_borough(user, borough_id):
        raise Forbidden("Your account is not scoped to this borough.")


# Ownership ----------------------------------------------------------------------------------------------------


def is_owner(user, thing: Owned) -> bool:
    return user is not None and user.role in OWNER_ROLES and thing.owner_id == user.id


def may_read_owned(user, thing: Owned) -> bool:
    return has_role(user, STAFF) or is_owner(user, thing)


def may_change_owned(user, thing: Owned) -> bool:
    return has_role(user, ADMINS) or is_owner(user, thing)


def ensure_may_read(user, thing: Owned, what: str) -> None:
    if not may_read_owned(user, thing):
        raise Forbidden(f"This {what} belongs to another organiser.")


def ensure_may_change(user, thing: Owned, what: str) -> None:
    if not may_change_owned(user, thing):
        raise Forbidden(f"Only the {what}'s owner (or an admin) may do this.")


def ensure_only_owner(user, thing: Owned, what: str) -> None:
    """For what carries personal data the owner collected: not even an admin, only the owner."""
    if not (user is not None and user.role == ORGANISER and thing.owner_id == user.id):
        raise Forbidden(f"Only the {what}'s owner may do this.")


def owner_filter(user) -> int | None:
    """The owner id a listing is limited to: organisers list their own, staff list everything (None)."""
    return user.id if user is not None and user.role == ORGANISER else None


# Stations -----------------------------------------------------------------------------------------------------


def resolve_stations(user, stations: Iterable[Located], slugs: Iterable[str], *, field: str = "stations") -> list:
    """The stations named by `slugs`, in order, each once; unknown names are a 422, out-of-scope ones a 403."""
    by_slug = {station.slug: station for station in stations}
    wanted = list(dict.fromkeys(slugs))
    unknown = [slug for slug in wanted if slug not in by_slug]
    if unknown:
        raise ValidationFailed({field: [f"No station {', '.join(map(repr, unknown))} in this consultation."]})
    if not wanted:
        raise ValidationFailed({field: ["Choose at least one station."]})
    chosen = [by_slug[slug] for slug in wanted]
    for station in chosen:
        if not may_see_borough(user, station.borough_id):
            raise Forbidden(f"Station {station.slug!r} is outside the boroughs your account is scoped to.")
    return chosen
