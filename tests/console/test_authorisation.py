"""Every console route, for anonymous callers, each role and an organiser of another borough; and every console
POST refused without its CSRF token. A new console route without a row here fails the first test."""

import re

import pytest
from sqlalchemy import func, select

from consultation.accounts.service import create_token
from consultation.extensions import db

SLUG = "public-access-demo"
EVERYONE = {"admin", "reviewer", "organiser", "other_organiser"}
STAFF = {"admin", "reviewer"}
# (endpoint, method): who may, and whether the page is about one Barking and Dagenham response (so the organiser
# of another borough is refused by the borough scope even where the role would do).
MATRIX = {
    ("console.home", "GET"): (EVERYONE, False),
    ("console.tokens", "GET"): (EVERYONE, False),
    ("console.create_token", "POST"): (EVERYONE, False),
    ("console.revoke_token", "POST"): (EVERYONE, False),
    ("console.users", "GET"): ({"admin"}, False),
    ("console.invite", "POST"): ({"admin"}, False),
    ("console.update_user", "POST"): ({"admin"}, False),
    ("console.manage_consultations", "GET"): ({"admin"}, False),
    ("console.new_consultation", "GET"): ({"admin"}, False),
    ("console.new_consultation", "POST"): ({"admin"}, False),
    ("console.edit_consultation", "GET"): ({"admin"}, False),
    ("console.edit_consultation", "POST"): ({"admin"}, False),
    ("console.overview", "GET"): (EVERYONE, False),
    ("console.explorer", "GET"): (EVERYONE, False),
    ("console.export", "GET"): (EVERYONE, False),
    ("console.response_page", "GET"): (EVERYONE, True),
    ("console.code", "POST"): (STAFF, True),
    ("console.show_personal_details", "POST"): (STAFF, True),
    ("console.queue", "POST"): (STAFF, False),
    ("console.queue_done", "GET"): (STAFF, False),
    ("console.imports", "GET"): (STAFF, False),
    ("console.check_upload", "POST"): (STAFF, False),
    ("console.confirm_import", "POST"): (STAFF, False),
}
PUBLIC = {
    ("console.sign_in", "GET"),
    ("console.sign_in", "POST"),
    ("console.check_email", "GET"),
    ("console.use_link", "GET"),
    ("console.use_link", "POST"),
    ("console.sign_out_view", "POST"),
    ("console.static", "GET"),
}


def console_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_console_route_is_in_the_matrix(app):
    assert console_routes(app) == set(MATRIX) | PUBLIC


def test_the_matrix_agrees_with_the_roles_each_page_declares(app):
    for (endpoint, _), (allowed, _) in MATRIX.items():
        declared = set(app.view_functions[endpoint].console_roles)
        expected = {"organiser" if who == "other_organiser" else who for who in allowed}
        assert declared == expected, endpoint


def _url(app, endpoint: str, values: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


@pytest.fixture
def callers(app, staff, responses, sign_in_as):
    clients = {"anonymous": app.test_client()}
    for who in EVERYONE:
        clients[who] = sign_in_as(staff[who], on=app.test_client())
    return clients


def test_each_caller_gets_what_the_rules_say(app, staff, responses, callers):
    values = {
        "slug": SLUG,
        "response_id": responses["dagenham"][1].id,
        "file_format": "csv",
        "user_id": staff["reviewer"].id,
        "token_id": 1,
    }
    forms = {"console.update_user": {"role": "reviewer", "active": "yes"}, "console.code": {"stance": "neutral"}}
    problems = []
    for (endpoint, method), (allowed, scoped) in MATRIX.items():
        url = _url(app, endpoint, values)
        for who, client in callers.items():
            reply = client.open(url, method=method, data=forms.get(endpoint, {}))
            sent_to_sign_in = reply.status_code == 302 and "/staff/sign-in" in reply.headers.get("Location", "")
            if who == "anonymous":
                ok = sent_to_sign_in
            elif who not in allowed or (scoped and who == "other_organiser"):
                ok = reply.status_code == 403
            else:
                ok = reply.status_code < 500 and reply.status_code not in (401, 403) and not sent_to_sign_in
            if not ok:
                problems.append(f"{method} {url} as {who}: {reply.status_code}")
    assert not problems, "\n".join(problems)


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_every_console_post_without_its_csrf_token_is_refused(file_app, tmp_path):
    from consultation.accounts.service import create_user
    from consultation.accounts.sign_in import issue_link
    from consultation.clock import now

    app = file_app(WTF_CSRF_ENABLED=True, MAIL_OUTBOX=str(tmp_path / "outbox"))
    client = app.test_client()
    with app.app_context():
        admin = create_user(db.session, None, name="Admin", role="admin", email="admin@example.org")
        token = issue_link(db.session, admin, now())
        db.session.commit()
        api_token = create_token(db.session, admin)
        admin_id = admin.id
    assert client.post(f"/staff/sign-in/{token}").status_code == 400  # even the sign-in button needs it
    page = client.get(f"/staff/sign-in/{token}").get_data(as_text=True)
    assert client.post(f"/staff/sign-in/{token}", data={"csrf_token": _csrf_token(page)}).status_code == 303
    values = {"slug": SLUG, "response_id": 1, "file_format": "csv", "user_id": admin_id, "token_id": 1}
    posts = [endpoint for endpoint, method in console_routes(app) if method == "POST"]
    assert len(posts) >= 10
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(db.metadata.tables["audit_events"]))
    for endpoint in posts:
        reply = client.post(_url(app, endpoint, {**values, "token": token}), data={"email": "x@example.org"})
        assert reply.status_code == 400, endpoint
        assert "did not come from this site" in reply.get_data(as_text=True), endpoint
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(db.metadata.tables["audit_events"]))
    assert after == before
    assert client.get("/staff/").status_code == 200  # the sign-out POST without a token did not sign out
    assert api_token.startswith("ct_")
