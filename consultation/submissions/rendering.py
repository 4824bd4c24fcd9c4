"""HTML to PDF for submissions: WeasyPrint with the project-only fetcher, PDF/A-3b, tags and a time limit.

The time limit: WeasyPrint has no cancellation hook, so the layout runs in a child process, and past the limit
that process is killed: its memory goes with it and nothing it did can leak into the caller. The children come
from a fork server (started once per process, with WeasyPrint and this module already imported), so a render
pays a fork, not an interpreter start, and no child is forked from a process that runs other threads (the web
server's, the embedded worker's). The caller gets a clear error either way. In production the Celery task has
its own hard `time_limit` too, a backstop should the worker itself hang.
"""

import hashlib
import multiprocessing
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection

from flask import current_app
from sqlalchemy.orm import Session
from weasyprint import HTML, Attachment

from consultation.errors import ApiError
from consultation.submissions.document import build_document
from consultation.submissions.fetcher import SCHEME, ProjectURLFetcher
from consultation.submissions.models import Submission

PDF_VARIANT = "pdf/a-3b"
TEMPLATE = "pdf/submission.html"
DEFAULT_TIME_LIMIT = 300.0  # an all-borough document (112 pages) takes about 100 s of CPU: room for a busy worker
CHILD_NAME = "submission-render"
# What the fork server imports once, so each render's child starts with WeasyPrint loaded.
PRELOAD = ["consultation.submissions.rendering"]

Progress = Callable[[str], None]


class RenderTimeLimitExceeded(ApiError):
    def __init__(self, seconds: float):
        super().__init__(
            503,
            "render_time_limit",
            f"The PDF took longer than the {seconds:g}-second render limit and was stopped; nothing was saved.",
        )


class RenderFailed(ApiError):
    def __init__(self, reason: str):
        super().__init__(500, "render_failed", f"The PDF could not be rendered: {reason}")


@dataclass
class FetchRecord:
    """What the render's fetcher served and refused (it ran in the child; these are its lists, sent back)."""

    served: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@dataclass
class RenderedPdf:
    pdf: bytes
    pages: int
    sha256: str
    fetcher: FetchRecord


def time_limit_seconds() -> float:
    return float(current_app.config.get("SUBMISSION_RENDER_TIME_LIMIT", DEFAULT_TIME_LIMIT))


def _lay_out(connection: Connection, html: str, resources: dict, attachments: dict) -> None:
    """The child's work: lay out and write the PDF, sending progress and then the result down `connection`."""
    fetcher = ProjectURLFetcher(resources)
    try:
        connection.send(("progress", "laying out pages"))
        document = HTML(string=html, base_url=SCHEME, url_fetcher=fetcher).render(pdf_tags=True)
        connection.send(("progress", f"writing {len(document.pages)} pages"))
        files = [
            Attachment(
                string=content,
                name=name,
                description=f"{name}: figures stated in this document",
                relationship="Data",
                url_fetcher=fetcher,
            )
            for name, content in attachments.items()
        ]
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, attachments=files)
        connection.send(("done", (pdf, len(document.pages), FetchRecord(fetcher.served, fetcher.refused))))
    except Exception as error:  # sent to the parent, which raises it as a clear error
        connection.send(("error", f"{type(error).__name__}: {str(error)[:300]}"))
    finally:
        connection.close()


def _render_context():
    """The fork server, a clean single-threaded parent for every render; except in a daemonic process (a task in
    Celery's prefork pool: single-threaded itself, and its process object, Celery's own, cannot be pickled for the
    fork server), where the render child is forked directly."""
    if multiprocessing.current_process().daemon:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


@contextmanager
def _children_allowed():
    """Celery's prefork pool runs each task in a daemonic process, and multiprocessing refuses to start a child
    from one (a daemon's children could be orphaned when it is ended). The render child never outlives
    run_in_child (killed if need be, and joined, in its `finally`), so the flag is lifted for the start alone."""
    config = multiprocessing.current_process()._config  # the flag multiprocessing checks, private but stable
    daemon = config.pop("daemon", None)
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


def run_in_child(target: Callable, args: tuple, *, seconds: float, progress: Progress | None = None):
    """Run `target(connection, *args)` in a child process and return what it sends as ("done", value); the child
    is killed once `seconds` have passed (RenderTimeLimitExceeded), and never outlives this call."""
    context = _render_context()
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(sending, *args), name=CHILD_NAME, daemon=True)
    with _children_allowed():
        child.start()
    sending.close()
    deadline = time.monotonic() + seconds
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receiving.poll(remaining):
                raise RenderTimeLimitExceeded(seconds)
            try:
                kind, value = receiving.recv()
            except EOFError:
                raise RenderFailed("the render process ended without a result.") from None
            if kind == "done":
                return value
            if kind == "error":
                raise RenderFailed(value)
            if progress:
                progress(value)
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiving.close()


def html_to_pdf(
    html: str,
    *,
    resources: dict[str, tuple[bytes, str]] | None = None,
    attachments: dict[str, str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    progress: Progress | None = None,
) -> RenderedPdf:
    """Lay out and write the PDF: PDF/A-3b, tagged, CSV files attached, only project: resources fetched."""
    pdf, pages, fetched = run_in_child(
        _lay_out, (html, dict(resources or {}), dict(attachments or {})), seconds=time_limit, progress=progress
    )
    return RenderedPdf(pdf=pdf, pages=pages, sha256=hashlib.sha256(pdf).hexdigest(), fetcher=fetched)


def submission_html(session: Session, submission: Submission, *, rendered_at: datetime, filing: dict | None = None):
    """The document's HTML, its in-memory resources (charts, letterhead) and its CSV attachments."""
    document = build_document(session, submission, rendered_at=rendered_at, filing=filing)
    html = current_app.jinja_env.get_template(TEMPLATE).render(document.context)
    resources = {f"chart/{chart.name}.svg": (chart.svg, "image/svg+xml") for chart in document.charts}
    if submission.letterhead is not None:
        resources["letterhead"] = (submission.letterhead, submission.letterhead_type or "application/octet-stream")
    return html, resources, document.attachments


def render_submission(
    session: Session,
    submission: Submission,
    *,
    rendered_at: datetime,
    filing: dict | None = None,
    progress: Progress | None = None,
    time_limit: float | None = None,
) -> RenderedPdf:
    if progress:
        progress("gathering figures")
    html, resources, attachments = submission_html(session, submission, rendered_at=rendered_at, filing=filing)
    return html_to_pdf(
        html,
        resources=resources,
        attachments=attachments,
        time_limit=time_limit if time_limit is not None else time_limit_seconds(),
        progress=progress,
    )
