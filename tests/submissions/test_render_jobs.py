"""Render jobs: queued until a worker takes them, never served before they are done; a real Celery worker renders
them when a Redis broker is there; and the same inputs render the same content apart from the render time."""

import os
import threading
import time

import pytest
from celery.signals import task_postrun

from consultation.clock import describe_london, now
from consultation.extensions import db
from consultation.submissions import tasks
from consultation.submissions.models import Submission
from consultation.submissions.rendering import submission_html
from tests.submissions.conftest import assert_error
from tests.worker_support import redis_worker as worker_on_redis

REDIS_URL = os.environ.get("SUBMISSIONS_TEST_REDIS_URL", "redis://127.0.0.1:6379/4")


def test_a_queued_job_is_polled_until_a_worker_renders_it(create, client, auth, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.render_job, "delay", lambda job_id: queued.append(job_id))
    submission_id = create().get_json()["id"]
    job = client.post(f"/api/v1/submissions/{submission_id}/render", headers=auth("organiser")).get_json()
    assert job["status"] == "queued" and queued == [job["id"]] and job["pdf_url"] is None
    assert client.get(job["poll_url"], headers=auth("organiser")).get_json()["status"] == "queued"
    assert_error(client.get(f"/api/v1/submissions/{submission_id}/pdf", headers=auth("organiser")), 404, "not_found")

    assert tasks.render_job(job["id"]) == "done"  # what the worker runs
    polled = client.get(job["poll_url"], headers=auth("organiser")).get_json()
    assert polled["status"] == "done" and polled["pdf_url"].endswith(f"/submissions/{submission_id}/pdf")
    assert client.get(polled["pdf_url"], headers=auth("organiser")).data.startswith(b"%PDF-")


def test_the_same_inputs_give_the_same_document_apart_from_the_render_time(app, create):
    submission = db.session.get(Submission, create().get_json()["id"])
    first_at, second_at = now(), now().replace(minute=(now().minute + 7) % 60)
    first = submission_html(db.session, submission, rendered_at=first_at)
    second = submission_html(db.session, submission, rendered_at=second_at)
    assert first[0] != second[0]
    without_time = [
        html.replace(describe_london(at), "<time>") for (html, _, _), at in ((first, first_at), (second, second_at))
    ]
    assert without_time[0] == without_time[1]
    assert first[1] == second[1]  # charts, byte for byte
    assert first[2] == second[2]  # CSV attachments


@pytest.fixture
def redis_worker(app, monkeypatch):
    with worker_on_redis(app, monkeypatch, REDIS_URL):
        yield


def test_a_celery_worker_renders_the_job_off_the_request(create, client, auth, redis_worker):
    # The worker runs in a thread of this process. On the in-memory SQLite database every thread shares one
    # connection, so polling while the worker renders would interleave the two threads' transactions (a poll's
    # rollback undoing the worker's reads): the test polls once the worker has finished its task.
    finished = threading.Event()

    def task_ended(**_):
        finished.set()

    task_postrun.connect(task_ended, weak=False)
    submission_id = create().get_json()["id"]
    job = client.post(f"/api/v1/submissions/{submission_id}/render", headers=auth("organiser")).get_json()
    assert job["status"] in ("queued", "running", "done")
    try:
        assert finished.wait(60), "the worker did not finish the render task within 60 s"
    finally:
        task_postrun.disconnect(task_ended)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.remove()  # read what the worker committed, not this session's cached state
        polled = client.get(job["poll_url"], headers=auth("organiser")).get_json()
        if polled["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert polled["status"] == "done", polled
    assert client.get(polled["pdf_url"], headers=auth("organiser")).data.startswith(b"%PDF-")
