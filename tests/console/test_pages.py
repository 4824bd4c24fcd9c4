"""The console's pages through the test client: what each shows, and that each uses the same rules as the API."""

from sqlalchemy import func, select

from consultation.accounts.models import AuditEvent
from consultation.analysis.models import CodingClaim, ResponseAnalysis
from consultation.extensions import db

SLUG = "public-access-demo"


def test_home_lists_consultations_with_their_figures(client, staff, responses, sign_in_as, page):
    sign_in_as(staff["reviewer"])
    reply = client.get("/staff/")
    assert reply.status_code == 200
    shown = page(reply.get_data(as_text=True))
    assert f'href="/staff/consultations/{SLUG}"' in shown.html
    row = next(part for part in shown.html.split("<tr>") if f"/staff/consultations/{SLUG}" in part)
    numbers = [int(n) for n in __import__("re").findall(r'<td class="numeric">(\d+)</td>', row)]
    assert numbers[:3] == [3, 1, 0]  # on time, late, withdrawn


def test_an_organiser_sees_only_their_boroughs_figures(client, staff, responses, sign_in_as):
    sign_in_as(staff["other_organiser"])  # Redbridge: the one Ilford response
    html = client.get("/staff/").get_data(as_text=True)
    row = next(part for part in html.split("<tr>") if f"/staff/consultations/{SLUG}" in part)
    assert __import__("re").findall(r'<td class="numeric">(\d+)</td>', row)[:3] == ["1", "0", "0"]
    overview = client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    assert "Ilford" in overview and "Dagenham" not in overview
    explorer = client.get(f"/staff/consultations/{SLUG}/responses").get_data(as_text=True)
    assert "1 response<" in explorer
    other = responses["dagenham"][1].id
    assert client.get(f"/staff/consultations/{SLUG}/responses/{other}").status_code == 403
    assert client.get(f"/staff/consultations/{SLUG}/responses?borough=E09000002").status_code == 403


def test_the_overview_shows_the_figures_with_a_chart_and_its_table(client, staff, responses, sign_in_as, page):
    sign_in_as(staff["reviewer"])
    reply = client.get(f"/staff/consultations/{SLUG}")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert "<svg viewBox" in html and "Responses per day (London time)" in html
    assert "Barking and Dagenham" in html and "Redbridge" in html
    assert "Late register" in html and responses["dagenham"][0].reference in html


def test_the_explorer_filters_and_counts(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    base = f"/staff/consultations/{SLUG}/responses"
    assert "4 responses<" in client.get(base).get_data(as_text=True)
    assert "3 responses<" in client.get(f"{base}?borough=E09000002").get_data(as_text=True)
    assert "1 response<" in client.get(f"{base}?words=bike").get_data(as_text=True)
    assert "2 responses<" in client.get(f"{base}?borough=E09000002&words=counter").get_data(as_text=True)
    assert "1 response<" in client.get(f"{base}?late=yes").get_data(as_text=True)
    assert "1 response<" in client.get(f"{base}?channel=paper").get_data(as_text=True)
    bad = client.get(f"{base}?channel=pigeon")
    assert bad.status_code == 422 and "Must be one of" in bad.get_data(as_text=True)


def test_the_export_holds_exactly_what_the_explorer_counted(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    reply = client.get(f"/staff/consultations/{SLUG}/responses.csv?borough=E09000002&words=counter")
    assert reply.status_code == 200
    lines = [line for line in reply.get_data(as_text=True).splitlines() if line.strip()]
    assert len(lines) - 1 == 2
    assert "Ada Lovelace" not in reply.get_data(as_text=True)


def test_coding_on_the_response_page_is_the_api_coding(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    response = responses["dagenham"][1]
    url = f"/staff/consultations/{SLUG}/responses/{response.id}"
    assert client.get(url).status_code == 200
    reply = client.post(f"{url}/coding", data={"stance": "oppose", "themes": [], "note": "Clear", "then": "stay"})
    assert reply.status_code == 303
    analysis = db.session.get(ResponseAnalysis, response.id)
    db.session.refresh(analysis)
    assert analysis.stance == "oppose" and analysis.coded_by_user_id == staff["reviewer"].id
    assert "Coded by Test reviewer" in client.get(url).get_data(as_text=True)
    bad = client.post(f"{url}/coding", data={"stance": "maybe"})
    assert bad.status_code == 422 and 'href="#stance"' in bad.get_data(as_text=True)


def test_personal_details_only_on_an_explicit_audited_request(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    url = f"/staff/consultations/{SLUG}/responses/{responses['dagenham'][0].id}"
    assert "Ada Lovelace" not in client.get(url).get_data(as_text=True)
    shown = client.post(f"{url}/personal-details")
    assert "Ada Lovelace" in shown.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "read_personal_data")) == 1


def test_an_organiser_cannot_ask_for_personal_details(client, staff, responses, sign_in_as):
    sign_in_as(staff["organiser"])
    url = f"/staff/consultations/{SLUG}/responses/{responses['dagenham'][0].id}"
    assert "Show personal details" not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/personal-details").status_code == 403


def test_the_queue_never_hands_two_reviewers_the_same_response(client, staff, responses, sign_in_as, app):
    first = sign_in_as(staff["reviewer"])
    second = sign_in_as(staff["admin"], on=app.test_client())
    one = first.post(f"/staff/consultations/{SLUG}/queue")
    two = second.post(f"/staff/consultations/{SLUG}/queue")
    assert one.status_code == two.status_code == 303
    assert one.headers["Location"] != two.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(CodingClaim)) == 2
    page = first.get(one.headers["Location"]).get_data(as_text=True)
    assert "Why this response is next" in page


def test_save_and_code_next_codes_releases_and_moves_on(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    first = client.post(f"/staff/consultations/{SLUG}/queue").headers["Location"]
    response_id = int(first.rstrip("/").rsplit("/", 1)[1])
    after = client.post(f"{first}/coding", data={"stance": "support", "then": "next"})
    assert after.status_code == 303 and after.headers["Location"] != first
    assert db.session.get(CodingClaim, response_id) is None
    assert db.session.get(ResponseAnalysis, response_id).stance_source == "reviewer"


def test_tokens_are_shown_once_and_can_be_revoked(client, staff, sign_in_as):
    sign_in_as(staff["organiser"])
    created = client.post("/staff/tokens/new")
    assert created.status_code == 201
    token = __import__("re").search(r'id="new-token">(ct_[^<]+)<', created.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = client.get("/staff/tokens").get_data(as_text=True)
    assert token not in listing and token[:10] in listing
    token_id = int(__import__("re").search(r"/staff/tokens/(\d+)/revoke", listing).group(1))
    assert client.post(f"/staff/tokens/{token_id}/revoke").status_code == 303
    assert client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_admin_invites_changes_and_deactivates_users(client, staff, sign_in_as, outbox):
    sign_in_as(staff["admin"])
    invited = client.post(
        "/staff/users/invite",
        data={"name": "Nia", "email": "nia@example.org", "role": "organiser", "boroughs": ["E09000002"]},
    )
    assert invited.status_code == 303
    assert len(__import__("tests.petitions.conftest", fromlist=["messages"]).messages(outbox)) == 1
    reviewer = staff["reviewer"]
    assert client.post(f"/staff/users/{reviewer.id}", data={"role": "reviewer", "active": "no"}).status_code == 303
    db.session.refresh(reviewer)
    assert reviewer.is_active is False
    refused = client.post("/staff/users/invite", data={"name": "X", "email": "nia@example.org", "role": "reviewer"})
    assert refused.status_code == 409
