"""Codebooks, reviewer coding, machine-reviewer agreement and analysis runs."""

from flask.views import MethodView
from flask_smorest import Blueprint

from consultation.accounts.auth import BEARER_SECURITY, current_user, require_role
from consultation.analysis import service, tasks
from consultation.analysis.schemas import (
    AgreementSchema,
    AnalysisRunArgsSchema,
    AnalysisRunSchema,
    CodebookInputSchema,
    CodebookSchema,
    CodingInputSchema,
    CodingSchema,
    ThemeCreateSchema,
    ThemeSchema,
    ThemeUpdateSchema,
)
from consultation.extensions import db

blp = Blueprint("analysis", __name__, url_prefix="/api/v1", description="Codebooks, coding and analysis")

STAFF = ("admin", "reviewer")


@blp.route("/consultations/<slug>/codebook")
class ConsultationCodebook(MethodView):
    @require_role("admin", "reviewer", "organiser")
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, CodebookSchema)
    def get(self, slug):
        """The consultation's codebook: stance definitions and themes (inactive ones included)"""
        return service.get_codebook(db.session, slug)

    @require_role(*STAFF)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(CodebookInputSchema)
    @blp.response(200, CodebookSchema)
    def put(self, data, slug):
        """Replace the codebook; themes left out are deactivated, not deleted (reviewer, admin)"""
        return service.replace_codebook(db.session, current_user(), slug, data)


@blp.route("/consultations/<slug>/codebook/themes")
class CodebookThemes(MethodView):
    @require_role(*STAFF)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(ThemeCreateSchema)
    @blp.response(201, ThemeSchema)
    def post(self, data, slug):
        """Add a theme, or promote a discovered cluster with from_cluster and example_references (reviewer, admin)"""
        return service.add_theme(db.session, current_user(), slug, data)


@blp.route("/consultations/<slug>/codebook/themes/<key>")
class CodebookTheme(MethodView):
    @require_role(*STAFF)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(ThemeUpdateSchema)
    @blp.response(200, ThemeSchema)
    def patch(self, data, slug, key):
        """Change a theme's label, description, examples or active state (reviewer, admin)"""
        return service.update_theme(db.session, current_user(), slug, key, data)

    @require_role(*STAFF)
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(204)
    def delete(self, slug, key):
        """Deactivate a theme; its past codings and history stay (reviewer, admin)"""
        service.deactivate_theme(db.session, current_user(), slug, key)


@blp.route("/consultations/<slug>/analysis/agreement")
class Agreement(MethodView):
    @require_role(*STAFF)
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, AgreementSchema)
    def get(self, slug):
        """Machine against reviewers on reviewer-coded responses: stance kappa, per-theme F1 (reviewer, admin)"""
        return service.agreement(db.session, slug)


@blp.route("/consultations/<slug>/analysis/run")
class AnalysisRun(MethodView):
    @require_role(*STAFF)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(AnalysisRunArgsSchema, location="query")
    @blp.response(202, AnalysisRunSchema)
    def post(self, args, slug):
        """Queue an incremental analysis of the consultation (inline when tasks run eagerly) (reviewer, admin)"""
        return tasks.request_analysis(db.session, current_user(), slug, force=args["force"])


@blp.route("/responses/<reference>/coding")
class ResponseCoding(MethodView):
    @require_role("admin", "reviewer", "organiser")
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, CodingSchema)
    def get(self, reference):
        """A response's coding and its history: who (machine or named reviewer) set what, and when"""
        return service.get_coding(db.session, current_user(), reference)

    @require_role(*STAFF)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(CodingInputSchema)
    @blp.response(200, CodingSchema)
    def put(self, data, reference):
        """Code a response (stance, themes, note); a reviewer's coding always wins over the machine's"""
        return service.code_response(db.session, current_user(), reference, data)
