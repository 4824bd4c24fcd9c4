"""A free-text question may hold its answer to a format: the demo's postcode-district question takes an outward
code (RM10), stored as Royal Mail writes it, and refuses anything else with a field message."""

import pytest

from consultation.catalog.demo import DEMO_SLUG
from tests.intake.conftest import assert_error

ANSWERS = {"connection": "live_nearby", "agreement": "strongly_disagree", "reporting": ["phone"]}


def _submit(client, district):
    return client.post(
        f"/api/v1/consultations/{DEMO_SLUG}/responses",
        json={"station": "dagenham", "answers": {**ANSWERS, "postcode_district": district}},
    )


@pytest.mark.parametrize("district", ["XYZ", "RM10 7TU", "12"])
def test_a_postcode_district_that_is_not_one_is_refused(client, demo, district):
    body = assert_error(_submit(client, district), 422, "validation_error")
    assert body["errors"] == {"answers.postcode_district": ["Enter the first half of a UK postcode, for example RM10."]}


def test_a_postcode_district_is_stored_as_royal_mail_writes_it(client, demo):
    response = _submit(client, " rm10 ")
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    view = client.get(f"/api/v1/responses/{receipt['reference']}", headers={"X-Edit-Token": receipt["edit_token"]})
    assert view.get_json()["answers"]["postcode_district"] == "RM10"


def test_the_questionnaire_says_which_format_a_question_takes(client, demo):
    questions = client.get(f"/api/v1/consultations/{DEMO_SLUG}/questionnaire").get_json()["questions"]
    formats = {question["code"]: question["answer_format"] for question in questions}
    assert formats["postcode_district"] == "postcode_district" and formats["impact"] is None
