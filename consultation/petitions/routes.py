"""Petitions: create and change (organisers), sign and confirm (public), totals (public), signers, packs and
reviews (the owner, reviewers, admins)."""

from flask import Response, current_app, request
from flask.views import MethodView

from consultation.accounts.auth import current_user
from consultation.accounts.permissions import OWNER_ROLES, READERS, requires
from consultation.clock import arrival_time
from consultation.errors import ApiError
from consultation.extensions import Blueprint, db, limiter
from consultation.petitions import exports, packs, service, signers
from consultation.petitions.schemas import (
    ConfirmResultSchema,
    ConfirmSchema,
    DuplicateQuerySchema,
    PackCreateSchema,
    PackListSchema,
    PackReviewResultSchema,
    PackReviewSchema,
    PackSchema,
    PetitionCreateSchema,
    PetitionListSchema,
    PetitionQuerySchema,
    PetitionSchema,
    PetitionUpdateSchema,
    PossibleDuplicatePageSchema,
    ReviewResultSchema,
    ReviewSchema,
    RowsReportSchema,
    SignAcceptedSchema,
    SignaturePageSchema,
    SignatureQuerySchema,
    SignSchema,
    TallySchema,
    TotalsSchema,
    UploadOptionsSchema,
    UploadSchema,
)

blp = Blueprint("petitions", __name__, url_prefix="/api/v1/petitions", description="Petitions, signatures, packs")

# Signing is limited per client address by PETITION_SIGNING_RATE_LIMIT (default: the UK Parliament site's).
signing_limit = limiter.shared_limit(
    lambda: current_app.config["PETITION_SIGNING_RATE_LIMIT"], scope="petition-signing"
)
public_write = limiter.shared_limit(lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], scope="public-write")


def public_base_url() -> str:
    """Links in emails: PUBLIC_BASE_URL when set (production), else the address this request came to."""
    return current_app.config.get("PUBLIC_BASE_URL") or request.url_root


def with_totals(petition):
    petition.status = service.petition_status(petition, arrival_time())
    petition.totals = service.petition_totals(db.session, petition.id)
    return petition


@blp.route("")
class Petitions(MethodView):
    @blp.arguments(PetitionQuerySchema, location="query")
    @blp.response(200, PetitionListSchema)
    def get(self, query):
        """Open and closed petitions with their totals (public); filter by consultation, station or borough"""
        found = service.petitions_for(
            db.session,
            consultation_slug=query.get("consultation"),
            station_slugs=[query["station"]] if query.get("station") else None,
            borough_code=query.get("borough"),
        )
        return {"petitions": [with_totals(petition) for petition in found]}

    @requires(OWNER_ROLES)
    @blp.arguments(PetitionCreateSchema)
    @blp.response(201, PetitionSchema)
    def post(self, data):
        """Create a petition about stations in your boroughs (organisers, admins)"""
        petition = service.create_petition(db.session, current_user(), at=arrival_time(), **data)
        return with_totals(petition)


@blp.route("/<int:petition_id>")
class PetitionDetail(MethodView):
    @blp.response(200, PetitionSchema)
    def get(self, petition_id):
        """A petition with its totals (public)"""
        return with_totals(service.get_petition(db.session, petition_id))

    @requires(OWNER_ROLES)
    @blp.arguments(PetitionUpdateSchema)
    @blp.response(200, PetitionSchema)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="petition_has_signatures")
    def patch(self, data, petition_id):
        """Change your petition; after the first signature, only its title and text, and a new title needs a
        reason (owner)"""
        return with_totals(service.update_petition(db.session, current_user(), petition_id, data, at=arrival_time()))


@blp.route("/<int:petition_id>/totals")
class PetitionTotals(MethodView):
    @blp.response(200, TotalsSchema)
    def get(self, petition_id):
        """Exact totals by channel, borough, station and London day (public)"""
        return service.petition_totals(db.session, petition_id)


@blp.route("/<int:petition_id>/signatures")
class PetitionSignatures(MethodView):
    @signing_limit
    @blp.arguments(SignSchema)
    @blp.response(202, SignAcceptedSchema)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="petition_closed")
    @blp.alt_response(429, response="DEFAULT_ERROR", description="rate_limited (with Retry-After)")
    def post(self, data, petition_id):
        """Sign online (public); the signature counts once confirmed through the link emailed to you"""
        service.sign_petition(
            db.session,
            petition_id=petition_id,
            base_url=public_base_url(),
            at=arrival_time(),
            **data,
        )
        return {
            "status": "pending_confirmation",
            "message": "Check your email: your signature counts once you confirm it with the link we sent.",
        }

    @requires(READERS)
    @blp.arguments(SignatureQuerySchema, location="query")
    @blp.response(200, SignaturePageSchema)
    def get(self, query, petition_id):
        """Signers with their personal data, paginated (owner, reviewers, admins); every read is audited"""
        items, total = signers.list_signatures(db.session, current_user(), petition_id, **query)
        return {"signatures": items, "total": total, **query}


@blp.route("/<int:petition_id>/signatures.csv")
class PetitionSignaturesCsv(MethodView):
    @requires(OWNER_ROLES)
    @blp.response(200, content_type="text/csv", description="name, email, postcode, ... with formulas neutralised")
    def get(self, petition_id):
        """The signers as CSV for the petition's owner; audited, cells that start a formula neutralised"""
        filename, text = exports.signers_csv(db.session, current_user(), petition_id)
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


@blp.route("/<int:petition_id>/confirm")
class PetitionConfirm(MethodView):
    @public_write
    @blp.arguments(ConfirmSchema)
    @blp.response(200, ConfirmResultSchema)
    @blp.alt_response(410, response="DEFAULT_ERROR", description="confirmation_expired")
    def post(self, data, petition_id):
        """Confirm a signature with the token from its email (public); confirming again changes nothing"""
        result = service.confirm_signature(db.session, petition_id, data["token"], at=arrival_time())
        if result.outcome == "unknown":
            raise ApiError(404, "unknown_token", "This confirmation link is not valid for this petition.")
        if result.outcome == "expired":
            raise ApiError(
                410, "confirmation_expired", "This confirmation link has expired: sign again to get a new one."
            )
        return {"outcome": result.outcome, "counted": result.counted}


@blp.route("/<int:petition_id>/signatures/duplicates")
class PetitionPossibleDuplicates(MethodView):
    @requires(READERS)
    @blp.arguments(DuplicateQuerySchema, location="query")
    @blp.response(200, PossibleDuplicatePageSchema)
    def get(self, query, petition_id):
        """Possible duplicates not yet decided, each beside the signatures it resembles, paginated (owner,
        reviewers, admins); name, postcode and email domain only; every read is audited"""
        items, total = signers.list_possible_duplicates(db.session, current_user(), petition_id, **query)
        return {"flagged": items, "total": total, **query}


@blp.route("/<int:petition_id>/signatures/review")
class PetitionReview(MethodView):
    @requires(READERS)
    @blp.arguments(ReviewSchema)
    @blp.response(200, ReviewResultSchema)
    def post(self, data, petition_id):
        """Review a batch of signatures with a reason: invalidate or restore, or count or don't count possible
        duplicates (owner, reviewers, admins); audited"""
        return signers.review_signatures(db.session, current_user(), petition_id, **data)


@blp.route("/<int:petition_id>/signatures/import")
class PetitionImport(MethodView):
    @requires(OWNER_ROLES)
    @blp.arguments(UploadOptionsSchema, location="query")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, RowsReportSchema)
    def post(self, options, files, petition_id):
        """Import signatures exported from another petition site: name, email, postcode, signed_at (owner)"""
        upload = files["file"]
        report = packs.import_signatures(
            db.session,
            current_user(),
            petition_id,
            filename=upload.filename or "",
            content=_read_upload(upload),
            mode=options["mode"],
        )
        return report.to_dict()


@blp.route("/<int:petition_id>/packs")
class PetitionPacks(MethodView):
    @requires(READERS)
    @blp.response(200, PackListSchema)
    def get(self, petition_id):
        """The petition's paper packs with their tallies, checked or not, and any set aside (owner, reviewers)"""
        return {"packs": packs.list_packs(db.session, current_user(), petition_id)}

    @requires(OWNER_ROLES)
    @blp.arguments(PackCreateSchema)
    @blp.response(201, PackSchema)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="pack_exists")
    def post(self, data, petition_id):
        """Register a paper petition pack going out to a volunteer (owner)"""
        return packs.register_pack(db.session, current_user(), petition_id, **data)


@blp.route("/<int:petition_id>/packs/<code>/tally")
class PackTally(MethodView):
    @requires(OWNER_ROLES)
    @blp.arguments(TallySchema)
    @blp.response(200, PackSchema)
    def post(self, data, petition_id, code):
        """Record a returned pack's count, at most PETITION_SIGNATURES_PER_SHEET a sheet; a pack received after
        closing is kept and marked late (owner)"""
        per_sheet = current_app.config["PETITION_SIGNATURES_PER_SHEET"]
        return packs.record_tally(db.session, current_user(), petition_id, code, signatures_per_sheet=per_sheet, **data)


@blp.route("/<int:petition_id>/packs/review")
class PackReview(MethodView):
    @requires(READERS)
    @blp.arguments(PackReviewSchema)
    @blp.response(200, PackReviewResultSchema)
    def post(self, data, petition_id):
        """Set packs aside (they stop counting) or restore them, with a reason (owner, reviewers, admins); audited"""
        return packs.review_packs(db.session, current_user(), petition_id, **data)


@blp.route("/<int:petition_id>/packs/<code>/signatures")
class PackSignatures(MethodView):
    @requires(OWNER_ROLES)
    @blp.arguments(UploadOptionsSchema, location="query")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, RowsReportSchema)
    def post(self, options, files, petition_id, code):
        """Key in a returned pack's signatures (name, postcode) from CSV or XLSX; duplicates are flagged (owner)"""
        upload = files["file"]
        report = packs.key_in_pack(
            db.session,
            current_user(),
            petition_id,
            code,
            filename=upload.filename or "",
            content=_read_upload(upload),
            mode=options["mode"],
        )
        return report.to_dict()


def _read_upload(upload) -> bytes:
    limit = current_app.config["IMPORT_MAX_BYTES"]
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, "payload_too_large", f"The file is larger than {limit} bytes.")
    return content
