"""Page images of a rendered submission PDF, for the preview shown beside the submission editor.

PDFium (Chromium's PDF engine, through pypdfium2) draws each page into a bitmap and Pillow writes it as PNG. The
work is bounded whatever the document holds: at most `MAX_PREVIEW_PAGES` pages are drawn, each scaled to
`PREVIEW_WIDTH` pixels wide and never taller than `MAX_PREVIEW_HEIGHT` (an odd page size cannot ask for a huge
bitmap). It runs inside the render job, never in a request, and its images are stored with the render.
PDFium is not thread-safe, and the embedded default runs jobs on threads, so one lock guards every call into it.
"""

import io
import logging
import threading
from dataclasses import dataclass

import pypdfium2
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consultation.submissions.models import SubmissionRender, SubmissionRenderPage

MAX_PREVIEW_PAGES = 30
PREVIEW_WIDTH = 800  # pixels: an A4 page at about 97 dots per inch, sharp on a screen beside the form
MAX_PREVIEW_HEIGHT = 2400

_pdfium = threading.Lock()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageImage:
    number: int  # 1-based
    width: int
    height: int
    png: bytes


class PreviewFailed(Exception):
    """The PDF could not be drawn (it is not a PDF PDFium can read)."""


def _scale(page_width: float, page_height: float, width: int, max_height: int) -> float:
    scale = width / page_width
    return min(scale, max_height / page_height)


def page_images(
    pdf: bytes, *, max_pages: int = MAX_PREVIEW_PAGES, width: int = PREVIEW_WIDTH, max_height: int = MAX_PREVIEW_HEIGHT
) -> list[PageImage]:
    """The first `max_pages` pages of the PDF as PNG images `width` pixels wide (or less, to stay under
    `max_height`)."""
    images = []
    with _pdfium:
        try:
            document = pypdfium2.PdfDocument(pdf)
        except pypdfium2.PdfiumError as error:
            raise PreviewFailed(f"The PDF could not be read for its preview: {error}") from error
        try:
            for index in range(min(len(document), max_pages)):
                page = document[index]
                page_width, page_height = page.get_size()
                bitmap = page.render(scale=_scale(page_width, page_height, width, max_height))
                image = bitmap.to_pil()
                buffer = io.BytesIO()
                image.save(buffer, format="PNG", optimize=True)
                images.append(PageImage(index + 1, image.width, image.height, buffer.getvalue()))
                page.close()
        finally:
            document.close()
    return images


def store_page_images(session: Session, job: SubmissionRender) -> int:
    """Draw the finished job's PDF and add its pages to the session (the caller commits them with the job);
    older renders of the same submission lose theirs, so one preview is kept per submission. How many pages were
    drawn; 0 when PDFium could not read the PDF (the render itself stands: the PDF is what is filed)."""
    try:
        images = page_images(job.pdf)
    except PreviewFailed:
        log.exception("No preview for render %s of submission %s", job.id, job.submission_id)
        return 0
    older = select(SubmissionRender.id).where(
        SubmissionRender.submission_id == job.submission_id, SubmissionRender.id != job.id
    )
    session.execute(delete(SubmissionRenderPage).where(SubmissionRenderPage.render_id.in_(older)))
    for image in images:
        session.add(
            SubmissionRenderPage(
                render_id=job.id, number=image.number, width=image.width, height=image.height, png=image.png
            )
        )
    return len(images)


def stored_pages(session: Session, render_id: str) -> list[dict]:
    """The preview's pages of a render (number, width, height), without their images."""
    rows = session.execute(
        select(SubmissionRenderPage.number, SubmissionRenderPage.width, SubmissionRenderPage.height)
        .where(SubmissionRenderPage.render_id == render_id)
        .order_by(SubmissionRenderPage.number)
    )
    return [{"number": number, "width": width, "height": height} for number, width, height in rows]
