"""Input and output schemas for consultations, stations and questionnaires."""

import marshmallow as ma
from marshmallow import validate

from consultation.catalog.models import ANSWER_FORMATS, FIGURES, PROPOSALS, QUESTION_KINDS
from consultation.clock import describe_london, iso_utc, to_london
from consultation.common import InstantField

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case letters, digits and hyphens.")
CODE = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use lower-case letters, digits and underscores.")
STANCES = ("oppose", "support", "neutral")


def utc_field(attribute: str) -> ma.fields.Function:
    return ma.fields.Function(lambda obj: iso_utc(getattr(obj, attribute)), metadata={"description": "UTC, ISO-8601"})


def london_field(attribute: str) -> ma.fields.Function:
    return ma.fields.Function(
        lambda obj: to_london(getattr(obj, attribute)).isoformat(),
        metadata={"description": "Europe/London local time, ISO-8601 with offset"},
    )


class BoroughSchema(ma.Schema):
    gss_code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class StationSchema(ma.Schema):
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    address = ma.fields.String()
    borough = ma.fields.Nested(BoroughSchema)
    proposal = ma.fields.String(metadata={"enum": list(PROPOSALS)})
    proposal_detail = ma.fields.String()
    crimes_reported_per_day = ma.fields.Float(allow_none=True)
    visitors_per_day = ma.fields.Float(allow_none=True)


class OptionSchema(ma.Schema):
    value = ma.fields.String(required=True, validate=validate.Length(min=1, max=60))
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class QuestionSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=[CODE, validate.Length(max=60)])
    kind = ma.fields.String(required=True, validate=validate.OneOf(QUESTION_KINDS))
    prompt = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    help_text = ma.fields.String(load_default="")
    required = ma.fields.Boolean(load_default=False)
    options = ma.fields.List(ma.fields.Nested(OptionSchema), load_default=list)
    max_length = ma.fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=100_000))
    stance_mapping = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(validate=validate.OneOf(STANCES)),
        allow_none=True,
        load_default=None,
        metadata={"description": "Agreement scales: option value to stance toward the proposal"},
    )
    answer_format = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(ANSWER_FORMATS),
        metadata={"description": "Free text: a format the answer must have, e.g. postcode_district (RM10)"},
    )


class QuestionnaireSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    introduction = ma.fields.String(load_default="")
    questions = ma.fields.List(ma.fields.Nested(QuestionSchema), required=True)


class StationInputSchema(ma.Schema):
    slug = ma.fields.String(required=True, validate=[SLUG, validate.Length(max=80)])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = ma.fields.String(load_default="")
    borough = ma.fields.String(required=True, metadata={"description": "GSS code, e.g. E09000002"})
    proposal = ma.fields.String(required=True, validate=validate.OneOf(PROPOSALS))
    proposal_detail = ma.fields.String(load_default="")
    crimes_reported_per_day = ma.fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0))
    visitors_per_day = ma.fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0))


class DeadlineSchema(ma.Schema):
    closes_at = utc_field("closes_at")
    closes_at_london = london_field("closes_at")
    closes_at_text = ma.fields.Function(
        lambda obj: f"{describe_london(obj.closes_at)} (London time)",
        metadata={"description": "The deadline as residents read it"},
    )


class WordingSchema(ma.Schema):
    """The consultation's own words; what is left out reads generically ("site", "Close the site")."""

    site = ma.fields.String(validate=validate.Length(min=1, max=60), metadata={"example": "library"})
    sites = ma.fields.String(validate=validate.Length(min=1, max=60), metadata={"example": "libraries"})
    proposals = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(PROPOSALS)),
        values=ma.fields.String(validate=validate.Length(min=1, max=200)),
        metadata={"description": 'Proposal code to the words residents read, e.g. {"close": "Close the library"}'},
    )
    figures = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(FIGURES)),
        values=ma.fields.String(validate=validate.Length(min=1, max=200)),
        allow_none=True,
        metadata={"description": "Figure to its label; only the figures named are shown (null: all, generic labels)"},
    )


class WordingOutputSchema(ma.Schema):
    site = ma.fields.String()
    sites = ma.fields.String()
    choose_prompt = ma.fields.String()
    proposals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    figures = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class ConsultationSummarySchema(ma.Schema):
    slug = ma.fields.String()
    title = ma.fields.String()
    summary = ma.fields.String()
    consulting_body = ma.fields.String()
    opens_at = utc_field("opens_at")
    opens_at_london = london_field("opens_at")
    closes_at = utc_field("closes_at")
    closes_at_london = london_field("closes_at")
    deadline = ma.fields.Function(lambda obj: DeadlineSchema().dump(obj), metadata={"type": "object"})
    status = ma.fields.String(metadata={"enum": ["not_open", "open", "closed"]})
    station_count = ma.fields.Function(lambda obj: len(obj.stations), metadata={"type": "integer"})


class ConsultationListSchema(ma.Schema):
    consultations = ma.fields.List(ma.fields.Nested(ConsultationSummarySchema))


class ConsultationDetailSchema(ConsultationSummarySchema):
    stations = ma.fields.List(ma.fields.Nested(StationSchema))
    # Set by the catalog service when it reads a consultation (the words in force, generic where it sets none).
    wording = ma.fields.Nested(WordingOutputSchema, metadata={"description": "The words for its sites and figures"})


class ConsultationCreateSchema(ma.Schema):
    slug = ma.fields.String(required=True, validate=[SLUG, validate.Length(max=80)])
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    summary = ma.fields.String(load_default="")
    consulting_body = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    opens_at = InstantField(required=True, metadata={"description": "With a UTC offset"})
    closes_at = InstantField(required=True, metadata={"description": "With a UTC offset"})
    questionnaire = ma.fields.Nested(QuestionnaireSchema, required=True)
    stations = ma.fields.List(ma.fields.Nested(StationInputSchema), load_default=list)
    wording = ma.fields.Nested(WordingSchema, load_default=dict)


class ConsultationUpdateSchema(ma.Schema):
    title = ma.fields.String(validate=validate.Length(min=1, max=300))
    summary = ma.fields.String()
    consulting_body = ma.fields.String(validate=validate.Length(min=1, max=200))
    opens_at = InstantField()
    closes_at = InstantField()
    questionnaire = ma.fields.Nested(QuestionnaireSchema)
    stations = ma.fields.List(ma.fields.Nested(StationInputSchema))
    wording = ma.fields.Nested(WordingSchema)
