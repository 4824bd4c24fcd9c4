"""The resident form: field names and ids, reading a submitted form, and placing service errors on fields.

The questionnaire is data, so the form is built from it rather than declared as a WTForms class; Flask-WTF
still guards every POST with its CSRF token. The rules (required answers, valid options, lengths, the
deadline) live in the intake service; this module only translates between HTML fields and its arguments.
"""

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from consultation.catalog.models import Question

RESPONDENT_FIELDS = ("name", "email", "postcode", "respondent_type")
RESPONDENT_TYPE_LABELS = {
    "resident": "A resident",
    "business": "A business",
    "organisation": "A community group or other organisation",
    "elected_representative": "An elected representative (for example a councillor or MP)",
}
CONSENT_FIELD = "consent-to-publish"
REFERENCE_FIELD = "reference"
EDIT_CODE_FIELD = "edit-code"
WITHDRAW_FIELD = "confirm-withdraw"
WRONG_PAIR = "The reference or edit code is not right"
WITHDRAW_UNCONFIRMED = "Select the box to confirm that you want to withdraw your response"


def answer_field(code: str) -> str:
    """The form field name, and the id of the first input, for a question."""
    return f"answer-{code}"


def respondent_field(name: str) -> str:
    return "respondent-" + name.replace("_", "-")


def option_id(base: str, index: int) -> str:
    """GOV.UK convention: the first option carries the field's own id, so error links land on it."""
    return base if index == 0 else f"{base}-{index + 1}"


@dataclass
class FormState:
    """What the resident entered, as the service wants it and as the template re-displays it."""

    answers: dict = field(default_factory=dict)
    respondent: dict | None = None
    consent_to_publish: bool = False
    values: dict = field(default_factory=dict)


def read_form(questions: list[Question], form: MultiDict) -> FormState:
    """Turn posted fields into answers; unanswered questions are left out so the service can require them."""
    state = FormState()
    for question in questions:
        name = answer_field(question.code)
        if question.kind == "multiple_choice":
            chosen = [value for value in form.getlist(name) if value]
            state.values[name] = chosen
            if chosen:
                state.answers[question.code] = chosen
        else:
            value = form.get(name, "")
            state.values[name] = value
            if value.strip():
                state.answers[question.code] = value
    respondent = {}
    for key in RESPONDENT_FIELDS:
        name = respondent_field(key)
        value = form.get(name, "").strip()
        state.values[name] = value
        if value:
            respondent[key] = value
    state.respondent = respondent or None
    state.consent_to_publish = form.get(CONSENT_FIELD) == "yes"
    state.values[CONSENT_FIELD] = state.consent_to_publish
    return state


def values_from_answers(questions: list[Question], answer_values: dict, consent_to_publish: bool) -> dict:
    """A stored response's answers as the form's field values, so the questionnaire shows them pre-filled."""
    values: dict = {CONSENT_FIELD: bool(consent_to_publish)}
    for question in questions:
        value = answer_values.get(question.code)
        if value is None:
            continue
        if question.kind == "multiple_choice":
            values[answer_field(question.code)] = list(value) if isinstance(value, list | tuple) else [value]
        else:
            values[answer_field(question.code)] = str(value)
    return values


@dataclass
class ErrorItem:
    message: str
    href: str | None


RESPONDENT_LABELS = {
    "name": "Full name",
    "email": "Email address",
    "postcode": "Postcode",
    "respondent_type": "Who are you responding as?",
}


def place_errors(questions: list[Question], errors: dict, state: FormState) -> tuple[list[ErrorItem], dict[str, str]]:
    """The error summary (in page order, each linking to its field) and the message shown at each field.

    A required question left unanswered gets a message saying what to do, in the words of its input; other
    messages are the service's own. The summary names the field, since it is read away from the field.
    """
    labels = {answer_field(question.code): question.prompt for question in questions}
    labels.update({respondent_field(key): label for key, label in RESPONDENT_LABELS.items()})
    unanswered = {
        answer_field(question.code): _unanswered_message(question)
        for question in questions
        if question.required and question.code not in state.answers
    }
    by_field: dict[str, str] = {}
    unplaced: list[ErrorItem] = []
    for key, messages in errors.items():
        field_name = _field_for_error_key(key)
        if field_name in labels:
            by_field.setdefault(field_name, unanswered.get(field_name) or _first_message(messages))
        else:
            unplaced.append(ErrorItem(_first_message(messages), None))
    summary = [
        ErrorItem(_summary_message(labels[name], by_field[name], name in unanswered), "#" + name)
        for name in labels
        if name in by_field
    ]
    return summary + unplaced, by_field


def check_edit_pair(form: MultiDict) -> tuple[str, str, list[ErrorItem], dict[str, str]]:
    """The reference and edit code a resident typed, and what is missing: a message for each empty field."""
    reference = form.get(REFERENCE_FIELD, "").strip()
    edit_code = form.get(EDIT_CODE_FIELD, "").strip()
    by_field = {}
    if not reference:
        by_field[REFERENCE_FIELD] = "Enter your reference number"
    if not edit_code:
        by_field[EDIT_CODE_FIELD] = "Enter your edit code"
    summary = [ErrorItem(message, "#" + name) for name, message in by_field.items()]
    return reference, edit_code, summary, by_field


def _unanswered_message(question: Question) -> str:
    if question.kind == "multiple_choice":
        return "Select at least one answer."
    if question.kind == "free_text":
        return "Enter an answer."
    return "Select an answer."


def _summary_message(label: str, message: str, unanswered: bool) -> str:
    if unanswered:
        return f"{message[:-1]} to: {label}"
    return f"{label} {message}" if label.endswith("?") else f"{label}: {message}"


def _field_for_error_key(key: str) -> str | None:
    section, _, rest = key.partition(".")
    if section == "answers" and rest:
        return answer_field(rest.split(".")[0])
    if section == "respondent" and rest:
        return respondent_field(rest.split(".")[0])
    return None


def _first_message(messages) -> str:
    if isinstance(messages, list | tuple):
        return str(messages[0]) if messages else "This answer is not valid."
    if isinstance(messages, dict):
        return _first_message(next(iter(messages.values()), []))
    return str(messages)
