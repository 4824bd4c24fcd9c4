"""What every organiser page shares: the signed-in staff member, the London-time wording, reading a form's
fields into the plain values the services take, and turning a service's refusal into the form's error summary.

Pages are thin: they read the form, call the same service as the API (so the same rules apply) and show the
result. Who may see or change what is decided by the services and `accounts.permissions`, never here.
"""

from datetime import datetime

from flask import request
from flask_login import current_user
from marshmallow import Schema, ValidationError

from consultation.accounts.models import User
from consultation.clock import describe_london, london_wall_time
from consultation.errors import Forbidden, ValidationFailed


def staff_user() -> User:
    """The signed-in staff member (the sign-in check has run before any organiser page)."""
    return current_user._get_current_object()


def allowed(check, *args) -> bool:
    """Whether a service's permission check lets this through (to show or hide a link; the service still checks)."""
    try:
        check(*args)
    except Forbidden:
        return False
    return True


def london_text(moment: datetime | None) -> str:
    return f"{describe_london(moment)} (London time)" if moment else "not yet"


def form_list(name: str) -> list[str]:
    return [value.strip() for value in request.form.getlist(name) if value.strip()]


def london_field(prefix: str) -> datetime:
    """A London wall time from a date input and a time input (`<prefix>-date`, `<prefix>-time`); 422 if unreadable."""
    date_text = request.form.get(f"{prefix}-date", "").strip()
    time_text = request.form.get(f"{prefix}-time", "").strip() or "23:59"
    try:
        day = datetime.strptime(date_text, "%Y-%m-%d")
        clock = datetime.strptime(time_text, "%H:%M")
    except ValueError:
        raise ValidationFailed({prefix: ["Give a date (and a time) in London time."]}) from None
    return london_wall_time(day.year, day.month, day.day, clock.hour, clock.minute)


def load(schema: Schema, data: dict) -> dict:
    """The API's own schema checks a page's form, so a page accepts exactly what the API accepts."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ValidationFailed(_flatten(error.messages)) from None


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
