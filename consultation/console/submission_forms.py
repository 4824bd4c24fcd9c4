"""The submission editor's form, read into what the API takes: addressee, organisation, signatory, stations,
sections (heading and body, in order), petitions to bundle and whether to include the response figures.

Sections come as numbered pairs of fields; a pair left empty is dropped, so the form can always offer blank
ones to fill in without JavaScript.
"""

from werkzeug.datastructures import MultiDict

from consultation.submissions.schemas import MAX_SECTIONS

BLANK_SECTIONS = 2
FIELD_IDS = {
    "consultation": "consultation",
    "title": "title",
    "addressed_to": "addressed-to",
    "organisation": "organisation",
    "signatory.name": "signatory-name",
    "signatory.role": "signatory-role",
    "signatory": "signatory-name",
    "stations": "stations",
    "petitions": "petitions",
    "sections": "section-1-heading",
    "include_aggregates": "include-aggregates",
}


def _sections(form: MultiDict) -> list[dict]:
    sections = []
    for number in range(1, MAX_SECTIONS + BLANK_SECTIONS + 1):
        heading = form.get(f"section-{number}-heading", "").strip()
        body = form.get(f"section-{number}-body", "").strip()
        if heading or body:
            sections.append({"heading": heading, "body": body})
    return sections


def _petition_ids(form: MultiDict) -> list[int]:
    ids = []
    for value in form.getlist("petitions"):
        if value.strip().isdigit() and len(value.strip()) < 10:
            ids.append(int(value))
    return ids


def read_form(form: MultiDict) -> dict:
    """The API's body for this form (the schema then checks it, as it checks the API's)."""
    return {
        "title": form.get("title", "").strip(),
        "addressed_to": form.get("addressed-to", "").strip(),
        "organisation": form.get("organisation", "").strip(),
        "signatory": {"name": form.get("signatory-name", "").strip(), "role": form.get("signatory-role", "").strip()},
        "stations": [value for value in form.getlist("stations") if value.strip()],
        "sections": _sections(form),
        "petitions": _petition_ids(form),
        "include_aggregates": form.get("include-aggregates") == "yes",
    }


def values_of(submission) -> dict:
    """The form's values for a stored submission, in the shape `read_form` gives."""
    return {
        "title": submission.title,
        "addressed_to": submission.addressed_to,
        "organisation": submission.organisation,
        "signatory": {"name": submission.signatory_name, "role": submission.signatory_role},
        "stations": list(submission.stations),
        "sections": [dict(section) for section in submission.sections],
        "petitions": list(submission.petition_ids),
        "include_aggregates": submission.include_aggregates,
    }


def section_slots(sections: list[dict]) -> list[dict]:
    """The sections to show: every one written so far and a few blank ones."""
    return [*sections, *({"heading": "", "body": ""} for _ in range(BLANK_SECTIONS))][: MAX_SECTIONS + BLANK_SECTIONS]
