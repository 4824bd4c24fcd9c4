"""Filing is a job, never a render inside the request; the submission is locked while its final PDF is made, and
the filed PDF is the exact draft that was sent for filing."""

import io

import pytest
from pypdf import PdfReader

from consultation.extensions import db
from consultation.submissions import filing, tasks
from consultation.submissions.models import Submission, SubmissionFiling, SubmissionRender
from consultation.submissions.rendering import RenderTimeLimitExceeded, render_submission
from tests.submissions.conftest import assert_error


@pytest.fixture
def queued_filing(create, client, auth, monkeypatch):
    """A draft sent for filing whose job is queued, not yet run: (submission id, job as the 202 gave it)."""
    queued = []
    monkeypatch.setattr(tasks.file_job, "delay", lambda job_id: queued.append(job_id))

    def refuse_to_render(*args, **kwargs):
        raise AssertionError("the filing request rendered the PDF itself")

    monkeypatch.setattr(filing, "render_submission", refuse_to_render)
    submission_id = create().get_json()["id"]
    response = client.post(f"/api/v1/submissions/{submission_id}/file", headers=auth("organiser"))
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert queued == [job["id"]]
    monkeypatch.setattr(filing, "render_submission", render_submission)
    return submission_id, job


def _title_in_pdf(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_filing_answers_202_with_a_job_to_poll_and_renders_nothing_in_the_request(queued_filing, client, auth):
    submission_id, job = queued_filing
    assert job["status"] == "queued" and job["purpose"] == "filing" and job["filing"] is None
    assert job["poll_url"] == f"/api/v1/submissions/{submission_id}/renders/{job['id']}"
    assert client.get(f"/api/v1/submissions/{submission_id}", headers=auth("organiser")).get_json()["status"] == (
        "filing"
    )
    assert db.session.query(SubmissionFiling).count() == 0

    assert tasks.file_job(job["id"]) == "done"  # what the worker runs
    polled = client.get(job["poll_url"], headers=auth("organiser")).get_json()
    assert polled["status"] == "done" and polled["filing"]["reference"].startswith("SUB-")
    assert polled["filing"]["sha256"] == polled["sha256"]


def test_any_change_to_a_submission_being_filed_is_refused_and_the_filed_pdf_is_the_draft_sent(
    queued_filing, client, auth, monkeypatch
):
    submission_id, job = queued_filing
    base = f"/api/v1/submissions/{submission_id}"
    refusals = []

    def patch_now():
        reply = client.patch(base, json={"title": "Changed while filing"}, headers=auth("organiser"))
        refusals.append((reply.status_code, reply.get_json()["code"]))

    patch_now()  # queued
    assert_error(client.post(f"{base}/file", headers=auth("organiser")), 409, "submission_being_filed")
    assert_error(client.delete(f"{base}/letterhead", headers=auth("organiser")), 409, "submission_being_filed")
    assert_error(client.delete(base, headers=auth("admin")), 409, "submission_being_filed")

    def render_with_a_patch_half_way(*args, **kwargs):  # the organiser edits while the PDF is being laid out
        patch_now()
        return render_submission(*args, **kwargs)

    monkeypatch.setattr(filing, "render_submission", render_with_a_patch_half_way)
    assert tasks.file_job(job["id"]) == "done"
    assert refusals == [(409, "submission_being_filed")] * 2
    db.session.expire_all()
    submission = db.session.get(Submission, submission_id)
    assert submission.status == "filed" and submission.title != "Changed while filing"
    text = _title_in_pdf(submission.filing.pdf)
    assert submission.title.split()[0] in text and "Changed while filing" not in text


def test_a_draft_changed_after_it_was_sent_for_filing_is_not_filed(queued_filing, client, auth):
    submission_id, job = queued_filing
    submission = db.session.get(Submission, submission_id)
    submission.title = "Slipped in"  # a change that reached the row by another way than the API's checks
    db.session.commit()
    assert tasks.file_job(job["id"]) == "failed"
    polled = client.get(job["poll_url"], headers=auth("organiser")).get_json()
    assert polled["error"] == filing.DRAFT_CHANGED and polled["filing"] is None
    assert db.session.query(SubmissionFiling).count() == 0
    assert db.session.get(Submission, submission_id).status == "draft"  # unlocked: the organiser can file again


def test_a_filing_whose_render_fails_leaves_a_draft_that_can_be_changed_and_filed_again(
    queued_filing, client, auth, monkeypatch
):
    submission_id, job = queued_filing

    def too_slow(*args, **kwargs):
        raise RenderTimeLimitExceeded(120)

    monkeypatch.setattr(filing, "render_submission", too_slow)
    assert tasks.file_job(job["id"]) == "failed"
    assert "render limit" in db.session.get(SubmissionRender, job["id"]).error
    base = f"/api/v1/submissions/{submission_id}"
    assert client.patch(base, json={"title": "Second try"}, headers=auth("organiser")).status_code == 200
    monkeypatch.undo()
    again = client.post(f"{base}/file", headers=auth("organiser"))
    assert again.status_code == 202 and again.get_json()["status"] == "done"  # inline in tests
    assert "Second try" in _title_in_pdf(db.session.get(Submission, submission_id).filing.pdf)
