"""Admins' consultation pages: the list with each status, the create form (the API's schema and service: the
same consultations accepted and refused, nothing stored on error) and the edit form, refused once responses
exist (the catalog's rule, which the API's PATCH obeys too)."""

import html as markup
import json
import re

from sqlalchemy import func, select

from consultation.accounts.models import AuditEvent
from consultation.accounts.service import create_token
from consultation.catalog.models import Consultation, Station
from consultation.extensions import db

SLUG = "public-access-demo"
MANAGE = "/staff/manage/consultations"
QUESTIONNAIRE = {
    "title": "Your views",
    "questions": [
        {"code": "why", "kind": "free_text", "prompt": "Why?"},
        {
            "code": "agreement",
            "kind": "agreement_scale",
            "prompt": "Do you agree?",
            "options": [{"value": "agree", "label": "Agree"}, {"value": "disagree", "label": "Disagree"}],
            "stance_mapping": {"agree": "support", "disagree": "oppose"},
        },
    ],
}
STATIONS = [{"slug": "central", "name": "Central Library", "borough": "E09000002", "proposal": "close"}]


def _form(**changes) -> dict:
    form = {
        "slug": "library-hours",
        "title": "Library opening hours",
        "summary": "Shorter hours at two libraries.",
        "consulting_body": "A council",
        "opens_at": "2030-03-01T09:00",
        "closes_at": "2030-06-30T17:30",
        "questionnaire": json.dumps(QUESTIONNAIRE),
        "stations": json.dumps(STATIONS),
        "wording": json.dumps({"site": "library", "sites": "libraries"}),
    }
    return {**form, **changes}


def _consultations() -> int:
    return db.session.scalar(select(func.count()).select_from(Consultation))


def _summary_links(html: str) -> list[str]:
    summary = html.split('class="error-summary__list"')[1].split("</ul>")[0]
    return re.findall(r'href="#([^"]+)"', summary)


def test_the_list_shows_every_consultation_with_its_status_and_whether_it_may_be_edited(
    client, staff, responses, sign_in_as
):
    sign_in_as(staff["admin"])
    client.post(f"{MANAGE}/new", data=_form())
    html = client.get(MANAGE).get_data(as_text=True)
    rows = {row.split("</th>")[0]: row for row in html.split("<tr>")[2:]}
    demo = next(row for key, row in rows.items() if f"/staff/consultations/{SLUG}" in key)
    library = next(row for key, row in rows.items() if "/staff/consultations/library-hours" in key)
    assert "Has responses: no longer editable" in demo and "/edit" not in demo
    assert "Not open yet" in library and f"{MANAGE}/library-hours/edit" in library
    assert "01 Mar 2030 09:00" in library  # London time (GMT in March)
    assert 'href="/staff/manage/consultations"' in html  # in the navigation, for admins


def test_the_navigation_offers_the_page_to_admins_only(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    assert "Manage consultations" not in client.get("/staff/").get_data(as_text=True)
    assert client.get(MANAGE).status_code == 403


def test_an_admin_creates_a_consultation_through_the_apis_schema_and_service(client, staff, sign_in_as, boroughs):
    sign_in_as(staff["admin"])
    form = client.get(f"{MANAGE}/new").get_data(as_text=True)
    assert 'name="questionnaire"' in form and "agreement_scale" in form  # an example to start from
    reply = client.post(f"{MANAGE}/new", data=_form(opens_at="2030-06-01T09:00"))
    assert reply.status_code == 303 and reply.headers["Location"].endswith("?done=created&slug=library-hours")
    created = db.session.scalar(select(Consultation).where(Consultation.slug == "library-hours"))
    assert created.opens_at.isoformat() == "2030-06-01T08:00:00+00:00"  # 09:00 British Summer Time
    assert [q.code for q in created.questionnaire.questions] == ["why", "agreement"]
    assert created.questionnaire.questions[0].max_length == 5000  # the service's default, as for the API
    assert [s.slug for s in created.stations] == ["central"] and created.site_word == "library"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.object_type == "consultation")
    )
    assert event.user_id == staff["admin"].id and event.object_id == "library-hours"
    api = client.get("/api/v1/consultations/library-hours").get_json()
    assert api["wording"]["site"] == "library" and api["status"] == "not_open"


def test_field_errors_are_shown_on_the_form_and_nothing_is_stored(client, staff, sign_in_as, boroughs):
    sign_in_as(staff["admin"])
    before = _consultations()
    bad = _form(slug="Library Hours", title="", closes_at="not a date", stations="[{", wording='{"site": ""}')
    reply = client.post(f"{MANAGE}/new", data=bad)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422 and _consultations() == before
    assert set(_summary_links(html)) == {"slug", "title", "closes_at", "stations", "wording"}
    assert "Use lower-case letters, digits and hyphens." in html and "Enter the consultation&#39;s title." in html
    assert "This is not valid JSON" in html and "site: Length must be between 1 and 60." in html
    assert 'id="slug-error"' in html and 'aria-describedby="slug-hint slug-error"' in html
    assert 'value="Library Hours"' in html  # what was typed is kept
    assert "<title>Error: Create a consultation" in html


def test_the_services_own_rules_come_back_as_field_errors(client, staff, sign_in_as, boroughs):
    """Rules the service checks (window, duplicate codes, boroughs) as the API's 422s, with nothing stored."""
    sign_in_as(staff["admin"])
    before = _consultations()
    twice = {"title": "Views", "questions": [QUESTIONNAIRE["questions"][0], QUESTIONNAIRE["questions"][0]]}
    stations = [{**STATIONS[0], "borough": "E09999999"}]
    reply = client.post(
        f"{MANAGE}/new",
        data=_form(closes_at="2030-02-01T09:00", questionnaire=json.dumps(twice), stations=json.dumps(stations)),
    )
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422 and _consultations() == before
    assert _summary_links(html) == ["closes_at"] and "Must be later than opens_at." in html
    fixed = client.post(f"{MANAGE}/new", data=_form(questionnaire=json.dumps(twice), stations=json.dumps(stations)))
    text = fixed.get_data(as_text=True)
    assert fixed.status_code == 422 and "questions, item 2: Duplicate question code &#39;why&#39;." in text
    body = {
        "slug": "library-hours",
        "title": "Library opening hours",
        "consulting_body": "A council",
        "opens_at": "2030-03-01T09:00:00Z",
        "closes_at": "2030-06-30T16:30:00Z",
        "questionnaire": twice,
    }
    token = create_token(db.session, staff["admin"])
    api = client.post("/api/v1/consultations", json=body, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422 and "Duplicate question code 'why'." in str(api.get_json()["errors"])
    assert _consultations() == before


def test_a_slug_taken_is_a_409_on_the_slug_field(client, staff, responses, sign_in_as):
    sign_in_as(staff["admin"])
    before = _consultations()
    reply = client.post(f"{MANAGE}/new", data=_form(slug=SLUG, stations="[]"))
    assert reply.status_code == 409 and _summary_links(reply.get_data(as_text=True)) == ["slug"]
    assert "already exists: choose another" in reply.get_data(as_text=True) and _consultations() == before


def test_a_head_request_of_the_form_stores_nothing(client, staff, sign_in_as, boroughs):
    sign_in_as(staff["admin"])
    assert client.open(f"{MANAGE}/new", method="HEAD", data=_form()).status_code == 200
    assert _consultations() == 0


def test_an_admin_edits_a_consultation_without_responses(client, staff, sign_in_as, boroughs):
    sign_in_as(staff["admin"])
    client.post(f"{MANAGE}/new", data=_form())
    station_id = db.session.scalar(select(Station.id).where(Station.slug == "central"))
    page = client.get(f"{MANAGE}/library-hours/edit").get_data(as_text=True)
    assert 'value="2030-06-30T17:30"' in page and "Central Library" in page and 'name="slug"' not in page
    form = _form(title="Library hours, revised", closes_at="2030-07-01T17:30")
    form["questionnaire"] = json.dumps({**QUESTIONNAIRE, "questions": QUESTIONNAIRE["questions"][:1]})
    for name in ("stations", "wording"):  # as the page shows them: unchanged
        form[name] = markup.unescape(re.search(rf'<textarea[^>]*name="{name}"[^>]*>([^<]*)</textarea>', page).group(1))
    reply = client.post(f"{MANAGE}/library-hours/edit", data=form)
    assert reply.status_code == 303 and reply.headers["Location"].endswith("?done=updated&slug=library-hours")
    db.session.expire_all()
    edited = db.session.scalar(select(Consultation).where(Consultation.slug == "library-hours"))
    assert edited.title == "Library hours, revised" and edited.closes_at.isoformat() == "2030-07-01T16:30:00+00:00"
    assert [q.code for q in edited.questionnaire.questions] == ["why"]
    assert [s.id for s in edited.stations] == [station_id]  # unchanged here, so not replaced
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.details["fields"] == ["closes_at", "consulting_body", "opens_at", "questionnaire", "summary", "title"]


def test_an_edit_with_a_wrong_field_changes_nothing(client, staff, sign_in_as, boroughs):
    sign_in_as(staff["admin"])
    client.post(f"{MANAGE}/new", data=_form())
    reply = client.post(f"{MANAGE}/library-hours/edit", data=_form(title="Renamed", opens_at="2030-08-01T09:00"))
    assert reply.status_code == 422 and _summary_links(reply.get_data(as_text=True)) == ["closes_at"]
    db.session.expire_all()
    assert db.session.scalar(select(Consultation.title).where(Consultation.slug == "library-hours")) == (
        "Library opening hours"
    )


def test_a_consultation_with_responses_cannot_be_edited_here_nor_its_structure_through_the_api(
    client, staff, responses, sign_in_as
):
    sign_in_as(staff["admin"])
    page = client.get(f"{MANAGE}/{SLUG}/edit")
    text = page.get_data(as_text=True)
    assert page.status_code == 409 and "can no longer be edited here" in text and "4 responses" in text
    title = responses["consultation"].title
    posted = client.post(f"{MANAGE}/{SLUG}/edit", data=_form(title="Renamed"))
    assert posted.status_code == 409
    token = create_token(db.session, staff["admin"])
    patched = client.patch(
        f"/api/v1/consultations/{SLUG}",
        json={"title": "Renamed", "stations": STATIONS},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert patched.status_code == 409 and patched.get_json()["code"] == "consultation_has_responses"
    db.session.expire_all()
    assert db.session.scalar(select(Consultation.title).where(Consultation.slug == SLUG)) == title
