"""Reporting's long reads as Celery tasks (consultation/jobs.py says where they run: never inside the request)."""

from consultation.background_jobs import run_job
from consultation.extensions import celery, db
from consultation.jobs import RELIABLE
from consultation.reporting import service
from consultation.reporting.schemas import DiscoverySchema

DISCOVER = "discover"


@celery.task(name="reporting.discover", **RELIABLE)
def discover_job(job_id: str) -> str:
    """Theme discovery over a consultation's analysed responses; the result is stored on the job row."""

    def work(params: dict) -> dict:
        found = service.discover(db.session, params["slug"], max_clusters=params["max_clusters"])
        return DiscoverySchema().dump(found)

    return run_job(db.session, job_id, work)
