"""Formal submissions: draw up, render (a job to poll), download, file before the deadline, verify by hash."""

from flask import Response, current_app
from flask.views import MethodView

from consultation.accounts.auth import current_user
from consultation.accounts.permissions import OWNER_ROLES, READERS, requires
from consultation.clock import arrival_time
from consultation.extensions import Blueprint, db, limiter
from consultation.submissions import service, tasks
from consultation.submissions.letterhead import LETTERHEAD_MAX_BYTES
from consultation.submissions.schemas import (
    LetterheadUploadSchema,
    RenderJobSchema,
    SubmissionCreateSchema,
    SubmissionListSchema,
    SubmissionSchema,
    SubmissionUpdateSchema,
    VerifyQuerySchema,
    VerifyResultSchema,
)

blp = Blueprint(
    "submissions",
    __name__,
    url_prefix="/api/v1/submissions",
    description="Formal submissions: compose, render to PDF, file before the deadline, verify",
)

public_read = limiter.shared_limit(lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], scope="public-verify")


@blp.route("")
class Submissions(MethodView):
    @requires(READERS)
    @blp.response(200, SubmissionListSchema)
    def get(self):
        """List submissions: organisers their own, reviewers and admins all"""
        return {"submissions": service.list_submissions(db.session, current_user())}

    @requires(OWNER_ROLES)
    @blp.arguments(SubmissionCreateSchema)
    @blp.response(201, SubmissionSchema)
    def post(self, data):
        """Draw up a draft submission for stations in your boroughs (organisers, admins)"""
        return service.create_submission(db.session, current_user(), data)


@blp.route("/<int:submission_id>")
class SubmissionDetail(MethodView):
    @requires(READERS)
    @blp.response(200, SubmissionSchema)
    def get(self, submission_id):
        """One submission (its organiser, reviewers, admins)"""
        return service.get_submission(db.session, current_user(), submission_id)

    @requires(OWNER_ROLES)
    @blp.arguments(SubmissionUpdateSchema)
    @blp.response(200, SubmissionSchema)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="submission_filed")
    def patch(self, data, submission_id):
        """Change a draft submission; a filed one is frozen (409 submission_filed)"""
        return service.update_submission(db.session, current_user(), submission_id, data)

    @requires(OWNER_ROLES)
    @blp.response(204)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="submission_filed")
    def delete(self, submission_id):
        """Delete a draft submission"""
        service.delete_submission(db.session, current_user(), submission_id)


@blp.route("/<int:submission_id>/letterhead")
class SubmissionLetterhead(MethodView):
    @requires(OWNER_ROLES)
    @blp.arguments(LetterheadUploadSchema, location="files")
    @blp.response(200, SubmissionSchema)
    def put(self, files, submission_id):
        """Upload the letterhead: a PNG or JPEG of at most 1 MB and 10 megapixels, checked by its content"""
        content = files["file"].stream.read(LETTERHEAD_MAX_BYTES + 1)
        return service.set_letterhead(db.session, current_user(), submission_id, content)

    @requires(OWNER_ROLES)
    @blp.response(200, SubmissionSchema)
    def delete(self, submission_id):
        """Remove the letterhead"""
        return service.set_letterhead(db.session, current_user(), submission_id, None)


@blp.route("/<int:submission_id>/render")
class SubmissionRender(MethodView):
    @requires(READERS)
    @blp.response(202, RenderJobSchema)
    def post(self, submission_id):
        """Render the submission to PDF in the background; poll the returned job"""
        user = current_user()
        submission = service.get_submission(db.session, user, submission_id)
        job_id = tasks.start_render(db.session, user, submission)
        return service.get_render(db.session, user, submission_id, job_id)


@blp.route("/<int:submission_id>/renders/<job_id>")
class RenderJob(MethodView):
    @requires(READERS)
    @blp.response(200, RenderJobSchema)
    def get(self, submission_id, job_id):
        """A render job: queued, running, done (with the PDF's hash) or failed (with the reason)"""
        return service.get_render(db.session, current_user(), submission_id, job_id)


@blp.route("/<int:submission_id>/pdf")
class SubmissionPdf(MethodView):
    @requires(READERS)
    @blp.doc(
        responses={"200": {"description": "The PDF", "content": {"application/pdf": {}}}},
    )
    @blp.alt_response(404, response="DEFAULT_ERROR", description="no finished render yet")
    def get(self, submission_id):
        """Download the filed PDF, or before filing the latest finished render (never a half-written one)"""
        document = service.latest_pdf(db.session, current_user(), submission_id)
        response = Response(document.pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        response.headers["X-Content-SHA256"] = document.sha256
        if document.version:  # a draft render says which version of the submission it shows
            response.headers["X-Submission-Version"] = str(document.version)
        return response


@blp.route("/<int:submission_id>/file")
class SubmissionFiling(MethodView):
    @requires(OWNER_ROLES)
    @blp.response(202, RenderJobSchema)
    @blp.alt_response(
        409, response="DEFAULT_ERROR", description="consultation_closed, submission_filed, submission_being_filed"
    )
    def post(self, submission_id):
        """File before the deadline (judged by when this request arrived): locks the submission and queues the
        final render; poll the job (`poll_url`): once done, it holds the receipt (`filing`)"""
        user = current_user()
        job_id = tasks.start_filing(db.session, user, submission_id, received_at=arrival_time())
        return service.get_render(db.session, user, submission_id, job_id)


@blp.route("/verify")
class Verification(MethodView):
    @public_read
    @blp.arguments(VerifyQuerySchema, location="query")
    @blp.response(200, VerifyResultSchema)
    def get(self, query):
        """Public: was a document with this SHA-256 filed, when, and by which organisation"""
        return service.verify(db.session, query["sha256"])
