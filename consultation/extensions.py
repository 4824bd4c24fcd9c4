"""Extensions, created once here and bound to the app in create_app()."""

import threading

import flask_smorest
import marshmallow as ma
from celery import Celery, Task
from celery.signals import task_postrun, task_prerun
from celery.utils import uuid
from flask import has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from webargs.flaskparser import FlaskParser

from consultation.common import NAMING_CONVENTION
from consultation.errors import ErrorSchema, handle_http_exception
from consultation.jobs import celery_settings, embedded


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Api(SmorestApi):
    """flask-smorest, but documenting and sending our one error shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)


class SharedSchemaParser(FlaskParser):
    """webargs, but one schema object per schema class instead of a new one per request.

    Given a class, webargs builds (and deep-copies the fields of) a fresh schema on every request: about a tenth
    of a millisecond each, twice on the resident form's write. Our argument schemas keep no state between loads
    (no context, nothing set on self), so one shared object per class loads the same, in any thread.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, parsing arguments with :class:`SharedSchemaParser`."""

    ARGUMENTS_PARSER = SharedSchemaParser()


class AppContextTask(Task):
    """Each task runs inside the Flask app context (pushed by `_enter_app_context`; an eager task reuses the
    caller's); in the embedded mode, sending a task starts this process's worker thread and counts the task until
    it has run (consultation/jobs.py)."""

    flask_app = None

    def apply_async(self, args=None, kwargs=None, task_id=None, **options):
        if not embedded.enabled or self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, task_id=task_id, **options)
        embedded.start(self.app)
        task_id = task_id or uuid()
        embedded.note_sent(task_id)
        try:
            return super().apply_async(args, kwargs, task_id=task_id, **options)
        except BaseException:
            embedded.note_finished(task_id)
            raise


# Celery's task_prerun and task_postrun signals rather than an overridden Task.__call__: the worker's tracer calls
# them around every run, eager or not, retried or failed, on the worker's thread.
_pushed = threading.local()


def _enter_app_context(task_id=None, task=None, **_) -> None:
    stack = _pushed.__dict__.setdefault("contexts", [])
    if has_app_context() or AppContextTask.flask_app is None:
        stack.append(None)
        return
    context = AppContextTask.flask_app.app_context()
    context.push()
    stack.append(context)


def _leave_app_context(task_id=None, task=None, **_) -> None:
    stack = _pushed.__dict__.setdefault("contexts", [])
    context = stack.pop() if stack else None
    if context is not None:
        context.pop()
    if embedded.enabled and task is not None and not task.request.is_eager and task_id:
        embedded.note_finished(task_id)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
api = Api()
limiter = Limiter(key_func=get_remote_address)
csrf = CSRFProtect()
celery = Celery("consultation", task_cls=AppContextTask)


def init_celery(app) -> None:
    """Configure Celery from the Flask config: where tasks run is BACKGROUND_JOBS (consultation/jobs.py)."""
    settings = celery_settings(app.config)
    if embedded.running() and app.config["BACKGROUND_JOBS"] != "thread":
        embedded.stop()
    celery.conf.update(
        **settings,
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
    # A changed broker must not reuse the connections (or the result backend) made for the previous one.
    celery._pool = None
    celery.amqp._producer_pool = None
    if hasattr(celery._local, "backend"):
        del celery._local.backend
    embedded.enabled = app.config["BACKGROUND_JOBS"] == "thread"
    AppContextTask.flask_app = app
    task_prerun.connect(_enter_app_context, dispatch_uid="consultation-app-context-enter")
    task_postrun.connect(_leave_app_context, dispatch_uid="consultation-app-context-leave")
    app.extensions["celery"] = celery
    # The embedded worker (and its beat, which sweeps) starts with the first request, not at import or in CLI
    # commands; starting is a no-op once running, or in the other modes.
    if start_embedded_worker not in app.before_request_funcs.get(None, []):
        app.before_request(start_embedded_worker)


def start_embedded_worker() -> None:
    embedded.start(celery)
