"""Codebooks, reviewer coding, machine-reviewer agreement, what to code next, and analysis runs and status."""

from flask.views import MethodView

from consultation.accounts.auth import current_user
from consultation.accounts.permissions import READERS, STAFF, requires
from consultation.analysis import service, tasks
from consultation.analysis.schemas import (
    AcceptThemeSchema,
    AgreementSchema,
    AnalysisRunArgsSchema,
    AnalysisRunSchema,
    AnalysisStatusSchema,
    CodebookInputSchema,
    CodebookSchema,
    CodingInputSchema,
    CodingSchema,
    NextToCodeArgsSchema,
    ThemeCreateSchema,
    ThemeSchema,
    ThemeUpdateSchema,
)
from consultation.background_jobs import JobSchema, get_job, queue_job, with_poll_url
from consultation.catalog.service import get_consultation
from consultation.extensions import Blueprint, db

blp = Blueprint("analysis", __name__, url_prefix="/api/v1", description="Codebooks, coding and analysis")


@blp.route("/consultations/<slug>/codebook")
class ConsultationCodebook(MethodView):
    @requires(READERS)
    @blp.response(200, CodebookSchema)
    def get(self, slug):
        """The consultation's codebook: stance definitions and themes (inactive ones included)"""
        return service.get_codebook(db.session, slug)

    @requires(STAFF)
    @blp.arguments(CodebookInputSchema)
    @blp.response(200, CodebookSchema)
    def put(self, data, slug):
        """Replace the codebook; themes left out are deactivated, not deleted (reviewer, admin)"""
        return service.replace_codebook(db.session, current_user(), slug, data)


@blp.route("/consultations/<slug>/codebook/themes")
class CodebookThemes(MethodView):
    @requires(STAFF)
    @blp.arguments(ThemeCreateSchema)
    @blp.response(201, ThemeSchema)
    def post(self, data, slug):
        """Add a theme, or promote a discovered cluster with from_cluster and example_references (reviewer, admin)"""
        return service.add_theme(db.session, current_user(), slug, data)


@blp.route("/consultations/<slug>/codebook/discovered")
class AcceptDiscoveredTheme(MethodView):
    @requires(STAFF)
    @blp.arguments(AcceptThemeSchema)
    @blp.response(201, ThemeSchema)
    def post(self, data, slug):
        """Accept a discovered theme into the codebook in one step: its suggested label and description (reviewer,
        admin)"""
        return service.accept_discovered_theme(db.session, current_user(), slug, data)


@blp.route("/consultations/<slug>/codebook/themes/<key>")
class CodebookTheme(MethodView):
    @requires(STAFF)
    @blp.arguments(ThemeUpdateSchema)
    @blp.response(200, ThemeSchema)
    def patch(self, data, slug, key):
        """Change a theme's label, description, examples or active state (reviewer, admin)"""
        return service.update_theme(db.session, current_user(), slug, key, data)

    @requires(STAFF)
    @blp.response(204)
    def delete(self, slug, key):
        """Deactivate a theme; its past codings and history stay (reviewer, admin)"""
        service.deactivate_theme(db.session, current_user(), slug, key)


@blp.route("/consultations/<slug>/analysis/agreement")
class Agreement(MethodView):
    @requires(STAFF)
    @blp.response(200, AgreementSchema)
    def get(self, slug):
        """How far to trust the machine: its agreement with reviewers, with intervals and a verdict (reviewer, admin)

        Measured on the responses reviewers coded: stance accuracy and Cohen's kappa, and per theme precision,
        recall and F1, each with a 95% interval. Each theme and the stance get a verdict (`trusted`, `not_trusted`,
        `not_yet_known`, `too_few_codings`) and the reason in plain words.
        """
        return service.agreement(db.session, slug)


@blp.route("/consultations/<slug>/analysis/next-to-code")
class NextToCode(MethodView):
    @requires(READERS)
    @blp.arguments(NextToCodeArgsSchema, location="query")
    @blp.response(202, JobSchema)
    def post(self, args, slug):
        """Work out, in the background, the uncoded responses whose coding would teach the machine most, and why
        (organisers: their boroughs); poll the job, whose result is the list once done

        Ranked by how unsure the machine is of the stance or a theme, and by how unlike the response is to those
        already coded; each listed response also counts as seen for the next, so the list is varied.
        """
        user = current_user()
        get_consultation(db.session, slug)
        params = {"slug": slug, "n": args["n"], "user_id": user.id}
        job = queue_job(db.session, tasks.next_to_code_job, kind=tasks.NEXT_TO_CODE, params=params, user_id=user.id)
        return with_poll_url(job, "analysis.NextToCodeJob", slug=slug)


@blp.route("/consultations/<slug>/analysis/next-to-code/<job_id>")
class NextToCodeJob(MethodView):
    @requires(READERS)
    @blp.response(200, JobSchema)
    def get(self, slug, job_id):
        """A next-to-code job: queued, running, done (`result` as NextToCodeSchema) or failed"""
        job = get_job(db.session, job_id, kind=tasks.NEXT_TO_CODE, user_id=current_user().id)
        return with_poll_url(job, "analysis.NextToCodeJob", slug=slug)


@blp.route("/consultations/<slug>/analysis/status")
class AnalysisStatus(MethodView):
    @requires(READERS)
    @blp.response(200, AnalysisStatusSchema)
    def get(self, slug):
        """What the analysis runs on here (sentence model or words only) and how far it has got"""
        return service.analysis_status(db.session, slug)


@blp.route("/consultations/<slug>/analysis/run")
class AnalysisRun(MethodView):
    @requires(STAFF)
    @blp.arguments(AnalysisRunArgsSchema, location="query")
    @blp.response(202, AnalysisRunSchema)
    @blp.alt_response(503, response="DEFAULT_ERROR", description="broker_unavailable (production, broker down)")
    def post(self, args, slug):
        """Queue an incremental analysis of the consultation; it runs in the background, never here (reviewer, admin)"""
        return tasks.request_analysis(db.session, current_user(), slug, force=args["force"])


@blp.route("/responses/<reference>/coding")
class ResponseCoding(MethodView):
    @requires(READERS)
    @blp.response(200, CodingSchema)
    def get(self, reference):
        """A response's coding and its history: who (machine or named reviewer) set what, and when"""
        return service.get_coding(db.session, current_user(), reference)

    @requires(STAFF)
    @blp.arguments(CodingInputSchema)
    @blp.response(200, CodingSchema)
    def put(self, data, reference):
        """Code a response (stance, themes, note); a reviewer's coding always wins over the machine's"""
        return service.code_response(db.session, current_user(), reference, data)
