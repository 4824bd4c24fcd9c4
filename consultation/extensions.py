"""Extensions, created once here and bound to the app in create_app()."""

from celery import Celery, Task
from flask import has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from consultation.common import NAMING_CONVENTION
from consultation.errors import ErrorSchema, handle_http_exception


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Api(SmorestApi):
    """flask-smorest, but documenting and sending our one error shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)


class AppContextTask(Task):
    """Runs each task inside the Flask app context (eager tasks reuse the caller's)."""

    flask_app = None

    def __call__(self, *args, **kwargs):
        if has_app_context() or self.flask_app is None:
            return self.run(*args, **kwargs)
        with self.flask_app.app_context():
            return self.run(*args, **kwargs)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
api = Api()
limiter = Limiter(key_func=get_remote_address)
csrf = CSRFProtect()
celery = Celery("consultation", task_cls=AppContextTask)


def init_celery(app) -> None:
    """Configure Celery from the Flask config: eager (inline) by default, a Redis broker in production."""
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=True,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # A worker takes one job at a time, so a job it dies on is the only one to go back to the queue.
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Fail fast when the broker is down: intake's notices are then recovered by the sweep.
        broker_connection_timeout=2,
        # With JSON logs the worker keeps the app's handler (one JSON object per line) instead of Celery's own.
        worker_hijack_root_logger=app.config["LOG_FORMAT"] != "json",
    )
    AppContextTask.flask_app = app
    app.extensions["celery"] = celery
