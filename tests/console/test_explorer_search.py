"""The explorer's word search is the response listing's search (intake/search.py, the API's `q`): full-text with
English stems on PostgreSQL, and a count that says when it is an estimate."""

import os

import pytest

from consultation.intake import search

SLUG = "public-access-demo"
BASE = f"/staff/consultations/{SLUG}"

on_postgresql = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="stems and estimated counts are PostgreSQL's full-text search",
)


def test_the_explorer_searches_through_the_listings_word_search(client, staff, responses, sign_in_as, monkeypatch):
    asked = []
    real = search.matching
    monkeypatch.setattr(search, "matching", lambda session, q: asked.append(q) or real(session, q))
    sign_in_as(staff["reviewer"])
    assert "1 response<" in client.get(f"{BASE}/responses?words=Bike").get_data(as_text=True)
    assert "1 response<" in client.get(f"{BASE}/responses?q=bike").get_data(as_text=True)  # the API's name for it
    csv = client.get(f"{BASE}/responses.csv?words=stolen+bike").get_data(as_text=True)
    assert len([line for line in csv.splitlines() if line.strip()]) == 2
    assert set(asked) == {"Bike", "bike", "stolen bike"}  # the count asks again for the same words


def test_the_explorer_names_a_word_search_it_cannot_run(client, staff, responses, sign_in_as):
    sign_in_as(staff["reviewer"])
    nothing = client.get(f"{BASE}/responses?words=%21%3F")
    assert nothing.status_code == 422 and "Give at least one word to search for." in nothing.get_data(as_text=True)
    many = client.get(f"{BASE}/responses?words=" + "+".join(["counter"] * 9))
    assert many.status_code == 422 and "At most 8 words." in many.get_data(as_text=True)
    assert 'href="#words"' in many.get_data(as_text=True)


@on_postgresql
def test_on_postgresql_the_explorer_matches_stems_and_says_when_it_estimates(
    client, staff, responses, sign_in_as, monkeypatch
):
    sign_in_as(staff["reviewer"])
    assert "1 response<" in client.get(f"{BASE}/responses?words=closed").get_data(as_text=True)  # "Closing ..."
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 1)
    html = client.get(f"{BASE}/responses?words=counter").get_data(as_text=True)
    assert "An estimate: more than 1 responses match" in html
    assert "About " in html or "More than 1 responses<" in html


@pytest.mark.parametrize(
    ("count", "heading"), [(10_001, "More than 10,000 responses<"), (25_000, "About 25,000 responses<")]
)
def test_an_estimated_count_reads_as_a_lower_bound_at_the_limit_and_as_about_past_it(
    client, staff, responses, sign_in_as, monkeypatch, count, heading
):
    sign_in_as(staff["reviewer"])
    monkeypatch.setattr(search, "count_matches", lambda *args: search.MatchCount(count, exact=False))
    html = client.get(f"{BASE}/responses?words=counter").get_data(as_text=True)
    assert heading in html and "An estimate: more than 10,000 responses match" in html
