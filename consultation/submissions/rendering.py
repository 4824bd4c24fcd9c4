"""HTML to PDF for submissions: WeasyPrint with the project-only fetcher, PDF/A-3b, tags and a time limit.

The time limit: WeasyPrint has no cancellation hook, and a render must be stoppable inside web requests and
Celery's worker processes alike (which may not start child processes), so the layout runs in a thread and,
past the limit, that thread is interrupted with an asynchronous exception (CPython's
PyThreadState_SetAsyncExc). WeasyPrint lays out in Python, so the exception lands within milliseconds, the
thread unwinds and its memory is freed; the caller gets a clear error at once either way.
"""

import ctypes
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session
from weasyprint import HTML, Attachment

from consultation.common import counted
from consultation.errors import ApiError
from consultation.submissions.document import build_document
from consultation.submissions.fetcher import SCHEME, ProjectURLFetcher
from consultation.submissions.models import Submission

PDF_VARIANT = "pdf/a-3b"
TEMPLATE = "pdf/submission.html"
DEFAULT_TIME_LIMIT = 120.0

Progress = Callable[[str], None]


class RenderTimedOut(BaseException):
    """Raised inside the render thread to stop it; BaseException so WeasyPrint's `except Exception` lets it pass."""


class RenderTimeLimitExceeded(ApiError):
    def __init__(self, seconds: float):
        super().__init__(
            503,
            "render_time_limit",
            f"The PDF took longer than the {seconds:g}-second render limit and was stopped; nothing was saved.",
        )


@dataclass
class RenderedPdf:
    pdf: bytes
    pages: int
    sha256: str
    fetcher: ProjectURLFetcher


def time_limit_seconds() -> float:
    return float(current_app.config.get("SUBMISSION_RENDER_TIME_LIMIT", DEFAULT_TIME_LIMIT))


# How often, and how far apart, the stop is sent: an asynchronous exception that lands inside a callback the
# interpreter runs for itself (a weakref's, a finaliser's) is printed and dropped, so one delivery can be lost.
STOP_ATTEMPTS = 10
STOP_INTERVAL = 0.1


def _stop(thread: threading.Thread) -> bool:
    """Interrupt the render thread, sending the stop again until it ends; whether it ended within a second.

    The caller is answered either way; a thread that outlives the attempts is a daemon and ends with the process.
    """
    for _ in range(STOP_ATTEMPTS):
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(RenderTimedOut))
        thread.join(STOP_INTERVAL)
        if not thread.is_alive():
            return True
    return False


def _run_with_time_limit(work: Callable[[], object], seconds: float):
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    thread = threading.Thread(target=target, name="submission-render", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        _stop(thread)
        raise RenderTimeLimitExceeded(seconds)
    if isinstance(outcome.get("error"), RenderTimedOut):
        raise RenderTimeLimitExceeded(seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def html_to_pdf(
    html: str,
    *,
    resources: dict[str, tuple[bytes, str]] | None = None,
    attachments: dict[str, str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    progress: Progress | None = None,
) -> RenderedPdf:
    """Lay out and write the PDF: PDF/A-3b, tagged, CSV files attached, only project: resources fetched."""
    fetcher = ProjectURLFetcher(resources)

    def work():
        if progress:
            progress("laying out pages")
        document = HTML(string=html, base_url=SCHEME, url_fetcher=fetcher).render(pdf_tags=True)
        if progress:
            progress(f"writing {counted(len(document.pages), 'page')}")
        files = [
            Attachment(
                string=content,
                name=name,
                description=f"{name}: figures stated in this document",
                relationship="Data",
                url_fetcher=fetcher,
            )
            for name, content in (attachments or {}).items()
        ]
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, attachments=files)
        return pdf, len(document.pages)

    pdf, pages = _run_with_time_limit(work, time_limit)
    return RenderedPdf(pdf=pdf, pages=pages, sha256=hashlib.sha256(pdf).hexdigest(), fetcher=fetcher)


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
