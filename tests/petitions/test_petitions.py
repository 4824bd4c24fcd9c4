"""Creating, listing and changing petitions, and who may do which."""

from consultation.clock import london_wall_time
from tests.intake.conftest import assert_error
from tests.petitions.conftest import create_petition, totals


def test_an_organiser_creates_a_petition_about_a_station_in_their_borough(client, auth, police):
    reply = create_petition(client, auth("organiser"))
    assert reply.status_code == 201
    body = reply.get_json()
    assert body["stations"] == ["dagenham"]
    assert body["boroughs"] == ["E09000002"]
    assert body["status"] == "open"
    assert body["closes_at"] == "2017-10-01T16:00:00Z"
    assert body["closes_at_text"] == "17:00 on Sunday 1 October 2017 (London time)"
    assert body["totals"]["total"] == 0


def test_an_organiser_cannot_create_a_petition_for_another_boroughs_station(client, auth, police):
    assert_error(create_petition(client, auth("organiser"), stations=["woodford"]), 403, "forbidden")
    assert_error(create_petition(client, auth("organiser"), stations=["dagenham", "woodford"]), 403, "forbidden")


def test_a_station_of_another_consultation_or_an_unknown_one_is_refused(client, auth, police):
    body = assert_error(create_petition(client, auth("organiser"), stations=["nowhere"]), 422, "validation_error")
    assert "stations" in body["errors"]


def test_a_petition_may_close_before_its_consultation_but_never_after(client, auth, police):
    later = london_wall_time(2017, 10, 6, 17, 31).isoformat()
    body = assert_error(create_petition(client, auth("organiser"), closes_at=later), 422, "validation_error")
    assert "17:30 on Friday 6 October 2017" in body["errors"]["closes_at"][0]
    same = london_wall_time(2017, 10, 6, 17, 30).isoformat()
    assert create_petition(client, auth("organiser"), closes_at=same).status_code == 201


def test_a_closing_time_without_an_offset_is_refused(client, auth, police):
    reply = create_petition(client, auth("organiser"), closes_at="2017-10-01T17:00:00")
    assert_error(reply, 422, "validation_error")


def test_reviewers_and_the_public_cannot_create_petitions(client, auth, police):
    assert_error(create_petition(client, auth("reviewer")), 403, "forbidden")
    assert_error(create_petition(client, {}), 401, "unauthorized")


def test_an_admin_may_create_a_petition_for_any_borough(client, auth, police):
    assert create_petition(client, auth("admin"), stations=["woodford", "dagenham"]).status_code == 201


def test_the_public_lists_petitions_with_totals_and_filters(client, auth, police, petition):
    create_petition(client, auth("other_organiser"), title="Save Woodford", stations=["woodford"])
    listed = client.get("/api/v1/petitions").get_json()["petitions"]
    assert [item["title"] for item in listed] == ["Save Woodford", "Keep Dagenham open"]
    assert all("total" in item["totals"] for item in listed)
    by_station = client.get("/api/v1/petitions?station=woodford").get_json()["petitions"]
    assert [item["title"] for item in by_station] == ["Save Woodford"]
    by_borough = client.get("/api/v1/petitions?borough=E09000002").get_json()["petitions"]
    assert [item["title"] for item in by_borough] == ["Keep Dagenham open"]
    by_consultation = client.get("/api/v1/petitions?consultation=police-2017").get_json()["petitions"]
    assert len(by_consultation) == 2
    assert_error(client.get("/api/v1/petitions?consultation=nope"), 404, "not_found")


def test_an_unknown_petition_is_a_404_in_the_error_shape(client, police):
    assert_error(client.get("/api/v1/petitions/999"), 404, "not_found")
    assert_error(client.get("/api/v1/petitions/999/totals"), 404, "not_found")


def test_the_owner_changes_everything_until_the_first_signature(client, auth, petition):
    reply = client.patch(
        f"/api/v1/petitions/{petition}", json={"title": "New", "stations": ["barking"]}, headers=auth("organiser")
    )
    assert reply.status_code == 200
    assert reply.get_json()["stations"] == ["barking"]


def test_after_the_first_signature_only_title_and_text_change(client, auth, petition, sign):
    assert sign(petition).status_code == 202
    refused = client.patch(
        f"/api/v1/petitions/{petition}",
        json={"title": "New", "closes_at": london_wall_time(2017, 9, 20, 12, 0).isoformat()},
        headers=auth("organiser"),
    )
    body = assert_error(refused, 409, "petition_has_signatures")
    assert set(body["errors"]) == {"closes_at"}
    body = {"title": "Newer", "reason": "A clearer title"}  # a new title after the first signature needs a reason
    changed = client.patch(f"/api/v1/petitions/{petition}", json=body, headers=auth("organiser"))
    assert changed.get_json()["title"] == "Newer"
    assert totals(client, petition)["pending_online"] == 1


def test_another_boroughs_organiser_and_reviewers_cannot_change_a_petition(client, auth, petition):
    for role in ("other_organiser", "reviewer"):
        reply = client.patch(f"/api/v1/petitions/{petition}", json={"title": "Mine"}, headers=auth(role))
        assert_error(reply, 403, "forbidden")
    assert client.get(f"/api/v1/petitions/{petition}").get_json()["title"] == "Keep Dagenham open"


def test_a_second_organiser_of_the_same_borough_is_not_the_owner(client, auth, petition, session):
    from consultation.accounts.service import create_user_with_token

    _, token = create_user_with_token(session, name="Another", role="organiser", borough_codes=["E09000002"])
    session.commit()
    reply = client.patch(
        f"/api/v1/petitions/{petition}", json={"title": "Mine"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(reply, 403, "forbidden")
