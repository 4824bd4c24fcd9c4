"""The coding queue's pages: which order a response came from, the reviewer's figures so far, and the machine's
agreement with the reviewers."""

from sqlalchemy import select

from consultation.analysis.models import CodingRanking
from consultation.extensions import db

SLUG = "public-access-demo"
BASE = f"/staff/consultations/{SLUG}"


def _figures(html: str) -> dict[str, str]:
    block = html.split('id="coding-figures"')[1].split("</dl>")[0]
    return {
        key: block.split(f'id="{key}">')[1].split("</dd>")[0].strip()
        for key in ("coded-today", "coded-total", "agreement")
    }


def test_the_queue_says_which_order_it_took_a_response_from_and_shows_the_figures(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    first = client.post(f"{BASE}/queue").headers["Location"]
    page = client.get(first).get_data(as_text=True)
    assert "Chosen by the quick order" in page  # no ranking was stored when it was claimed
    assert _figures(page) == {
        "coded-today": "0 responses",
        "coded-total": "0 responses",
        "agreement": "Not measured yet: no response is coded by both a reviewer and the machine",
    }
    # the eager test worker has worked out the ranking the claim asked for
    consultation_id = responses["consultation"].id
    assert (
        db.session.scalar(select(CodingRanking.state).where(CodingRanking.consultation_id == consultation_id)) == "done"
    )
    after = client.post(f"{first}/coding", data={"stance": "oppose", "then": "next"})
    page = client.get(after.headers["Location"]).get_data(as_text=True)
    assert "Chosen from the ranking of the responses whose coding would teach the machine most" in page
    figures = _figures(page)
    assert figures["coded-today"] == figures["coded-total"] == "1 response"
    assert "of the 1 response both coded" in figures["agreement"] and "95% interval" in figures["agreement"]


def test_a_response_opened_outside_the_queue_shows_no_queue_figures(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    page = client.get(f"{BASE}/responses/{responses['dagenham'][1].id}").get_data(as_text=True)
    assert "coding-figures" not in page and "Why this response is next" not in page


def test_the_queue_done_page_shows_the_reviewers_figures(client, staff, responses, sign_in_as):
    sign_in_as(staff["admin"])
    location = client.post(f"{BASE}/queue").headers["Location"]
    coded = 0
    for _ in range(10):
        if location.endswith("/queue/done"):
            break
        location = client.post(f"{location}/coding", data={"stance": "support", "then": "next"}).headers["Location"]
        coded += 1
    page = client.get(location).get_data(as_text=True)
    assert coded == 4 and "Nothing left to code" in page
    figures = _figures(page)
    assert figures["coded-today"] == figures["coded-total"] == "4 responses"
    assert "of the 4 responses both coded" in figures["agreement"]
