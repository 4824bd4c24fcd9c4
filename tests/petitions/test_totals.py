"""Totals by borough, station and London day, and the service functions other rooms build on."""

from datetime import UTC, datetime

import pytest

from consultation.errors import NotFound
from consultation.petitions import service
from tests.petitions.conftest import create_petition, totals


def test_boroughs_come_from_the_postcode_and_outside_london_has_its_own_row(client, petition, sign):
    sign.signed_and_confirmed(petition, email="a@example.org", name="A", postcode="RM10 7TU")
    sign.signed_and_confirmed(petition, email="b@example.org", name="B", postcode="IG11 7NB")
    sign.signed_and_confirmed(petition, email="c@example.org", name="C", postcode="RM1 1AA")
    sign.signed_and_confirmed(petition, email="d@example.org", name="D", postcode="CM1 1AA")
    assert totals(client, petition)["by_borough"] == [
        {"gss_code": "E09000002", "name": "Barking and Dagenham", "total": 2},
        {"gss_code": "E09000016", "name": "Havering", "total": 1},
        {"gss_code": None, "name": "outside London", "total": 1},
    ]


def test_each_station_of_a_petition_carries_its_total(client, auth, police, sign):
    petition = create_petition(client, auth("organiser"), stations=["dagenham", "barking"]).get_json()["id"]
    sign.signed_and_confirmed(petition)
    assert totals(client, petition)["by_station"] == [
        {"slug": "barking", "name": "Barking", "total": 1},
        {"slug": "dagenham", "name": "Dagenham", "total": 1},
    ]


def test_the_timeline_is_cumulative_by_london_day(client, petition, sign, freeze):
    # 23:30 UTC on 1 September is 00:30 on 2 September in London (British Summer Time).
    for number, moment in enumerate(
        [
            datetime(2017, 9, 1, 22, 30, tzinfo=UTC),
            datetime(2017, 9, 1, 23, 30, tzinfo=UTC),
            datetime(2017, 9, 3, 9, 0, tzinfo=UTC),
        ]
    ):
        freeze(moment)
        sign.signed_and_confirmed(petition, email=f"p{number}@example.org", name=f"P {number}")
    assert totals(client, petition)["timeline"] == [
        {"date": "2017-09-01", "total": 1},
        {"date": "2017-09-02", "total": 2},
        {"date": "2017-09-03", "total": 3},
    ]


def test_the_timeline_uses_greenwich_time_in_winter(app, session, client, auth, boroughs, freeze, sign):
    from tests.intake.conftest import make_consultation

    freeze(datetime(2017, 11, 20, 12, 0, tzinfo=UTC))
    make_consultation("winter", closes_at=datetime(2018, 1, 31, 17, 30, tzinfo=UTC))
    petition = create_petition(
        client, auth("organiser"), consultation="winter", closes_at="2018-01-30T17:00:00+00:00"
    ).get_json()["id"]
    freeze(datetime(2017, 11, 20, 23, 30, tzinfo=UTC))  # still 20 November in London: GMT
    sign.signed_and_confirmed(petition)
    assert totals(client, petition)["timeline"] == [{"date": "2017-11-20", "total": 1}]


def test_as_of_is_the_time_of_asking(client, petition):
    assert totals(client, petition)["as_of"] == "2017-09-01T11:00:00Z"


def test_service_functions_for_other_rooms(session, client, auth, petition, sign):
    sign.signed_and_confirmed(petition, email="a@example.org", name="A", postcode="RM10 7TU")
    sign.signed_and_confirmed(petition, email="b@example.org", name="B", postcode="RM10 7TX")
    sign.signed_and_confirmed(petition, email="c@example.org", name="C", postcode="IG11 7NB")
    sign(petition, email="pending@example.org", name="P", postcode="IG11 7NB")
    assert service.get_petition(session, petition).title == "Keep Dagenham open"
    with pytest.raises(NotFound):
        service.get_petition(session, 12345)
    with pytest.raises(NotFound):
        service.get_petition(session, "abc")
    counted = service.petition_totals(session, petition)
    assert counted["total"] == 3
    assert counted["as_of"].tzinfo is not None
    assert service.signature_sectors(session, petition) == [
        {"sector": "RM10 7", "count": 2},
        {"sector": "IG11 7", "count": 1},
    ]
    assert [p.id for p in service.petitions_for(session, consultation_slug="police-2017")] == [petition]
    assert [p.id for p in service.petitions_for(session, station_slugs=["dagenham", "woodford"])] == [petition]
    assert service.petitions_for(session, station_slugs=["woodford"]) == []
    from consultation.accounts.models import User

    owner = session.scalar(__import__("sqlalchemy").select(User).where(User.name == "Test organiser"))
    assert [p.id for p in service.petitions_for(session, owner=owner)] == [petition]


def test_sectors_never_hold_a_full_postcode(session, petition, sign):
    sign.signed_and_confirmed(petition)
    for row in service.signature_sectors(session, petition):
        assert len(row["sector"].split(" ")[1]) == 1
