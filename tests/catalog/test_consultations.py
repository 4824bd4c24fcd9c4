from sqlalchemy import func, select

from consultation.accounts.models import AuditEvent
from consultation.boroughs import Borough
from consultation.catalog.models import Station


def new_consultation(**overrides):
    body = {
        "slug": "library-hours",
        "title": "Library opening hours",
        "consulting_body": "A council",
        "opens_at": "2030-01-01T09:00:00+00:00",
        "closes_at": "2030-03-01T17:30:00+00:00",
        "questionnaire": {
            "title": "Your views",
            "questions": [
                {
                    "code": "agreement",
                    "kind": "agreement_scale",
                    "prompt": "Do you agree?",
                    "required": True,
                    "options": [{"value": "agree", "label": "Agree"}, {"value": "disagree", "label": "Disagree"}],
                    "stance_mapping": {"agree": "support", "disagree": "oppose"},
                },
                {"code": "why", "kind": "free_text", "prompt": "Why?"},
            ],
        },
        "stations": [
            {"slug": "central", "name": "Central Library", "borough": "E09000002", "proposal": "close"},
        ],
    }
    body.update(overrides)
    return body


def test_list_shows_both_demo_consultations(client, demo):
    response = client.get("/api/v1/consultations")
    assert response.status_code == 200
    slugs = {c["slug"] for c in response.get_json()["consultations"]}
    assert slugs == {"public-access-2017", "public-access-demo"}


def test_historical_consultation_closed_at_1730_london_time(client, demo):
    body = client.get("/api/v1/consultations/public-access-2017").get_json()
    assert body["closes_at"] == "2017-10-06T16:30:00Z"
    assert body["closes_at_london"] == "2017-10-06T17:30:00+01:00"
    assert body["deadline"]["closes_at_text"] == "17:30 on Friday 6 October 2017 (London time)"
    assert body["status"] == "closed"


def test_demo_consultation_is_open_and_closes_at_1730_london(client, demo):
    body = client.get("/api/v1/consultations/public-access-demo").get_json()
    assert body["status"] == "open"
    assert body["closes_at_london"][11:16] == "17:30"


def test_stations_carry_the_published_figures(client, demo):
    stations = {s["slug"]: s for s in client.get("/api/v1/consultations/public-access-2017").get_json()["stations"]}
    assert stations["dagenham"]["crimes_reported_per_day"] == 4.1
    assert stations["dagenham"]["proposal"] == "close"
    assert stations["barking"]["crimes_reported_per_day"] == 1.8
    assert stations["barking"]["proposal"] == "retain_24h"
    assert stations["barkingside"]["visitors_per_day"] == 13
    assert stations["ilford"]["proposal"] == "retain_24h"
    assert stations["dagenham-heathway"]["proposal"] == "dispose"
    assert stations["marks-gate"]["proposal"] == "dispose"
    assert stations["woodford"]["borough"]["gss_code"] == "E09000026"


def test_every_borough_has_exactly_one_24_hour_counter(session, demo):
    boroughs = session.scalars(select(Borough)).all()
    assert len(boroughs) == 32
    for borough in boroughs:
        counters = session.scalar(
            select(func.count(Station.id)).where(
                Station.borough_id == borough.id,
                Station.proposal == "retain_24h",
                Station.consultation.has(slug="public-access-demo"),
            )
        )
        assert counters == 1, borough.name


def test_seed_demo_is_idempotent(runner, client, full_demo):
    before = client.get("/api/v1/consultations/public-access-demo").get_json()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "nothing to do" in result.output
    after = client.get("/api/v1/consultations/public-access-demo").get_json()
    assert after["closes_at"] == before["closes_at"]
    assert len(after["stations"]) == len(before["stations"])


def test_questionnaire_has_stable_codes(client, demo):
    body = client.get("/api/v1/consultations/public-access-demo/questionnaire").get_json()
    codes = [q["code"] for q in body["questions"]]
    assert codes == ["connection", "agreement", "reporting", "impact", "postcode_district", "age_band"]
    agreement = body["questions"][1]
    assert agreement["kind"] == "agreement_scale" and agreement["required"] is True
    assert len(agreement["options"]) == 5


def test_unknown_consultation_is_404(client):
    assert client.get("/api/v1/consultations/nope").get_json()["code"] == "not_found"
    assert client.get("/api/v1/consultations/nope/questionnaire").status_code == 404


def test_admin_creates_a_consultation_and_it_is_audited(client, auth, session):
    response = client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["slug"] == "library-hours"
    assert body["stations"][0]["borough"]["gss_code"] == "E09000002"
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "consultation"))
    assert event.action == "create" and event.object_id == "library-hours" and event.user_id is not None


def test_naive_closes_at_is_rejected(client, auth):
    response = client.post(
        "/api/v1/consultations", json=new_consultation(closes_at="2030-03-01T17:30:00"), headers=auth("admin")
    )
    assert response.status_code == 422
    assert "closes_at" in response.get_json()["errors"]


def test_closing_before_opening_is_rejected(client, auth):
    response = client.post(
        "/api/v1/consultations", json=new_consultation(closes_at="2029-01-01T00:00:00Z"), headers=auth("admin")
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"closes_at": ["Must be later than opens_at."]}


def test_duplicate_question_codes_and_unknown_borough_are_rejected(client, auth):
    body = new_consultation()
    body["questionnaire"]["questions"][1]["code"] = "agreement"
    response = client.post("/api/v1/consultations", json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert "questionnaire.questions.1" in response.get_json()["errors"]
    body = new_consultation(stations=[{"slug": "x", "name": "X", "borough": "E09999999", "proposal": "close"}])
    response = client.post("/api/v1/consultations", json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert "stations.0.borough" in response.get_json()["errors"]


def test_duplicate_slug_is_a_conflict(client, auth):
    assert client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin")).status_code == 201
    response = client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin"))
    assert response.status_code == 409


def test_unknown_fields_are_rejected(client, auth):
    response = client.post("/api/v1/consultations", json=new_consultation(colour="red"), headers=auth("admin"))
    assert response.status_code == 422
    assert "colour" in response.get_json()["errors"]


def test_admin_updates_deadline_and_questions(client, auth):
    client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin"))
    questionnaire = new_consultation()["questionnaire"]
    questionnaire["questions"].append({"code": "age", "kind": "free_text", "prompt": "Age?"})
    response = client.patch(
        "/api/v1/consultations/library-hours",
        json={"closes_at": "2030-03-02T17:30:00+00:00", "questionnaire": questionnaire},
        headers=auth("admin"),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["closes_at"] == "2030-03-02T17:30:00Z"
    codes = [q["code"] for q in client.get("/api/v1/consultations/library-hours/questionnaire").get_json()["questions"]]
    assert codes == ["agreement", "why", "age"]


def test_patch_rejects_naive_time(client, auth):
    client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin"))
    response = client.patch(
        "/api/v1/consultations/library-hours", json={"closes_at": "2030-03-02T17:30:00"}, headers=auth("admin")
    )
    assert response.status_code == 422


def test_patch_of_unknown_consultation_is_404(client, auth):
    response = client.patch("/api/v1/consultations/nope", json={"title": "x"}, headers=auth("admin"))
    assert response.status_code == 404
