"""The submissions API: who may draw up, see and change what (each organiser only their own), letterheads,
render jobs."""

import io

import pytest
from PIL import Image

from tests.submissions.conftest import assert_error


def _image(width: int, height: int, image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format=image_format)
    return buffer.getvalue()


PNG = _image(600, 120, "PNG")
JPEG = _image(600, 120, "JPEG")


def test_an_organiser_draws_up_a_draft_submission_for_their_borough(create):
    response = create()
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft" and body["version"] == 1
    assert body["stations"] == ["dagenham"]
    assert body["signatory"] == {"name": "A. Organiser", "role": "Chair"}
    assert body["sections"] == [{"heading": "Our view", "body": "Keep it *open*."}]
    assert body["filing"] is None and body["has_letterhead"] is False


def test_an_organiser_cannot_name_another_boroughs_station(create):
    assert_error(create(stations=["dagenham", "woodford"]), 403, "forbidden")


def test_unknown_stations_and_missing_fields_get_field_messages(create, client, auth):
    body = assert_error(create(stations=["nowhere"]), 422, "validation_error")
    assert "nowhere" in body["errors"]["stations"][0]
    response = client.post("/api/v1/submissions", json={"consultation": "front-counters"}, headers=auth("organiser"))
    body = assert_error(response, 422, "validation_error")
    assert {"title", "addressed_to", "organisation", "signatory", "stations"} <= set(body["errors"])
    assert_error(create(slug="no-such-consultation"), 404, "not_found")


def test_reviewers_cannot_draw_up_submissions_and_the_public_cannot_see_them(create, client):
    assert_error(create(role="reviewer"), 403, "forbidden")
    assert_error(client.get("/api/v1/submissions"), 401, "unauthorized")


def test_organisers_see_their_own_and_reviewers_and_admins_see_all(create, client, auth):
    mine = create().get_json()["id"]
    theirs = create(role="other_organiser", stations=["woodford"]).get_json()["id"]

    def listed(role):
        return [item["id"] for item in client.get("/api/v1/submissions", headers=auth(role)).get_json()["submissions"]]

    assert listed("organiser") == [mine]
    assert listed("other_organiser") == [theirs]
    assert listed("reviewer") == [mine, theirs]
    assert listed("admin") == [mine, theirs]
    assert client.get(f"/api/v1/submissions/{mine}", headers=auth("reviewer")).status_code == 200


def test_another_boroughs_organiser_gets_403_on_every_route(create, client, auth):
    submission_id = create().get_json()["id"]
    other = auth("other_organiser")
    base = f"/api/v1/submissions/{submission_id}"
    assert_error(client.get(base, headers=other), 403, "forbidden")
    assert_error(client.patch(base, json={"title": "Mine now"}, headers=other), 403, "forbidden")
    assert_error(client.delete(base, headers=other), 403, "forbidden")
    assert_error(client.post(f"{base}/render", headers=other), 403, "forbidden")
    assert_error(client.get(f"{base}/pdf", headers=other), 403, "forbidden")
    assert_error(client.post(f"{base}/file", headers=other), 403, "forbidden")
    assert_error(client.get("/api/v1/submissions/9999", headers=other), 404, "not_found")


def test_changes_bump_the_version_and_a_reviewer_cannot_change(create, client, auth):
    submission_id = create().get_json()["id"]
    response = client.patch(
        f"/api/v1/submissions/{submission_id}",
        json={"title": "A better title", "sections": []},
        headers=auth("organiser"),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 2 and response.get_json()["title"] == "A better title"
    assert_error(
        client.patch(f"/api/v1/submissions/{submission_id}", json={"title": "x"}, headers=auth("reviewer")),
        403,
        "forbidden",
    )


def test_an_empty_change_is_refused_and_makes_no_new_version(create, client, auth):
    submission_id = create().get_json()["id"]
    url = f"/api/v1/submissions/{submission_id}"
    body = assert_error(client.patch(url, json={}, headers=auth("organiser")), 422, "validation_error")
    assert body["errors"] == {"_schema": ["Give at least one field to change."]}
    assert client.get(url, headers=auth("organiser")).get_json()["version"] == 1


@pytest.mark.parametrize("content", [PNG, JPEG])
def test_a_png_or_jpeg_letterhead_is_accepted_by_its_content(create, client, auth, content):
    submission_id = create().get_json()["id"]
    response = client.put(
        f"/api/v1/submissions/{submission_id}/letterhead",
        data={"file": (io.BytesIO(content), "letterhead.gif")},  # the name does not matter, the bytes do
        headers=auth("organiser"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["has_letterhead"] is True


@pytest.mark.parametrize(
    "content",
    [b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"GIF89a" + b"\x00" * 10, PNG[:4] + b"\x00" * (1024 * 1024)],
    ids=["svg-named-png", "gif", "over-1mb"],
)
def test_anything_but_a_png_or_jpeg_of_at_most_1mb_is_refused(create, client, auth, content):
    submission_id = create().get_json()["id"]
    if content.startswith(PNG[:4]):
        content = PNG + b"\x00" * (1024 * 1024)
    response = client.put(
        f"/api/v1/submissions/{submission_id}/letterhead",
        data={"file": (io.BytesIO(content), "letterhead.png")},
        headers=auth("organiser"),
        content_type="multipart/form-data",
    )
    body = assert_error(response, 422, "validation_error")
    assert "file" in body["errors"]


def _upload_letterhead(client, auth, submission_id, content):
    return client.put(
        f"/api/v1/submissions/{submission_id}/letterhead",
        data={"file": (io.BytesIO(content), "letterhead.png")},
        headers=auth("organiser"),
        content_type="multipart/form-data",
    )


def test_a_letterhead_of_too_many_pixels_is_refused_from_its_header_alone(create, client, auth):
    # 12,000 x 12,000 pixels of one colour: about 420 kB as a PNG, over half a gigabyte once decoded. Only the
    # header is real here (the pixel data is cut short), so the refusal cannot come from decoding it.
    huge = _image(12_000, 12_000, "PNG")[:4096]
    submission_id = create().get_json()["id"]
    body = assert_error(_upload_letterhead(client, auth, submission_id, huge), 422, "validation_error")
    assert body["errors"]["file"] == [
        "The letterhead is 12,000 x 12,000 pixels; it may have at most 10,000,000 pixels (for example "
        "4,000 x 2,500). Scale it down and upload it again."
    ]
    view = client.get(f"/api/v1/submissions/{submission_id}", headers=auth("organiser")).get_json()
    assert view["has_letterhead"] is False and view["version"] == 1


def test_a_letterhead_at_the_pixel_limit_is_accepted_and_a_broken_header_is_refused(create, client, auth):
    submission_id = create().get_json()["id"]
    assert _upload_letterhead(client, auth, submission_id, _image(4_000, 2_500, "PNG")).status_code == 200
    broken = PNG[:8] + b"\x00" * 64
    body = assert_error(_upload_letterhead(client, auth, submission_id, broken), 422, "validation_error")
    assert "could not be read" in body["errors"]["file"][0]


def test_render_returns_a_job_to_poll_and_the_finished_pdf_downloads(create, client, auth):
    submission_id = create().get_json()["id"]
    assert_error(client.get(f"/api/v1/submissions/{submission_id}/pdf", headers=auth("organiser")), 404, "not_found")
    response = client.post(f"/api/v1/submissions/{submission_id}/render", headers=auth("organiser"))
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["status"] == "done"  # Celery runs eagerly by default
    polled = client.get(job["poll_url"], headers=auth("reviewer")).get_json()
    assert polled["status"] == "done" and polled["pages"] >= 3 and len(polled["sha256"]) == 64
    pdf = client.get(polled["pdf_url"], headers=auth("organiser"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and pdf.headers["X-Content-SHA256"] == polled["sha256"]
    assert pdf.headers["X-Submission-Version"] == "1"
    assert_error(
        client.get(f"/api/v1/submissions/{submission_id}/renders/nope", headers=auth("organiser")), 404, "not_found"
    )


def test_a_failed_render_is_recorded_and_never_served(app, create, client, auth, monkeypatch):
    submission_id = create().get_json()["id"]
    monkeypatch.setitem(app.config, "SUBMISSION_RENDER_TIME_LIMIT", 0.0)
    job = client.post(f"/api/v1/submissions/{submission_id}/render", headers=auth("organiser")).get_json()
    assert job["status"] == "failed"
    assert "render limit" in job["error"] and job["pdf_url"] is None
    assert_error(client.get(f"/api/v1/submissions/{submission_id}/pdf", headers=auth("organiser")), 404, "not_found")


def test_the_render_command_writes_the_pdf_with_progress(create, runner, tmp_path):
    submission_id = create().get_json()["id"]
    output = tmp_path / "out.pdf"
    result = runner.invoke(args=["render-submission", str(submission_id), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF-")
    assert "Wrote" in result.output and "SHA-256" in result.output
    missing = runner.invoke(args=["render-submission", "9999", "-o", str(output)])
    assert missing.exit_code != 0 and "No submission 9999" in missing.output
