"""Input and output schemas for submissions, render jobs, filing receipts and verification."""

import marshmallow as ma
from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import validate

from consultation.clock import describe_london, iso_utc
from consultation.submissions.models import RENDER_PURPOSES, RENDER_STATUSES, SUBMISSION_STATUSES

MAX_SECTIONS = 40
MAX_BODY = 20000


def _utc(value) -> str | None:
    return iso_utc(value) if value is not None else None


def _london(value) -> str | None:
    return f"{describe_london(value)} (London time)" if value is not None else None


class SignatorySchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = ma.fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "MP"})


class SectionSchema(ma.Schema):
    heading = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = ma.fields.String(
        required=True,
        validate=validate.Length(max=MAX_BODY),
        metadata={
            "description": "Paragraphs, lists (- item, at most 6 levels deep), *emphasis*, "
            "**strong**, [links](shown as text)"
        },
    )


class SubmissionUpdateSchema(ma.Schema):
    title = ma.fields.String(validate=validate.Length(min=1, max=300))
    addressed_to = ma.fields.String(
        validate=validate.Length(min=1, max=2000), metadata={"description": "Name and address, one per line"}
    )
    organisation = ma.fields.String(validate=validate.Length(min=1, max=200))
    signatory = ma.fields.Nested(SignatorySchema)
    stations = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=80)),
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Station slugs in your boroughs, in the order the document shows them"},
    )
    sections = ma.fields.List(ma.fields.Nested(SectionSchema), validate=validate.Length(max=MAX_SECTIONS))
    petitions = ma.fields.List(
        ma.fields.Integer(), validate=validate.Length(max=20), metadata={"description": "Ids of petitions you own"}
    )
    include_aggregates = ma.fields.Boolean(
        metadata={"description": "Include response counts, stance charts, themes and quotes"}
    )

    @ma.validates_schema
    def _something_to_change(self, data, **kwargs):
        # As for responses: a change that names no field is refused, so it can never make an empty new version.
        if not data:
            raise ma.ValidationError("Give at least one field to change.", "_schema")


class SubmissionCreateSchema(SubmissionUpdateSchema):
    consultation = ma.fields.String(required=True, metadata={"example": "public-access-demo"})
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    addressed_to = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    organisation = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    signatory = ma.fields.Nested(SignatorySchema, required=True)
    stations = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=80)), required=True, validate=validate.Length(min=1, max=100)
    )
    sections = ma.fields.List(
        ma.fields.Nested(SectionSchema), load_default=list, validate=validate.Length(max=MAX_SECTIONS)
    )
    petitions = ma.fields.List(ma.fields.Integer(), load_default=list, validate=validate.Length(max=20))
    include_aggregates = ma.fields.Boolean(load_default=True)


class FilingSchema(ma.Schema):
    reference = ma.fields.String()
    filed_at = ma.fields.Function(lambda filing: _utc(filing.filed_at), metadata={"type": "string"})
    filed_at_london = ma.fields.Function(lambda filing: _london(filing.filed_at), metadata={"type": "string"})
    sha256 = ma.fields.String()
    pages = ma.fields.Integer()
    responses = ma.fields.List(ma.fields.String(), attribute="response_references")


class SubmissionSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    consultation = ma.fields.Function(lambda s: s.consultation.slug, metadata={"type": "string"})
    addressed_to = ma.fields.String()
    organisation = ma.fields.String()
    signatory = ma.fields.Function(
        lambda s: {"name": s.signatory_name, "role": s.signatory_role}, metadata={"type": "object"}
    )
    stations = ma.fields.List(ma.fields.String())
    sections = ma.fields.List(ma.fields.Nested(SectionSchema))
    petitions = ma.fields.List(ma.fields.Integer(), attribute="petition_ids")
    include_aggregates = ma.fields.Boolean()
    has_letterhead = ma.fields.Function(lambda s: s.letterhead is not None, metadata={"type": "boolean"})
    status = ma.fields.String(metadata={"enum": list(SUBMISSION_STATUSES)})
    version = ma.fields.Integer(metadata={"description": "Bumped on every change; a render names the version it shows"})
    owner = ma.fields.Function(lambda s: s.owner.name, metadata={"type": "string"})
    created_at = ma.fields.Function(lambda s: _utc(s.created_at), metadata={"type": "string"})
    updated_at = ma.fields.Function(lambda s: _utc(s.updated_at), metadata={"type": "string"})
    filing = ma.fields.Nested(FilingSchema, allow_none=True)


class SubmissionListSchema(ma.Schema):
    submissions = ma.fields.List(ma.fields.Nested(SubmissionSchema))


class RenderJobSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "The job to poll"})
    purpose = ma.fields.String(
        metadata={"enum": list(RENDER_PURPOSES), "description": "draft: a preview; filing: the PDF being filed"}
    )
    filing = ma.fields.Nested(
        FilingSchema, allow_none=True, metadata={"description": "The receipt, once a filing job is done"}
    )
    submission = ma.fields.Integer(attribute="submission_id")
    submission_version = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(RENDER_STATUSES)})
    error = ma.fields.String(allow_none=True)
    requested_at = ma.fields.Function(lambda job: _utc(job.requested_at), metadata={"type": "string"})
    started_at = ma.fields.Function(lambda job: _utc(job.started_at), metadata={"type": "string", "nullable": True})
    finished_at = ma.fields.Function(lambda job: _utc(job.finished_at), metadata={"type": "string", "nullable": True})
    pages = ma.fields.Integer(allow_none=True)
    sha256 = ma.fields.String(allow_none=True)
    poll_url = ma.fields.Function(
        lambda job: url_for("submissions.RenderJob", submission_id=job.submission_id, job_id=job.id),
        metadata={"type": "string"},
    )
    pdf_url = ma.fields.Function(
        lambda job: (
            url_for("submissions.SubmissionPdf", submission_id=job.submission_id) if job.status == "done" else None
        ),
        metadata={"type": "string", "nullable": True},
    )


class LetterheadUploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "A PNG or JPEG image, at most 1 MB"})


class VerifyQuerySchema(ma.Schema):
    sha256 = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))


class VerifyResultSchema(ma.Schema):
    sha256 = ma.fields.String()
    filed = ma.fields.Boolean()
    reference = ma.fields.String()
    filed_at = ma.fields.Function(lambda item: _utc(item.get("filed_at")), metadata={"type": "string"})
    filed_at_london = ma.fields.Function(lambda item: _london(item.get("filed_at")), metadata={"type": "string"})
    organisation = ma.fields.String(metadata={"description": "The organisation that filed it; never a person"})
    title = ma.fields.String()
    consultation = ma.fields.String()
    stations = ma.fields.List(ma.fields.String())
    pages = ma.fields.Integer()

    @ma.post_dump
    def _only_what_is_known(self, data, **kwargs):
        return {key: value for key, value in data.items() if value is not None}
