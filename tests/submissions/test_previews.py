"""The preview's page images: drawn from the rendered PDF inside the render job, bounded in pages and size,
stored with the render (one preview kept per submission) and served only to those who may read the submission."""

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from consultation.extensions import db
from consultation.submissions import previews, service, tasks
from consultation.submissions.models import SubmissionRender, SubmissionRenderPage

PNG = b"\x89PNG\r\n\x1a\n"


def blank_pdf(*sizes: tuple[float, float]) -> bytes:
    writer = PdfWriter()
    for width, height in sizes:
        writer.add_blank_page(width=width, height=height)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_every_page_of_the_demo_pdf_is_drawn_as_a_png_of_the_preview_width(demo_pdf):
    images = previews.page_images(demo_pdf["pdf"])
    assert [image.number for image in images] == list(range(1, demo_pdf["pages"] + 1))
    for image in images:
        assert image.png.startswith(PNG) and image.width == previews.PREVIEW_WIDTH
        assert 1.40 < image.height / image.width < 1.42  # A4
        decoded = Image.open(io.BytesIO(image.png))
        assert decoded.size == (image.width, image.height)
    # the first page carries the letter's text: far from a blank white page
    first = Image.open(io.BytesIO(images[0].png)).convert("L")
    assert first.getextrema()[0] < 100


def test_the_preview_is_bounded_in_pages_and_height():
    pdf = blank_pdf(*[(595, 842)] * 5, (200, 14400))
    assert len(previews.page_images(pdf, max_pages=3)) == 3
    tall = previews.page_images(pdf)[-1]
    assert tall.height <= previews.MAX_PREVIEW_HEIGHT and tall.width < previews.PREVIEW_WIDTH


def test_something_that_is_not_a_pdf_gives_a_clear_failure():
    with pytest.raises(previews.PreviewFailed):
        previews.page_images(b"%PDF-1.7 but not really")


def _render(client, auth, submission_id, monkeypatch) -> str:
    queued = []
    monkeypatch.setattr(tasks.render_job, "delay", lambda job_id: queued.append(job_id))
    job = client.post(f"/api/v1/submissions/{submission_id}/render", headers=auth("organiser")).get_json()
    assert tasks.render_job(job["id"]) == "done"
    return job["id"]


def test_the_render_job_stores_the_page_images_and_keeps_only_the_newest_preview(create, client, auth, monkeypatch):
    submission_id = create().get_json()["id"]
    first = _render(client, auth, submission_id, monkeypatch)
    job = db.session.get(SubmissionRender, first)
    stored = db.session.query(SubmissionRenderPage).filter_by(render_id=first).order_by("number").all()
    assert [page.number for page in stored] == list(range(1, job.pages + 1))
    assert all(page.png.startswith(PNG) for page in stored)

    second = _render(client, auth, submission_id, monkeypatch)
    assert db.session.query(SubmissionRenderPage).filter_by(render_id=first).count() == 0
    assert db.session.query(SubmissionRenderPage).filter_by(render_id=second).count() == job.pages


def test_a_page_image_is_served_only_to_those_who_may_read_the_submission(create, client, auth, monkeypatch):
    from consultation.accounts.models import User
    from consultation.errors import Forbidden, NotFound

    submission_id = create().get_json()["id"]
    job_id = _render(client, auth, submission_id, monkeypatch)
    owner = db.session.query(User).filter_by(name="Test organiser").one()
    other = db.session.query(User).filter_by(name="Redbridge organiser").one()
    assert service.get_page_image(db.session, owner, submission_id, job_id, 1).png.startswith(PNG)
    with pytest.raises(Forbidden):
        service.get_page_image(db.session, other, submission_id, job_id, 1)
    with pytest.raises(NotFound):
        service.get_page_image(db.session, owner, submission_id, job_id, 99)
