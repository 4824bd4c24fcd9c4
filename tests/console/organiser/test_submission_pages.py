"""The organiser's submission pages: draw one up, edit every field the API takes, preview it through a render
job whose progress the page shows (refreshing itself) until the page images appear, file it before the deadline
and read the receipt; after the deadline the file button gives way to the closed message."""

import hashlib
from datetime import timedelta

from consultation.clock import describe_london, london_wall_time
from consultation.extensions import db
from consultation.submissions import tasks
from consultation.submissions.models import Submission

EDITOR_FORM = {
    "title": "Keep Dagenham open",
    "addressed-to": "The consulting body\nCity Hall",
    "organisation": "Dagenham residents' association",
    "signatory-name": "A. Organiser",
    "signatory-role": "Chair",
    "stations": ["dagenham", "barking"],
    "section-1-heading": "Our view",
    "section-1-body": "Keep it *open*.\n\n- It is busy\n- It is near",
    "section-2-heading": "The figures",
    "section-2-body": "Four crimes a day are reported there.",
    "section-3-heading": "",
    "section-3-body": "",
    "include-aggregates": "yes",
    "then": "edit",
}


def test_an_organiser_draws_up_a_submission_for_their_stations(sign_in, consultation, page):
    client = sign_in("organiser")
    form = page(client.get("/staff/submissions/new").get_data(as_text=True))
    assert {item["value"] for item in form.find_all("input", name="stations")} == {"dagenham", "barking"}
    response = client.post(
        "/staff/submissions/new",
        data={
            "consultation": "front-counters",
            "title": "Keep Dagenham open",
            "organisation": "Dagenham residents' association",
            "signatory-name": "A. Organiser",
            "signatory-role": "Chair",
            "stations": ["dagenham"],
        },
    )
    assert response.status_code == 303
    submission = db.session.query(Submission).one()
    assert submission.addressed_to == "A policing body" and submission.stations == ["dagenham"]
    assert response.headers["Location"].endswith(f"/staff/submissions/{submission.id}")
    missing = client.post("/staff/submissions/new", data={"consultation": "front-counters"})
    assert missing.status_code == 422 and page(missing.get_data(as_text=True)).find_all("a", href="#title")


def test_the_editor_saves_sections_petitions_and_figures_as_the_api_does(sign_in, submission_id, petition_id, page):
    client = sign_in("organiser")
    editor = f"/staff/submissions/{submission_id}"
    document = page(client.get(editor).get_data(as_text=True))
    assert "a blank line starts a new paragraph" in document.text  # the markup help
    assert document.find_all("input", name="petitions", value=str(petition_id), checked="")
    assert client.post(editor, data={**EDITOR_FORM, "petitions": [str(petition_id)]}).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Submission, submission_id)
    assert [section["heading"] for section in saved.sections] == ["Our view", "The figures"]
    assert saved.stations == ["dagenham", "barking"] and saved.petition_ids == [petition_id]
    assert saved.include_aggregates is True and saved.version == 2

    client.post(editor, data={**EDITOR_FORM, "include-aggregates": ""})
    db.session.expire_all()
    assert db.session.get(Submission, submission_id).include_aggregates is False
    assert db.session.get(Submission, submission_id).petition_ids == []


def test_the_editor_shows_the_api_rules_as_form_errors(sign_in, submission_id, page):
    client = sign_in("organiser")
    editor = f"/staff/submissions/{submission_id}"
    response = client.post(editor, data={**EDITOR_FORM, "title": "", "section-1-heading": ""})
    document = page(response.get_data(as_text=True))
    assert response.status_code == 422
    assert document.find_all("a", href="#title") and document.find_all("a", href="#section-1-heading")
    assert client.post(editor, data={**EDITOR_FORM, "stations": ["woodford"]}).status_code == 403


def test_the_preview_is_a_job_the_page_follows_until_its_page_images_appear(sign_in, submission_id, page, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.render_job, "delay", lambda job_id: queued.append(job_id))
    client = sign_in("organiser")
    editor = f"/staff/submissions/{submission_id}"
    assert client.post(editor, data={**EDITOR_FORM, "then": "preview"}).status_code == 303
    waiting = client.get(editor)
    assert waiting.headers["Refresh"] == "2"  # refreshes itself, no JavaScript needed
    assert page(waiting.get_data(as_text=True)).find_all("progress")

    assert tasks.render_job(queued[0]) == "done"  # what the worker does
    ready = client.get(editor)
    document = page(ready.get_data(as_text=True))
    assert "Refresh" not in ready.headers
    images = document.find_all("img", class_="preview-page")
    job = db.session.get(Submission, submission_id)
    assert len(images) >= 2 and f"{len(images)} pages" in document.text
    assert images[0]["alt"] == f"Page 1 of {len(images)}"
    png = client.get(images[0]["src"])
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    pdf = client.get(f"/staff/submissions/{submission_id}/pdf")
    assert pdf.data.startswith(b"%PDF-") and job is not None
    assert sign_in("other_organiser").get(images[0]["src"]).status_code == 403


def test_filing_before_the_deadline_gives_a_receipt_whose_pdf_verifies(sign_in, submission_id, freeze, page):
    filed_at = london_wall_time(2030, 10, 4, 17, 29)
    freeze(filed_at)
    client = sign_in("organiser")
    confirm = client.get(f"/staff/submissions/{submission_id}/file")
    text = page(confirm.get_data(as_text=True)).text
    assert "17:30 on Friday 4 October 2030 (London time)" in text and "SHA-256" in text and "freezes" in text
    filed = client.post(f"/staff/submissions/{submission_id}/file")
    assert filed.status_code == 303 and filed.headers["Location"].endswith("/file")
    after = client.get(filed.headers["Location"])  # the filing job has run (inline in tests): on to the receipt
    assert after.status_code == 303 and after.headers["Location"].endswith("/receipt")
    receipt = page(client.get(f"/staff/submissions/{submission_id}/receipt").get_data(as_text=True))
    pdf = client.get(f"/staff/submissions/{submission_id}/pdf").data
    digest = hashlib.sha256(pdf).hexdigest()
    assert digest in receipt.text and f"{describe_london(filed_at)} (London time)" in receipt.text
    assert "SUB-" in receipt.text
    verified = client.post("/verify", data={"sha256": digest})
    assert "Dagenham residents' association" in page(verified.get_data(as_text=True)).text
    frozen = client.post(f"/staff/submissions/{submission_id}", data=EDITOR_FORM)
    assert frozen.status_code == 200 and db.session.get(Submission, submission_id).title == "Keep Dagenham open"
    assert client.get(f"/staff/submissions/{submission_id}/file").status_code == 303  # on to the receipt


def test_the_filing_page_follows_the_filing_job_and_the_draft_is_locked_meanwhile(
    sign_in, submission_id, freeze, page, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.file_job, "delay", lambda job_id: queued.append(job_id))
    freeze(london_wall_time(2030, 10, 4, 17, 29) + timedelta(seconds=59))
    client = sign_in("organiser")
    assert client.post(f"/staff/submissions/{submission_id}/file").status_code == 303
    waiting = client.get(f"/staff/submissions/{submission_id}/file")
    assert waiting.status_code == 200 and waiting.headers["Refresh"] == "2"
    assert page(waiting.get_data(as_text=True)).by_id("filing-progress")
    locked = client.post(f"/staff/submissions/{submission_id}", data=EDITOR_FORM)
    assert locked.status_code == 200 and "being filed" in page(locked.get_data(as_text=True)).text
    assert db.session.get(Submission, submission_id).title == "Keep Dagenham open"

    freeze(london_wall_time(2030, 10, 4, 17, 31))  # the worker gets to it after the deadline: arrival decides
    assert tasks.file_job(queued[0]) == "done"
    done = client.get(f"/staff/submissions/{submission_id}/file")
    assert done.status_code == 303 and done.headers["Location"].endswith("/receipt")
    receipt = page(client.get(done.headers["Location"]).get_data(as_text=True)).text
    assert "17:29 on Friday 4 October 2030 (London time)" in receipt


def test_after_the_deadline_the_file_button_gives_way_to_the_closed_message(sign_in, submission_id, freeze, page):
    freeze(london_wall_time(2030, 10, 4, 17, 30))
    client = sign_in("organiser")
    document = page(client.get(f"/staff/submissions/{submission_id}/file").get_data(as_text=True))
    assert document.by_id("closed-message") and not document.by_id("file-button")
    late = client.post(f"/staff/submissions/{submission_id}/file")
    assert late.status_code == 409 and page(late.get_data(as_text=True)).by_id("closed-message")
    assert db.session.get(Submission, submission_id).status == "draft"


def test_a_letterhead_is_checked_by_its_content(sign_in, submission_id):
    import io

    client = sign_in("organiser")
    url = f"/staff/submissions/{submission_id}/letterhead"
    not_image = client.post(url, data={"letterhead": (io.BytesIO(b"GIF89a"), "logo.png")})
    assert not_image.status_code == 422
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 10), "navy").save(buffer, format="PNG")
    png = buffer.getvalue()
    assert client.post(url, data={"letterhead": (io.BytesIO(png), "logo.png")}).status_code == 303
    assert db.session.get(Submission, submission_id).letterhead == png
    assert client.post(url, data={"remove": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Submission, submission_id).letterhead is None
