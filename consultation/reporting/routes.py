"""Aggregates, representative quotes, discovery, campaigns and exports (reviewers and admins everywhere,
organisers in their boroughs)."""

from flask.views import MethodView

from consultation.accounts.auth import current_user
from consultation.accounts.permissions import READERS, STAFF, requires
from consultation.background_jobs import JobSchema, get_job, queue_job, with_poll_url
from consultation.catalog.service import get_consultation
from consultation.extensions import Blueprint, db
from consultation.reporting import service, tasks
from consultation.reporting.constants import MEDIA_TYPES
from consultation.reporting.downloads import send_table
from consultation.reporting.schemas import (
    AggregatesExportQuerySchema,
    AggregatesQuerySchema,
    AggregatesSchema,
    CampaignListSchema,
    DiscoveryArgsSchema,
    QuotesQuerySchema,
    QuotesSchema,
    ResponsesExportQuerySchema,
)

blp = Blueprint(
    "reporting",
    __name__,
    url_prefix="/api/v1/consultations",
    description="Aggregates, representative quotes, discovery, campaigns and exports",
)

TEXT = {"type": "string"}
RESPONSE_ROWS = {
    "type": "array",
    "items": {"type": "object", "additionalProperties": True, "description": "One response: column name to value"},
}


def file_responses(json_body) -> dict:
    """The export's 200 response: the same data in each format, so JSON is documented as what it really is."""
    bodies = {"csv": TEXT, "xlsx": {"type": "string", "format": "binary"}, "json": json_body, "ndjson": TEXT}
    return {
        "200": {
            "description": "The export as an attachment (CSV and JSON stream; XLSX comes from a temporary file)",
            "content": {MEDIA_TYPES[name].split(";")[0]: {"schema": body} for name, body in bodies.items()},
        }
    }


@blp.route("/<slug>/aggregates")
class Aggregates(MethodView):
    @requires(READERS)
    @blp.arguments(AggregatesQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AggregatesSchema)
    def get(self, slug, group_by, include_late, campaigns, borough=None, station=None):
        """Counts by borough or station: stances, share opposed, themes, channels, respondent types, campaigns"""
        return service.compute_aggregates(
            db.session,
            get_consultation(db.session, slug),
            user=current_user(),
            group_by=group_by,
            include_late=include_late,
            campaigns=campaigns,
            borough_code=borough,
            station_slug=station,
        )


@blp.route("/<slug>/quotes")
class Quotes(MethodView):
    @requires(READERS)
    @blp.arguments(QuotesQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, QuotesSchema)
    def get(self, slug, limit, theme=None, borough=None, station=None):
        """Representative quotes: redacted, consented, unflagged, one per campaign, with the response reference"""
        quotes = service.representative_quotes(
            db.session,
            get_consultation(db.session, slug),
            theme_key=theme,
            borough_code=borough,
            station_slug=station,
            limit=limit,
            user=current_user(),
        )
        return {"quotes": quotes}


def _export(build, slug: str, file_format: str, borough, station, options: dict):
    """One export for the caller: ``build`` (a reporting service export) in the consultation's scope, sent as a file."""
    consultation = get_consultation(db.session, slug)
    table = build(db.session, consultation, user=current_user(), borough_code=borough, station_slug=station, **options)
    return send_table(table, file_format)


@blp.route("/<slug>/exports/responses")
class ResponsesExport(MethodView):
    @requires(READERS)
    @blp.doc(responses=file_responses(RESPONSE_ROWS))
    @blp.arguments(ResponsesExportQuerySchema, location="query", as_kwargs=True)
    def get(self, slug, format, borough=None, station=None, **options):  # noqa: A002  (the query parameter's name)
        """Export responses as CSV, XLSX, JSON or NDJSON; no personal data unless a reviewer asks"""
        return _export(service.response_export, slug, format, borough, station, options)


@blp.route("/<slug>/exports/aggregates")
class AggregatesExport(MethodView):
    @requires(READERS)
    @blp.doc(responses=file_responses(AggregatesSchema))
    @blp.arguments(AggregatesExportQuerySchema, location="query", as_kwargs=True)
    def get(self, slug, format, borough=None, station=None, **options):  # noqa: A002  (the query parameter's name)
        """Export the aggregates as CSV, XLSX (one row per group), JSON (the document) or NDJSON"""
        return _export(service.aggregates_export, slug, format, borough, station, options)


@blp.route("/<slug>/themes/discover")
class ThemeDiscovery(MethodView):
    @requires(STAFF)
    @blp.arguments(DiscoveryArgsSchema, location="query")
    @blp.response(202, JobSchema)
    def post(self, args, slug):
        """Find clusters of responses the codebook misses, in the background: poll the job; once done its result
        holds the clusters, with top terms and redacted examples (reviewer, admin)"""
        get_consultation(db.session, slug)
        params = {"slug": slug, "max_clusters": args["max_clusters"]}
        job = queue_job(db.session, tasks.discover_job, kind=tasks.DISCOVER, params=params, user_id=current_user().id)
        return with_poll_url(job, "reporting.ThemeDiscoveryJob", slug=slug)


@blp.route("/<slug>/themes/discover/<job_id>")
class ThemeDiscoveryJob(MethodView):
    @requires(STAFF)
    @blp.response(200, JobSchema)
    def get(self, slug, job_id):
        """A discovery job: queued, running, done (`result` is the clusters, as DiscoverySchema) or failed"""
        job = get_job(db.session, job_id, kind=tasks.DISCOVER, user_id=current_user().id)
        return with_poll_url(job, "reporting.ThemeDiscoveryJob", slug=slug)


@blp.route("/<slug>/campaigns")
class Campaigns(MethodView):
    @requires(STAFF)
    @blp.response(200, CampaignListSchema)
    def get(self, slug):
        """Identical and near-identical responses grouped as campaigns (reviewer, admin)"""
        return service.list_campaigns(db.session, slug)
