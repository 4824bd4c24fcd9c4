"""What every organiser page shares: the signed-in staff member, the London-time wording, reading a form's
fields into the plain values the services take, and turning a service's refusal into the form's error summary.

Pages are thin: they read the form, call the same service as the API (so the same rules apply) and show the
result. Who may see or change what is decided by the services and `accounts.permissions`, never here.
"""

from datetime import datetime

from flask import request
from marshmallow import Schema, ValidationError

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.clock import describe_london, london_wall_time
from consultation.console.access import signed_in
from consultation.errors import ValidationFailed


def staff_user() -> User:
    """The signed-in staff member (the sign-in check has run before any organiser page)."""
    return signed_in()


def listing_owner(user: User) -> User | None:
    """Whose petitions a listing shows: an organiser's own; everyone's (None) for staff of the consulting body."""
    return user if permissions.owner_filter(user) is not None else None


def visible_stations(user: User, stations) -> list:
    """The stations in the boroughs this user may act in, in the order given."""
    return [station for station in stations if permissions.may_see_borough(user, station.borough_id)]


def london_text(moment: datetime | None) -> str:
    return f"{describe_london(moment)} (London time)" if moment else "not yet"


def form_list(name: str) -> list[str]:
    return [value.strip() for value in request.form.getlist(name) if value.strip()]


def london_field(prefix: str, default_time: str = "00:00") -> datetime:
    """A London wall time from a date input and a time input (`<prefix>-date`, `<prefix>-time`, the time
    `default_time` when left empty); 422 if unreadable."""
    date_text = request.form.get(f"{prefix}-date", "").strip()
    time_text = request.form.get(f"{prefix}-time", "").strip() or default_time
    try:
        day = datetime.strptime(date_text, "%Y-%m-%d")
        clock = datetime.strptime(time_text, "%H:%M")
    except ValueError:
        raise ValidationFailed({prefix: ["Give a date (and a time) in London time."]}) from None
    return london_wall_time(day.year, day.month, day.day, clock.hour, clock.minute)


def load(schema: Schema, data: dict, moments: dict[str, str | tuple[str, str]] | None = None) -> dict:
    """The API's own schema checks a page's form, so a page accepts exactly what the API accepts. `moments` maps
    a schema field to the prefix of its date and time inputs (London time), or to (prefix, time when left empty);
    every problem is reported at once."""
    errors: dict[str, list[str]] = {}
    data = dict(data)
    for name, moment in (moments or {}).items():
        prefix, default_time = moment if isinstance(moment, tuple) else (moment, "00:00")
        try:
            data[name] = london_field(prefix, default_time).isoformat()
        except ValidationFailed as error:
            errors.update(error.errors)
    try:
        loaded = schema.load(data)
    except ValidationError as error:
        problems = _flatten(error.messages)
        errors.update({key: texts for key, texts in problems.items() if key not in (moments or {})})
    if errors:
        raise ValidationFailed(errors)
    return loaded


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            for inner, texts in _flatten(value, f"{name}.").items():
                flat.setdefault(inner, []).extend(texts)
        else:
            flat.setdefault(name, []).extend(value if isinstance(value, list) else [str(value)])
    return flat


def error_summary(errors: dict[str, list[str]], field_ids: dict[str, str]) -> tuple[list[dict], dict[str, str]]:
    """The summary's items (message and link) and each field's first message, by the field's HTML id."""
    field_errors: dict[str, str] = {}
    summary = []
    for key, texts in errors.items():
        field_id = field_ids.get(key) or field_ids.get(key.split(".")[0]) or next(iter(field_ids.values()))
        message = texts[0] if texts else "Check this answer."
        if field_id not in field_errors:
            field_errors[field_id] = message
        summary.append({"message": message, "href": f"#{field_id}"})
    return summary, field_errors
