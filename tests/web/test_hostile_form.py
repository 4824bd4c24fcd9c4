"""The resident form refuses what the API refuses: a NUL character is named against its field, nothing stored."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from consultation.catalog.demo import HISTORICAL_SLUG
from consultation.intake.models import Response

STATION_URL = f"/consult/{HISTORICAL_SLUG}/stations/dagenham"


def test_a_nul_character_in_the_form_is_shown_against_its_field(client, demo, session, freeze, page):
    freeze(datetime(2017, 9, 1, 12, 0, tzinfo=UTC))
    form = {
        "answer-connection": "live_nearby",
        "answer-agreement": "strongly_disagree",
        "answer-impact": "Too\x00far",
    }
    response = client.post(STATION_URL, data=form)
    assert response.status_code == 422
    document = page(response.get_data(as_text=True))
    assert "Must not contain NUL characters." in document.text
    assert session.scalar(select(func.count(Response.id))) == 0
