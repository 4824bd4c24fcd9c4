"""Aggregates by borough and station: what is counted, how campaigns count, who sees what, and how many queries."""

import pytest

from consultation.catalog.service import get_consultation
from consultation.extensions import db
from consultation.reporting.service import compute_aggregates
from tests.reporting.reporting_factories import Factory

URL = "/api/v1/consultations/public-access-2017/aggregates"


@pytest.fixture
def factory(demo, tokens):
    factory = Factory(db.session)
    factory.codebook("staffing", "safety", "access")
    return factory


def groups_by_key(body):
    return {group["key"]: group for group in body["groups"]}


def test_borough_aggregates_count_stances_themes_channels_types_and_campaigns(client, auth, factory):
    campaign = factory.campaign("save-dagenham")
    factory.response("dagenham", stance="oppose", themes={"safety": 0.9, "access": 0.7}, campaign=campaign)
    factory.response("dagenham", stance="oppose", themes={"safety": 0.8}, channel="paper", campaign=campaign)
    factory.response("barking", stance="support", themes={"staffing": 0.6}, channel="email")
    factory.response("barking", stance="neutral", respondent_type="business")
    factory.response("barking", stance=None, respondent_type=None)
    factory.response("ilford", stance="oppose", analysed=False)
    db.session.commit()

    response = client.get(URL, headers=auth("reviewer"))

    assert response.status_code == 200
    body = response.get_json()
    assert body["counting"] == {
        "include_late": False,
        "campaigns": "each",
        "withdrawn": "excluded",
        "share_opposed_of": "coded",
        "theme_share_of": "total",
    }
    barking_dagenham = groups_by_key(body)["E09000002"]
    assert barking_dagenham["name"] == "Barking and Dagenham"
    assert barking_dagenham["total"] == 5
    assert barking_dagenham["stance"] == {"oppose": 2, "support": 1, "neutral": 1, "uncoded": 1}
    assert barking_dagenham["share_opposed"] == 0.5
    assert barking_dagenham["themes"]["safety"] == {"count": 2, "share": 0.4}
    assert barking_dagenham["themes"]["staffing"] == {"count": 1, "share": 0.2}
    assert barking_dagenham["themes"]["access"] == {"count": 1, "share": 0.2}
    assert barking_dagenham["channels"] == {"online": 3, "paper": 1, "email": 1, "submission": 0}
    assert barking_dagenham["respondent_types"] == {
        "resident": 3,
        "business": 1,
        "organisation": 0,
        "elected_representative": 0,
        "unspecified": 1,
    }
    assert barking_dagenham["campaigns"] == {"responses_in_campaigns": 2, "distinct_campaigns": 1}
    redbridge = groups_by_key(body)["E09000026"]
    assert redbridge["total"] == 1 and redbridge["stance"]["uncoded"] == 1 and redbridge["share_opposed"] is None
    assert body["overall"]["total"] == 6
    assert body["overall"]["stance"] == {"oppose": 2, "support": 1, "neutral": 1, "uncoded": 2}
    assert [theme["key"] for theme in body["themes"]] == ["staffing", "safety", "access"]


def test_boroughs_and_stations_without_responses_appear_with_zeros(client, auth, factory):
    body = client.get(URL, headers=auth("reviewer")).get_json()
    assert len(body["groups"]) == len({station.borough_id for station in factory.consultation.stations})
    assert all(group["total"] == 0 and group["share_opposed"] is None for group in body["groups"])
    assert body["overall"]["themes"]["safety"] == {"count": 0, "share": None}


def test_late_responses_are_left_out_unless_asked_and_withdrawn_never_count(client, auth, factory):
    factory.response("dagenham", stance="oppose")
    factory.response("dagenham", stance="support", late=True, channel="paper")
    factory.response("dagenham", stance="oppose", status="withdrawn")
    factory.response("dagenham", stance="oppose", status="withdrawn", late=True)
    db.session.commit()

    on_time = groups_by_key(client.get(URL, headers=auth("reviewer")).get_json())["E09000002"]
    with_late = client.get(URL + "?include_late=true", headers=auth("reviewer")).get_json()

    assert on_time["total"] == 1 and on_time["stance"]["support"] == 0
    assert groups_by_key(with_late)["E09000002"]["total"] == 2
    assert groups_by_key(with_late)["E09000002"]["stance"] == {"oppose": 1, "support": 1, "neutral": 0, "uncoded": 0}
    assert with_late["counting"]["include_late"] is True


def test_campaigns_once_counts_each_campaign_as_one_response_per_group(client, auth, factory):
    letter = factory.campaign("template-letter", size=4)
    first = factory.response("dagenham", stance="oppose", themes={"safety": 0.9}, campaign=letter, channel="paper")
    factory.response("dagenham", stance="oppose", themes={"safety": 0.9}, campaign=letter)
    factory.response("dagenham", stance="support", themes={"access": 0.9}, campaign=letter)
    factory.response("ilford", stance="oppose", themes={"safety": 0.9}, campaign=letter)
    factory.response("dagenham", stance="support", themes={"staffing": 0.5})
    db.session.commit()

    each = client.get(URL + "?campaigns=each", headers=auth("reviewer")).get_json()
    once = client.get(URL + "?campaigns=once", headers=auth("reviewer")).get_json()

    assert groups_by_key(each)["E09000002"]["total"] == 4
    assert each["overall"]["total"] == 5
    barking_dagenham = groups_by_key(once)["E09000002"]
    assert once["counting"]["campaigns"] == "once"
    # The campaign's earliest member in the borough (`first`: paper, oppose, safety) stands for all three.
    assert first.channel == "paper"
    assert barking_dagenham["total"] == 2
    assert barking_dagenham["stance"] == {"oppose": 1, "support": 1, "neutral": 0, "uncoded": 0}
    assert barking_dagenham["channels"] == {"online": 1, "paper": 1, "email": 0, "submission": 0}
    assert barking_dagenham["themes"]["safety"]["count"] == 1
    assert barking_dagenham["themes"]["access"]["count"] == 0
    assert barking_dagenham["campaigns"] == {"responses_in_campaigns": 3, "distinct_campaigns": 1}
    assert groups_by_key(once)["E09000026"]["total"] == 1
    # Overall, the campaign spanning two boroughs still counts once.
    assert once["overall"]["total"] == 2
    assert once["overall"]["campaigns"] == {"responses_in_campaigns": 4, "distinct_campaigns": 1}


def test_station_aggregates_name_each_station_and_its_borough(client, auth, factory):
    factory.response("dagenham", stance="oppose")
    factory.response("barking", stance="support")
    db.session.commit()

    body = client.get(URL + "?group_by=station", headers=auth("admin")).get_json()

    stations = groups_by_key(body)
    assert body["group_by"] == "station"
    assert stations["dagenham"]["name"] == "Dagenham, Rainham Road South"
    assert stations["dagenham"]["borough"] == {"gss_code": "E09000002", "name": "Barking and Dagenham"}
    assert stations["dagenham"]["stance"]["oppose"] == 1 and stations["barking"]["stance"]["support"] == 1
    assert stations["ilford"]["total"] == 0


def test_borough_and_station_filters_narrow_the_groups(client, auth, factory):
    factory.response("dagenham")
    factory.response("ilford")
    db.session.commit()

    by_borough = client.get(URL + "?group_by=station&borough=E09000026", headers=auth("reviewer")).get_json()
    by_station = client.get(URL + "?station=dagenham", headers=auth("reviewer")).get_json()

    assert {group["borough"]["gss_code"] for group in by_borough["groups"]} == {"E09000026"}
    assert by_borough["overall"]["total"] == 1
    assert [group["key"] for group in by_station["groups"]] == ["E09000002"]
    assert by_station["overall"]["total"] == 1 and by_station["filters"] == {"borough": None, "station": "dagenham"}


def test_organisers_see_only_their_boroughs(client, auth, factory):
    factory.response("dagenham")
    factory.response("ilford")
    db.session.commit()

    body = client.get(URL, headers=auth("organiser")).get_json()

    assert [group["key"] for group in body["groups"]] == ["E09000002"]
    assert body["overall"]["total"] == 1


def test_an_organiser_asking_for_another_borough_or_its_station_is_forbidden(client, auth, factory):
    assert client.get(URL + "?borough=E09000026", headers=auth("organiser")).status_code == 403
    assert client.get(URL + "?station=ilford", headers=auth("organiser")).status_code == 403
    assert client.get(URL + "?borough=E09000002", headers=auth("organiser")).status_code == 200


def test_aggregates_need_a_token(client, factory):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_bad_parameters_get_a_validation_error_and_unknown_names_a_404(client, auth, factory):
    bad = client.get(URL + "?group_by=ward&campaigns=twice&include_late=maybe", headers=auth("reviewer"))
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"group_by", "campaigns", "include_late"}
    assert client.get(URL + "?borough=E09999999", headers=auth("reviewer")).status_code == 404
    assert client.get(URL + "?station=nowhere", headers=auth("reviewer")).status_code == 404
    assert client.get("/api/v1/consultations/nope/aggregates", headers=auth("reviewer")).status_code == 404


@pytest.mark.parametrize("group_by", ["borough", "station"])
@pytest.mark.parametrize("campaigns", ["each", "once"])
def test_the_number_of_queries_does_not_grow_with_groups_or_responses(factory, count_queries, group_by, campaigns):
    def run():
        db.session.expire_all()
        consultation = get_consultation(db.session, "public-access-2017")
        compute_aggregates(db.session, consultation, group_by=group_by, campaigns=campaigns)

    empty = count_queries(run)
    campaign = factory.campaign("big")
    for index, station in enumerate(list(factory.stations)[:12]):
        for repeat in range(4):
            factory.response(
                station,
                themes={"safety": 0.9, "access": 0.5},
                campaign=campaign if repeat == 0 else None,
                channel=("online", "paper", "email")[index % 3],
            )
    db.session.commit()
    busy = count_queries(run)

    assert busy == empty
    # The consultation with its stations, the codebook's themes, the counts scan and the themes scan, plus the
    # campaign adjustments under campaigns=once (and on PostgreSQL two SET LOCAL statements).
    settings = 2 if db.engine.dialect.name == "postgresql" else 0
    assert busy == settings + (5 if campaigns == "each" else 6)
