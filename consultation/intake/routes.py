"""Responses: submit, read back, amend and withdraw (public, with the edit token); list and import (reviewers)."""

from flask import current_app
from flask import request as flask_request
from flask.views import MethodView

from consultation.accounts.auth import current_user
from consultation.accounts.permissions import READERS, STAFF, requires
from consultation.clock import arrival_time
from consultation.extensions import Blueprint, db, limiter
from consultation.intake import imports, reading, service
from consultation.intake.idempotency import IdempotencyRequest, caller_fingerprint, request_hash
from consultation.intake.schemas import (
    EditTokenHeaderSchema,
    IdempotencyHeaderSchema,
    ImportOptionsSchema,
    ImportReportSchema,
    ImportUploadSchema,
    RespondentViewSchema,
    ResponseAmendSchema,
    ResponseListQuerySchema,
    ResponsePageSchema,
    ResponseSubmitSchema,
    SubmissionReceiptSchema,
)

blp = Blueprint(
    "intake", __name__, url_prefix="/api/v1", description="Responses: submit, amend, withdraw, read, import"
)

REPLAYED = {"Idempotent-Replayed": "true"}

# One budget per client address shared by every public write (submit, amend, withdraw).
public_write = limiter.shared_limit(lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], scope="public-write")


def _idempotency(headers: dict, fingerprint) -> IdempotencyRequest | None:
    key = headers.get("idempotency_key")
    if not key:
        return None
    return IdempotencyRequest(
        scope=f"{flask_request.method} {flask_request.path}",
        key=key,
        request_hash=request_hash(fingerprint),
        secret=current_app.config["SECRET_KEY"],
        caller_hash=caller_fingerprint(flask_request.headers.get("Authorization"), flask_request.remote_addr),
    )


@blp.route("/consultations/<slug>/responses")
class ConsultationResponses(MethodView):
    @public_write
    @blp.arguments(ResponseSubmitSchema)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.response(201, SubmissionReceiptSchema)
    @blp.alt_response(
        409, response="DEFAULT_ERROR", description="consultation_closed, consultation_not_open, idempotency_key_reused"
    )
    @blp.alt_response(429, response="DEFAULT_ERROR", description="rate_limited (with Retry-After)")
    def post(self, data, headers, slug):
        """Submit a response about one station (public, until the deadline)"""
        receipt = service.submit_response(
            db.session, slug=slug, received_at=arrival_time(), idempotency=_idempotency(headers, data), **data
        )
        return receipt, 201, REPLAYED if receipt.replayed else {}

    @requires(READERS)
    @blp.arguments(ResponseListQuerySchema, location="query")
    @blp.response(200, ResponsePageSchema)
    def get(self, query, slug):
        """Read responses with filters and a cursor (reviewers, admins; organisers for their boroughs)"""
        return reading.list_responses(db.session, current_user(), slug=slug, **query)


@blp.route("/consultations/<slug>/responses/import")
class ResponseImport(MethodView):
    @requires(STAFF)
    @blp.arguments(ImportOptionsSchema, location="query")
    @blp.arguments(ImportUploadSchema, location="files")
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.response(201, ImportReportSchema)
    @blp.alt_response(413, response="DEFAULT_ERROR", description="payload_too_large")
    @blp.alt_response(415, response="DEFAULT_ERROR", description="unsupported_media_type")
    @blp.alt_response(409, response="DEFAULT_ERROR", description="duplicate_file")
    def post(self, options, files, headers, slug):
        """Import paper and email responses from a CSV or XLSX file, with a row-level report (reviewers)"""
        upload = files["file"]
        limit = current_app.config["IMPORT_MAX_BYTES"]
        content = upload.stream.read(limit + 1)
        fingerprint = b"\n".join([options["mode"].encode(), (upload.filename or "").encode(), content])
        report = imports.import_responses(
            db.session,
            current_user(),
            slug=slug,
            filename=upload.filename or "",
            content=content,
            mode=options["mode"],
            max_bytes=limit,
            idempotency=_idempotency(headers, fingerprint),
            allow_duplicate_file=options["allow_duplicate_file"],
        )
        return report.to_dict(), 201, REPLAYED if report.replayed else {}


@blp.route("/responses/<reference>")
class ResponseDetail(MethodView):
    @blp.arguments(EditTokenHeaderSchema, location="headers")
    @blp.response(200, RespondentViewSchema)
    def get(self, headers, reference):
        """Your own response, with its history; needs the edit token, shows no personal data"""
        return service.get_response_for_respondent(db.session, reference=reference, edit_token=headers["edit_token"])

    @public_write
    @blp.arguments(ResponseAmendSchema)
    @blp.arguments(EditTokenHeaderSchema, location="headers")
    @blp.response(200, RespondentViewSchema)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="consultation_closed, response_withdrawn")
    def patch(self, data, headers, reference):
        """Amend your response before the deadline (edit token); answers given replace all answers"""
        return service.amend_response(
            db.session, reference=reference, edit_token=headers["edit_token"], at=arrival_time(), **data
        )


@blp.route("/responses/<reference>/withdraw")
class ResponseWithdrawal(MethodView):
    @public_write
    @blp.arguments(EditTokenHeaderSchema, location="headers")
    @blp.response(200, RespondentViewSchema)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="consultation_closed")
    def post(self, headers, reference):
        """Withdraw your response before the deadline (edit token); its history is kept"""
        return service.withdraw_response(
            db.session, reference=reference, edit_token=headers["edit_token"], at=arrival_time()
        )
