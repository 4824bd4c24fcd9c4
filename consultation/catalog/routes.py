"""Consultations, their stations and questionnaires."""

from flask.views import MethodView

from consultation.accounts.auth import current_user
from consultation.accounts.permissions import ADMINS, requires
from consultation.catalog import service
from consultation.catalog.schemas import (
    ConsultationCreateSchema,
    ConsultationDetailSchema,
    ConsultationListSchema,
    ConsultationUpdateSchema,
    QuestionnaireSchema,
)
from consultation.extensions import Blueprint, db

blp = Blueprint("catalog", __name__, url_prefix="/api/v1/consultations", description="Consultations and stations")


@blp.route("")
class Consultations(MethodView):
    @blp.response(200, ConsultationListSchema)
    def get(self):
        """List consultations, newest first"""
        return {"consultations": service.list_consultations(db.session)}

    @requires(ADMINS)
    @blp.arguments(ConsultationCreateSchema)
    @blp.response(201, ConsultationDetailSchema)
    @blp.alt_response(409, response="DEFAULT_ERROR", description="conflict: the slug is taken")
    def post(self, data):
        """Create a consultation with its questionnaire and stations (admin)

        The staff console's "Create a consultation" page (/staff/manage/consultations/new) sends this same body
        through the same schema and service."""
        return service.create_consultation(db.session, current_user(), data)


@blp.route("/<slug>")
class ConsultationDetail(MethodView):
    @blp.response(200, ConsultationDetailSchema)
    def get(self, slug):
        """A consultation with its stations, proposals, figures and deadline"""
        return service.get_consultation(db.session, slug)

    @requires(ADMINS)
    @blp.arguments(ConsultationUpdateSchema)
    @blp.response(200, ConsultationDetailSchema)
    @blp.alt_response(
        409, response="DEFAULT_ERROR", description="consultation_has_responses: questionnaire or stations sent"
    )
    def patch(self, data, slug):
        """Change a consultation; questions and stations only while it has no responses (admin)

        Sending `questionnaire` or `stations` once any response exists is refused with 409
        `consultation_has_responses`, and nothing in the request is applied; title, summary, dates and wording
        may change at any time (a moved deadline judges lateness again)."""
        return service.update_consultation(db.session, current_user(), slug, data)


@blp.route("/<slug>/questionnaire")
class ConsultationQuestionnaire(MethodView):
    @blp.response(200, QuestionnaireSchema)
    def get(self, slug):
        """The questionnaire residents answer, with stable question codes"""
        return service.get_questionnaire(db.session, slug)
