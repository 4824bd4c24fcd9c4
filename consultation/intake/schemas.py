"""Input and output schemas for responses: submitting, amending, reading and importing."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from consultation.clock import describe_london, iso_utc, to_london
from consultation.common import IMPORT_MODES, InstantField
from consultation.intake.models import CHANNELS, MAX_LIST_LIMIT, RESPONDENT_TYPES, RESPONSE_STATUSES

ANSWERS_DESCRIPTION = (
    "Answers keyed by question code: a string for single choice and agreement scales (one of the option "
    "values), a list of option values for multiple choice, text for free-text questions."
)


def _utc(value) -> str:
    return iso_utc(value)


class RespondentInputSchema(ma.Schema):
    """Personal data, kept apart from the answers; every field optional."""

    name = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    email = ma.fields.String(allow_none=True, validate=validate.Length(max=320))
    postcode = ma.fields.String(allow_none=True, validate=validate.Length(max=12), metadata={"example": "RM10 8AB"})
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    respondent_type = ma.fields.String(allow_none=True, metadata={"enum": list(RESPONDENT_TYPES)})


class ResponseSubmitSchema(ma.Schema):
    station = ma.fields.String(required=True, metadata={"description": "The station's slug", "example": "dagenham"})
    answers = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(allow_none=True),
        required=True,
        metadata={"description": ANSWERS_DESCRIPTION},
    )
    respondent = ma.fields.Nested(RespondentInputSchema, allow_none=True, load_default=None)
    consent_to_publish = ma.fields.Boolean(load_default=False)


class ResponseAmendSchema(ma.Schema):
    station = ma.fields.String(metadata={"description": "Move the response to another station (slug)"})
    answers = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(allow_none=True),
        metadata={"description": "Replaces all answers. " + ANSWERS_DESCRIPTION},
    )
    consent_to_publish = ma.fields.Boolean()

    @ma.validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Give at least one of station, answers, consent_to_publish.", "_schema")


class IdempotencyHeaderSchema(ma.Schema):
    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key",
        validate=[validate.Length(min=1, max=200), validate.Regexp(r"^[\x21-\x7e]+$", error="Printable ASCII only.")],
        metadata={"description": "A retry with the same key and body returns the first result"},
    )


class EditTokenHeaderSchema(ma.Schema):
    edit_token = ma.fields.String(
        required=True,
        data_key="X-Edit-Token",
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The edit token returned once when the response was submitted"},
    )


class SubmissionReceiptSchema(ma.Schema):
    reference = ma.fields.String(metadata={"example": "PA7K-M9TQ-X4"})
    received_at = ma.fields.Function(lambda receipt: _utc(receipt.received_at), metadata={"type": "string"})
    received_at_london = ma.fields.Function(
        lambda receipt: to_london(receipt.received_at).isoformat(), metadata={"type": "string"}
    )
    station = ma.fields.String()
    edit_token = ma.fields.String(
        allow_none=True,
        metadata={"description": "Shown once: send it as X-Edit-Token to amend or withdraw before the deadline"},
    )


class RevisionSchema(ma.Schema):
    version = ma.fields.Integer()
    change = ma.fields.String(metadata={"enum": ["created", "amended", "withdrawn"]})
    changed_at = ma.fields.Function(lambda revision: _utc(revision.changed_at), metadata={"type": "string"})


class RespondentViewSchema(ma.Schema):
    """What the respondent sees of their own response: no personal data."""

    reference = ma.fields.String()
    consultation = ma.fields.String(attribute="consultation_slug")
    station = ma.fields.Function(lambda response: response.station.slug, metadata={"type": "string"})
    channel = ma.fields.String(metadata={"enum": list(CHANNELS)})
    received_at = ma.fields.Function(lambda response: _utc(response.received_at), metadata={"type": "string"})
    status = ma.fields.String(metadata={"enum": list(RESPONSE_STATUSES)})
    version = ma.fields.Integer()
    consent_to_publish = ma.fields.Boolean()
    respondent_type = ma.fields.String(allow_none=True)
    answers = ma.fields.Dict(attribute="answer_values", keys=ma.fields.String(), values=ma.fields.Raw())
    editable_until = ma.fields.Function(lambda response: _utc(response.editable_until), metadata={"type": "string"})
    editable_until_text = ma.fields.Function(
        lambda response: f"{describe_london(response.editable_until)} (London time)", metadata={"type": "string"}
    )
    history = ma.fields.List(ma.fields.Nested(RevisionSchema))


class ResponseListQuerySchema(ma.Schema):
    station = ma.fields.String(metadata={"description": "Station slug"})
    borough = ma.fields.String(metadata={"description": "Borough GSS code, e.g. E09000002"})
    channel = ma.fields.String(validate=validate.OneOf(CHANNELS))
    late = ma.fields.Boolean()
    status = ma.fields.String(validate=validate.OneOf(RESPONSE_STATUSES))
    received_from = InstantField(metadata={"description": "Inclusive, with a UTC offset"})
    received_to = InstantField(metadata={"description": "Exclusive, with a UTC offset"})
    q = ma.fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Words that one free-text answer must all hold (English stems on PostgreSQL)"},
    )
    cursor = ma.fields.String(validate=validate.Length(max=200), metadata={"description": "next_cursor of a page"})
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_LIST_LIMIT))
    include_personal_data = ma.fields.Boolean(
        load_default=False, metadata={"description": "Reviewers and admins only; every such read is audited"}
    )


class PersonalDataSchema(ma.Schema):
    name = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    postcode = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)


class ResponseReviewSchema(ma.Schema):
    reference = ma.fields.String()
    consultation = ma.fields.String()
    station = ma.fields.String()
    borough = ma.fields.String(metadata={"description": "GSS code"})
    channel = ma.fields.String(metadata={"enum": list(CHANNELS)})
    received_at = ma.fields.Function(lambda item: _utc(item["received_at"]), metadata={"type": "string"})
    late = ma.fields.Boolean()
    status = ma.fields.String(metadata={"enum": list(RESPONSE_STATUSES)})
    version = ma.fields.Integer()
    respondent_type = ma.fields.String(allow_none=True)
    consent_to_publish = ma.fields.Boolean()
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    respondent = ma.fields.Nested(
        PersonalDataSchema, allow_none=True, metadata={"description": "Only with include_personal_data=true"}
    )


class ResponsePageSchema(ma.Schema):
    responses = ma.fields.List(ma.fields.Nested(ResponseReviewSchema))
    next_cursor = ma.fields.String(allow_none=True, metadata={"description": "Pass as cursor for the next page"})
    include_personal_data = ma.fields.Boolean()
    match_count = ma.fields.Integer(
        allow_none=True, metadata={"description": "With q: how many responses match, over all pages"}
    )
    match_count_exact = ma.fields.Boolean(
        allow_none=True, metadata={"description": "With q: false when match_count is an estimate (past 10,000)"}
    )


class ImportUploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "A .csv (UTF-8) or .xlsx file, header row first"})


class ImportOptionsSchema(ma.Schema):
    mode = ma.fields.String(
        load_default="all_or_nothing",
        validate=validate.OneOf(IMPORT_MODES),
        metadata={"description": "all_or_nothing (default): nothing is stored if any row is bad"},
    )
    allow_duplicate_file = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Import a file whose content was imported before (refused with 409 otherwise)"},
    )


class RowProblemSchema(ma.Schema):
    row = ma.fields.Integer(metadata={"description": "As a spreadsheet numbers it: the header is row 1"})
    field = ma.fields.String()
    message = ma.fields.String()


class ImportReportSchema(ma.Schema):
    consultation = ma.fields.String()
    filename = ma.fields.String()
    mode = ma.fields.String(metadata={"enum": list(IMPORT_MODES)})
    rows_total = ma.fields.Integer()
    rows_valid = ma.fields.Integer()
    rows_invalid = ma.fields.Integer()
    imported = ma.fields.Integer()
    late = ma.fields.Integer(metadata={"description": "Imported rows received at or after the deadline"})
    problems = ma.fields.List(ma.fields.Nested(RowProblemSchema))
