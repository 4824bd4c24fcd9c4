"""Input and output schemas for petitions, signatures, packs and totals."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from consultation.clock import describe_london
from consultation.common import IMPORT_MODES as MODES
from consultation.common import InstantField, utc
from consultation.petitions.models import REVIEW_ACTIONS, SIGNATURE_CHANNELS


class PetitionCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    consultation = ma.fields.String(required=True, metadata={"example": "public-access-demo"})
    stations = ma.fields.List(
        ma.fields.String(), required=True, validate=validate.Length(min=1, max=100), metadata={"example": ["dagenham"]}
    )
    closes_at = InstantField(
        required=True, metadata={"description": "With a UTC offset; no later than the consultation's closes_at"}
    )


class PetitionUpdateSchema(ma.Schema):
    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    text = ma.fields.String(validate=validate.Length(min=1, max=10_000))
    stations = ma.fields.List(ma.fields.String(), validate=validate.Length(min=1, max=100))
    closes_at = InstantField()
    reason = ma.fields.String(
        validate=validate.Length(max=500),
        metadata={
            "description": "Why the title changes: required (not blank) for a new title once anyone has signed; "
            "kept with the old and new title in the petition's history"
        },
    )

    @ma.validates_schema
    def _something_to_change(self, data, **kwargs):
        if not set(data) - {"reason"}:
            raise ma.ValidationError("Give at least one of title, text, stations, closes_at.", "_schema")


class PetitionQuerySchema(ma.Schema):
    consultation = ma.fields.String(metadata={"description": "Consultation slug"})
    station = ma.fields.String(metadata={"description": "Station slug"})
    borough = ma.fields.String(metadata={"description": "Borough GSS code, e.g. E09000002"})


class BoroughTotalSchema(ma.Schema):
    gss_code = ma.fields.String(allow_none=True, metadata={"description": "None for the outside London row"})
    name = ma.fields.String()
    total = ma.fields.Integer()


class StationTotalSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    total = ma.fields.Integer()


class TimelinePointSchema(ma.Schema):
    date = ma.fields.String(metadata={"description": "A London calendar day, YYYY-MM-DD"})
    total = ma.fields.Integer(metadata={"description": "Cumulative total at the end of that day"})


class TotalsSchema(ma.Schema):
    petition = ma.fields.Integer()
    confirmed_online = ma.fields.Integer(metadata={"description": "Signed online and confirmed by email"})
    imported = ma.fields.Integer(
        metadata={"description": "Imported from another petition site, not confirmed by us (counted apart)"}
    )
    pending_online = ma.fields.Integer(metadata={"description": "Not counted: awaiting email confirmation"})
    paper = ma.fields.Integer(metadata={"description": "paper_keyed_in + paper_not_checked"})
    paper_keyed_in = ma.fields.Integer(
        metadata={"description": "Packs that count whose signatures were keyed in: those that count, de-duplicated"}
    )
    paper_not_checked = ma.fields.Integer(
        metadata={"description": "Packs that count, not keyed in: the counter's tally, counted but not checked"}
    )
    late_paper = ma.fields.Integer(metadata={"description": "Packs received after closing: kept, not in total"})
    set_aside_paper = ma.fields.Integer(metadata={"description": "Packs a reviewer set aside: kept, not in total"})
    flagged = ma.fields.Integer(metadata={"description": "Not counted: flagged for review as possible duplicates"})
    invalidated = ma.fields.Integer()
    total = ma.fields.Integer(metadata={"description": "confirmed_online + imported + paper, after de-duplication"})
    by_borough = ma.fields.List(ma.fields.Nested(BoroughTotalSchema))
    by_station = ma.fields.List(ma.fields.Nested(StationTotalSchema))
    timeline = ma.fields.List(ma.fields.Nested(TimelinePointSchema))
    as_of = utc()


class PetitionSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    text = ma.fields.String()
    consultation = ma.fields.Function(lambda petition: petition.consultation.slug, metadata={"type": "string"})
    stations = ma.fields.Function(
        lambda petition: [s.slug for s in petition.stations], metadata={"type": "array", "items": {"type": "string"}}
    )
    boroughs = ma.fields.Function(
        lambda petition: sorted({s.borough.gss_code for s in petition.stations}),
        metadata={"type": "array", "items": {"type": "string"}},
    )
    owner = ma.fields.Function(lambda petition: petition.owner.name, metadata={"type": "string"})
    status = ma.fields.String(metadata={"enum": ["open", "closed"]})
    closes_at = utc()
    closes_at_text = ma.fields.Function(
        lambda petition: f"{describe_london(petition.closes_at)} (London time)", metadata={"type": "string"}
    )
    created_at = utc()
    totals = ma.fields.Nested(TotalsSchema, allow_none=True)


class PetitionListSchema(ma.Schema):
    petitions = ma.fields.List(ma.fields.Nested(PetitionSchema))


class SignSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(max=200))
    email = ma.fields.String(required=True, validate=validate.Length(max=320))
    postcode = ma.fields.String(required=True, validate=validate.Length(max=12), metadata={"example": "RM10 7TU"})
    consent = ma.fields.Boolean(
        required=True, metadata={"description": "true: the signer accepts the petition's privacy statement"}
    )


class SignAcceptedSchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "pending_confirmation"})
    message = ma.fields.String()


class ConfirmSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class ConfirmResultSchema(ma.Schema):
    outcome = ma.fields.String(metadata={"enum": ["confirmed", "already_confirmed"]})
    counted = ma.fields.Boolean()


class SignatureQuerySchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class SignatureSchema(ma.Schema):
    """A signer, with personal data: only the owner, reviewers and admins see these, and each read is audited."""

    id = ma.fields.Integer()
    channel = ma.fields.String(metadata={"enum": list(SIGNATURE_CHANNELS)})
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    postcode = ma.fields.String()
    gss_code = ma.fields.String()
    pack = ma.fields.String(allow_none=True)
    signed_at = utc()
    confirmed_at = utc()
    status = ma.fields.String(metadata={"enum": ["pending", "counted", "flagged", "invalidated"]})
    flag_reason = ma.fields.String(allow_none=True)
    invalidation_reason = ma.fields.String(allow_none=True)


class SignaturePageSchema(ma.Schema):
    signatures = ma.fields.List(ma.fields.Nested(SignatureSchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer()


class ReviewSchema(ma.Schema):
    action = ma.fields.String(
        required=True,
        validate=validate.OneOf(REVIEW_ACTIONS),
        metadata={
            "description": "invalidate: out of the total; restore: an invalidated one back. For possible duplicates "
            "not yet decided (GET .../signatures/duplicates): count (the flag is cleared, it counts) or dont_count "
            "(invalidated with the reason, still out of the total); others in the batch are left as they are"
        },
    )
    signature_ids = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),  # INTEGER ids: 32 bits on PostgreSQL
        required=True,
        validate=validate.Length(min=1, max=10_000),
    )
    reason = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Kept in the audit log and the petition's history"},
    )


class ReviewResultSchema(ma.Schema):
    action = ma.fields.String()
    requested = ma.fields.Integer()
    changed = ma.fields.Integer(metadata={"description": "Signatures whose state changed (others already were)"})


class DuplicateQuerySchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class SignerSummarySchema(ma.Schema):
    """A signer as the possible duplicates review shows them: name, postcode and the email's domain only."""

    id = ma.fields.Integer()
    channel = ma.fields.String(metadata={"enum": ["online", "paper", "imported"]})
    name = ma.fields.String()
    postcode = ma.fields.String()
    email_domain = ma.fields.String(
        allow_none=True, metadata={"description": "The part after '@' (never the address); null on paper"}
    )
    pack = ma.fields.String(allow_none=True)
    signed_at = utc()
    confirmed_at = utc()
    status = ma.fields.String(metadata={"enum": ["counted", "flagged", "invalidated"]})


class FlaggedSignerSchema(SignerSummarySchema):
    flag_reason = ma.fields.String(allow_none=True, metadata={"description": "Why it was flagged when it arrived"})


class ResemblingSignerSchema(SignerSummarySchema):
    likeness = ma.fields.String(
        metadata={
            "enum": ["same_mailbox", "same_name", "close_name"],
            "description": "same_mailbox: one mailbox ('+tag' dropped); same_name: the same name at the same "
            "postcode; close_name: a close name at the same postcode",
        }
    )


class PossibleDuplicateSchema(ma.Schema):
    """A signature flagged as a possible duplicate, beside the signatures it resembles."""

    signature = ma.fields.Nested(FlaggedSignerSchema)
    resembles = ma.fields.List(
        ma.fields.Nested(ResemblingSignerSchema),
        metadata={"description": "The petition's confirmed signatures it resembles, counted first (at most 10)"},
    )
    resembles_total = ma.fields.Integer(metadata={"description": "How many it resembles in all"})


class PossibleDuplicatePageSchema(ma.Schema):
    flagged = ma.fields.List(ma.fields.Nested(PossibleDuplicateSchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer(metadata={"description": "Possible duplicates not yet decided"})


class PackCreateSchema(ma.Schema):
    code = ma.fields.String(
        required=True, validate=[validate.Length(min=1, max=40), validate.Regexp(r"^[A-Za-z0-9._-]+$")]
    )
    issued_to = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    issued_at = InstantField(required=True)


class PackReviewSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf(["set_aside", "restore"]))
    codes = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
        validate=validate.Length(min=1, max=1_000),
        metadata={"example": ["DAG-01"]},
    )
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class PackReviewResultSchema(ma.Schema):
    action = ma.fields.String()
    requested = ma.fields.Integer()
    changed = ma.fields.Integer(metadata={"description": "Packs whose state changed (others already were)"})


class TallySchema(ma.Schema):
    signatures_counted = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000))
    sheets = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=100_000))
    received_at = InstantField(required=True)
    counted_by = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class PackSchema(ma.Schema):
    code = ma.fields.String()
    issued_to = ma.fields.String()
    issued_at = utc()
    signatures_counted = ma.fields.Integer(allow_none=True, metadata={"description": "The counter's tally"})
    sheets = ma.fields.Integer(allow_none=True)
    received_at = utc()
    counted_by = ma.fields.String(allow_none=True)
    late = ma.fields.Boolean()
    set_aside = ma.fields.Boolean(metadata={"description": "Set aside by a reviewer: counts for nothing"})
    set_aside_reason = ma.fields.String(allow_none=True)
    checked = ma.fields.Boolean(
        metadata={"description": "Its signatures were keyed in; false: the tally is counted, not checked"}
    )
    keyed_in = ma.fields.Integer(metadata={"description": "Signatures keyed in from this pack"})
    counts_for = ma.fields.Integer(
        metadata={"description": "What the pack holds for the total (0 when set aside; late packs are left out)"}
    )
    difference = ma.fields.Integer(
        allow_none=True, metadata={"description": "Tally minus the de-duplicated keyed-in figure"}
    )


class PackListSchema(ma.Schema):
    packs = ma.fields.List(ma.fields.Nested(PackSchema))


class UploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "A .csv (UTF-8) or .xlsx file, header row first"})


class UploadOptionsSchema(ma.Schema):
    mode = ma.fields.String(load_default=MODES[0], validate=validate.OneOf(MODES))


class SignatureRowProblemSchema(ma.Schema):
    row = ma.fields.Integer()
    field = ma.fields.String()
    message = ma.fields.String()


class RowsReportSchema(ma.Schema):
    petition = ma.fields.Integer()
    pack = ma.fields.String(allow_none=True)
    filename = ma.fields.String()
    mode = ma.fields.String()
    rows_total = ma.fields.Integer()
    rows_valid = ma.fields.Integer()
    rows_invalid = ma.fields.Integer()
    imported = ma.fields.Integer()
    flagged = ma.fields.Integer(metadata={"description": "Stored but not counted: same name and postcode as another"})
    skipped_existing = ma.fields.Integer(metadata={"description": "Emails already on the petition"})
    problems = ma.fields.List(ma.fields.Nested(SignatureRowProblemSchema))
