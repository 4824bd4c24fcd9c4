"""Representative quotes: only clear, consented, unflagged text, best theme confidence first, one per campaign."""

import pytest

from consultation.extensions import db
from consultation.reporting.service import representative_quotes
from tests.reporting.reporting_factories import QUOTE_TEXT, Factory

URL = "/api/v1/consultations/public-access-2017/quotes"


@pytest.fixture
def factory(demo, tokens):
    factory = Factory(db.session)
    factory.codebook("staffing", "safety", "access")
    return factory


def text(number: int) -> str:
    return f"Quote {number}: {QUOTE_TEXT}"


def test_quotes_skip_flagged_unconsented_withdrawn_late_and_badly_sized_text(factory):
    good = factory.response(text=text(1), themes={"safety": 0.5})
    factory.response(text=text(2), themes={"safety": 0.9}, flag_pii=True)
    factory.response(text=text(3), themes={"safety": 0.9}, flag_abusive=True)
    factory.response(text=text(4), themes={"safety": 0.9}, consent=False)
    factory.response(text=text(5), themes={"safety": 0.9}, status="withdrawn")
    factory.response(text=text(6), themes={"safety": 0.9}, late=True)
    factory.response(text="Too short to quote.", themes={"safety": 0.9})
    factory.response(text="Far too long. " * 40, themes={"safety": 0.9})
    factory.response(text=text(7), themes={"safety": 0.9}, analysed=False)
    db.session.commit()

    quotes = representative_quotes(db.session, factory.consultation, theme_key="safety")

    assert [quote["reference"] for quote in quotes] == [good.reference]
    assert quotes[0] == {
        "reference": good.reference,
        "station": "dagenham",
        "station_name": "Dagenham, Rainham Road South",
        "borough": "E09000002",
        "borough_name": "Barking and Dagenham",
        "theme": "safety",
        "stance": "oppose",
        "text": text(1),
        "confidence": 0.5,
    }


def test_quotes_use_the_redacted_text_never_the_raw_answer(factory):
    factory.response(
        text="Call me on 07700 900123 about it. " + QUOTE_TEXT,
        redacted="Call me on [phone] about it. " + QUOTE_TEXT,
        themes={"access": 0.7},
    )
    db.session.commit()

    quotes = representative_quotes(db.session, factory.consultation)

    assert quotes[0]["text"].startswith("Call me on [phone]")


def test_quotes_come_best_confidence_first_with_ties_broken_by_age_and_one_per_campaign(factory):
    letter = factory.campaign("letter", size=3)
    strong = factory.response(text=text(1), themes={"safety": 0.95}, campaign=letter)
    factory.response(text=text(2), themes={"safety": 0.99}, campaign=letter, flag_pii=True)
    factory.response(text=text(3), themes={"safety": 0.90}, campaign=letter)
    tie_first = factory.response(text=text(4), themes={"safety": 0.8})
    tie_second = factory.response(text=text(5), themes={"safety": 0.8})
    weak = factory.response(text=text(6), themes={"safety": 0.4})
    factory.response(text=text(7), themes={"access": 0.99})
    db.session.commit()

    quotes = representative_quotes(db.session, factory.consultation, theme_key="safety", limit=10)

    assert [quote["reference"] for quote in quotes] == [
        strong.reference,
        tie_first.reference,
        tie_second.reference,
        weak.reference,
    ]
    assert quotes == representative_quotes(db.session, factory.consultation, theme_key="safety", limit=10)
    assert len(representative_quotes(db.session, factory.consultation, theme_key="safety", limit=2)) == 2


def test_without_a_theme_each_response_is_quoted_once_under_its_best_theme(factory):
    both = factory.response(text=text(1), themes={"safety": 0.6, "access": 0.9})
    plain = factory.response(text=text(2))
    db.session.commit()

    quotes = representative_quotes(db.session, factory.consultation)

    assert [(quote["reference"], quote["theme"]) for quote in quotes] == [
        (both.reference, "access"),
        (plain.reference, None),
    ]


def test_quotes_filter_by_borough_and_station(factory):
    dagenham = factory.response("dagenham", text=text(1), themes={"safety": 0.9})
    barking = factory.response("barking", text=text(2), themes={"safety": 0.8})
    ilford = factory.response("ilford", text=text(3), themes={"safety": 0.7})
    db.session.commit()

    by_borough = representative_quotes(db.session, factory.consultation, borough_code="E09000002")
    by_station = representative_quotes(db.session, factory.consultation, station_slug="ilford")

    assert [quote["reference"] for quote in by_borough] == [dagenham.reference, barking.reference]
    assert [quote["reference"] for quote in by_station] == [ilford.reference]


# One role per test: the test client reuses the test's app context, so `g` (and the user cached in it) would
# carry over from one request to the next.
def test_quotes_endpoint_shows_organisers_only_their_boroughs(client, auth, factory):
    mine = factory.response("dagenham", text=text(1), themes={"safety": 0.5})
    factory.response("ilford", text=text(2), themes={"safety": 0.9})
    db.session.commit()

    body = client.get(URL + "?theme=safety", headers=auth("organiser")).get_json()

    assert [quote["reference"] for quote in body["quotes"]] == [mine.reference]


def test_quotes_endpoint_refuses_an_organiser_another_borough(client, auth, factory):
    assert client.get(URL + "?borough=E09000026", headers=auth("organiser")).status_code == 403


def test_quotes_endpoint_shows_reviewers_every_borough(client, auth, factory):
    factory.response("dagenham", text=text(1), themes={"safety": 0.5})
    factory.response("ilford", text=text(2), themes={"safety": 0.9})
    db.session.commit()

    assert len(client.get(URL + "?theme=safety", headers=auth("reviewer")).get_json()["quotes"]) == 2


def test_quotes_endpoint_needs_a_token(client, factory):
    assert client.get(URL).status_code == 401


def test_quotes_endpoint_validates_its_parameters(client, auth, factory):
    assert client.get(URL + "?theme=nope", headers=auth("reviewer")).status_code == 404
    bad = client.get(URL + "?limit=0&theme=Not%20A%20Key", headers=auth("reviewer"))
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"limit", "theme"}


def test_a_large_campaign_at_the_top_does_not_crowd_out_other_quotes(factory):
    letter = factory.campaign("letter", size=20)
    members = [factory.response(text=text(n), themes={"safety": 0.99}, campaign=letter) for n in range(20)]
    lone = factory.response(text=text(99), themes={"safety": 0.3})
    db.session.commit()

    quotes = representative_quotes(db.session, factory.consultation, theme_key="safety", limit=2)

    assert [quote["reference"] for quote in quotes] == [members[0].reference, lone.reference]
