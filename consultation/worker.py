"""Celery worker entry point: `celery -A consultation.worker worker` (set CELERY_BROKER_URL, e.g. Redis)."""

from consultation import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
