"""Every organiser page, for every kind of visitor: signed out, the owning organiser, an organiser of another
borough (403 on every page of this petition and submission), a reviewer and an admin; and every POST refused
without its CSRF token."""

import re

import pytest

from consultation.console.organiser_routes import PAGES, bp
from consultation.extensions import db
from consultation.submissions.models import SubmissionRender

PETITION_READ = {"petition", "timeline_svg", "signers", "duplicates", "petition_history"}
PETITION_CHANGE = {"edit_petition", "packs", "tally", "key_in"}
OWNER_ONLY = {"signers_csv"}  # personal data leaving the service: the owning organiser alone
SUBMISSION_READ = {"submission", "page_image", "pdf", "receipt"}
SUBMISSION_CHANGE = {"preview", "letterhead", "file"}
OPEN_TO_STAFF = {"home", "petitions", "new_petition", "submissions", "new_submission"}
# View names whose endpoint is registered under another name (organiser_routes.ENDPOINTS).
ALIASES = {
    "packs_page": "packs",
    "signers_page": "signers",
    "duplicates_page": "duplicates",
    "history": "petition_history",
}


def routes() -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every organiser page."""
    found = []
    for rule, view, methods in PAGES:
        for method in methods:
            found.append((view.__name__, method, bp.url_prefix + rule))
    return found


def test_every_route_is_in_one_group_of_this_matrix():
    endpoints = {endpoint for endpoint, _, _ in routes()}
    grouped = PETITION_READ | PETITION_CHANGE | OWNER_ONLY | SUBMISSION_READ | SUBMISSION_CHANGE | OPEN_TO_STAFF
    assert {ALIASES.get(endpoint, endpoint) for endpoint in endpoints} == grouped


@pytest.fixture
def objects(client, auth, petition_id, submission_id):
    """The URL values of a real petition (with a pack) and submission (with a finished render)."""
    pack = {"code": "P-1", "issued_to": "A volunteer", "issued_at": "2026-01-01T10:00:00Z"}
    assert (
        client.post(f"/api/v1/petitions/{petition_id}/packs", json=pack, headers=auth("organiser")).status_code == 201
    )
    job = client.post(f"/api/v1/submissions/{submission_id}/render", headers=auth("organiser")).json
    assert db.session.get(SubmissionRender, job["id"]).status == "done"
    return {"petition_id": petition_id, "submission_id": submission_id, "code": "P-1", "job_id": job["id"], "number": 1}


def url_for_rule(rule: str, values: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match.group(1)]), rule)


def status_of(sign_in, role, method, url) -> int:
    client = sign_in(role)
    return client.open(url, method=method, data={}).status_code


def expected_allowed(role: str, endpoint: str, method: str) -> bool:
    endpoint = ALIASES.get(endpoint, endpoint)
    if endpoint in OPEN_TO_STAFF:
        return True
    if role == "other_organiser":
        return False
    if endpoint in OWNER_ONLY:
        return role == "organiser"
    if role == "reviewer":
        if (endpoint, method) in (("signers", "POST"), ("duplicates", "POST"), ("preview", "POST"), ("packs", "GET")):
            return True  # reviewers review signatures and possible duplicates, read the packs and render previews
        return endpoint in PETITION_READ | SUBMISSION_READ and method == "GET"
    return True


@pytest.mark.parametrize("role", ["organiser", "other_organiser", "reviewer", "admin"])
def test_each_role_gets_exactly_the_pages_the_rules_give_it(sign_in, objects, role):
    wrong = []
    for endpoint, method, rule in routes():
        status = status_of(sign_in, role, method, url_for_rule(rule, objects))
        allowed = expected_allowed(role, endpoint, method)
        if (status == 403) == allowed or status >= 500:
            wrong.append((method, rule, status))
    assert wrong == [], wrong


def test_signed_out_visitors_are_sent_to_sign_in_on_every_page(sign_in, objects):
    statuses = {
        (method, rule): status_of(sign_in, None, method, url_for_rule(rule, objects)) for _, method, rule in routes()
    }
    assert {status for status in statuses.values()} <= {302, 303, 401}, statuses


def test_every_post_without_its_csrf_token_is_refused(file_app):
    client = file_app(WTF_CSRF_ENABLED=True).test_client()
    values = {"petition_id": 1, "submission_id": 1, "code": "P-1", "job_id": "x", "number": 1}
    posts = [url_for_rule(rule, values) for _, method, rule in routes() if method == "POST"]
    assert len(posts) >= 10
    refused = {url: client.post(url, data={"title": "x"}).status_code for url in posts}
    assert set(refused.values()) == {400}, refused


def test_a_head_to_any_organiser_form_runs_none_of_its_post_code(sign_in, objects, monkeypatch):
    from tests.petitions.test_head_is_get import row_counts

    form = {"title": "Changed by a HEAD", "action": "invalidate", "reason": "x", "signature": "1", "code": "P-9"}
    form |= {"issued-to": "x", "issued-date": "2026-01-01", "signatures-counted": "3", "sheets": "1"}
    form |= {"counted-by": "x", "received-date": "2026-01-02", "then": "preview", "consultation": "front-counters"}
    client = sign_in("organiser")
    before = row_counts()
    both = [(rule, methods) for rule, _, methods in PAGES if {"GET", "POST"} <= set(methods)]
    assert len(both) >= 8
    for rule, _ in both:
        reply = client.head(url_for_rule(bp.url_prefix + rule, objects), data=form)
        assert reply.status_code == 200 and reply.get_data() == b"", rule
    assert row_counts() == {**before, "audit_events": row_counts()["audit_events"]}  # reading signers is audited
