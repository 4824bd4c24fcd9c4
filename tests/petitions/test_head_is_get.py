"""A HEAD is a GET everywhere: it never runs a form's POST code (mail scanners and link previews send HEAD, and
neither CSRF checks nor rate limits look at it)."""

import sqlalchemy as sa
from sqlalchemy import func, select

from consultation.extensions import db
from consultation.intake.models import Response
from consultation.petitions.models import Signature
from tests.petitions.conftest import tokens_sent

SIGNING_FORM = {
    "signer-name": "Ada Lovelace",
    "signer-email": "ada@example.org",
    "signer-postcode": "RM10 7TU",
    "consent": "yes",
}
STATION_FORM = {"answer-connection": "live_nearby", "answer-agreement": "strongly_disagree"}
STATION_URL = "/consult/police-2017/stations/dagenham"
# Every form field the site's pages read, sent with each HEAD so that any POST branch would have what it needs.
EVERY_FORM_FIELD = {
    **SIGNING_FORM,
    **STATION_FORM,
    "reference": "ABCD-EFGH",
    "edit-code": "not-a-code",
    "email": "reviewer@example.org",
}


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def test_a_head_to_the_confirmation_link_leaves_the_signature_pending(client, petition, outbox, session):
    client.post(f"/petitions/{petition}", data=SIGNING_FORM)
    [token] = tokens_sent(outbox)
    reply = client.head(f"/petitions/{petition}/confirm/{token}")
    assert reply.status_code == 200
    assert reply.get_data() == b""
    session.expire_all()
    assert session.scalar(select(Signature.confirmed_at)) is None
    assert client.post(f"/petitions/{petition}/confirm/{token}").status_code == 303  # the button still works
    session.expire_all()
    assert session.scalar(select(Signature.confirmed_at)) is not None


def test_heads_with_form_data_to_a_petition_page_store_and_send_nothing(client, petition, outbox, session):
    for _ in range(3):
        assert client.head(f"/petitions/{petition}", data=SIGNING_FORM).status_code == 200
    assert session.scalar(select(func.count(Signature.id))) == 0
    assert tokens_sent(outbox) == []
    assert client.post(f"/petitions/{petition}", data=SIGNING_FORM).status_code == 303  # the same form signs
    assert session.scalar(select(func.count(Signature.id))) == 1


def test_heads_with_form_data_to_a_station_page_store_nothing(client, police, session):
    for _ in range(3):
        assert client.head(STATION_URL, data=STATION_FORM).status_code == 200
    assert session.scalar(select(func.count(Response.id))) == 0
    assert client.post(STATION_URL, data=STATION_FORM).status_code == 303  # the same form stores a response
    assert session.scalar(select(func.count(Response.id))) == 1


def _argument_values(petition_id: int, confirmation_token: str) -> dict[str, str]:
    """A real value for every URL argument a page that takes both GET and POST may have. A new page with an
    argument not named here fails the walk below, so it is added here and walked too."""
    return {
        "slug": "police-2017",
        "station_slug": "dagenham",
        "petition_id": str(petition_id),
        "token": confirmation_token,
        # The organiser console's submission and pack pages: a page that answers 404 is walked all the same.
        "submission_id": "1",
        "code": "P-1",
    }


def test_every_page_that_takes_get_and_post_changes_nothing_on_a_head_with_form_data(
    app, client, petition, outbox, session
):
    client.post(f"/petitions/{petition}", data=SIGNING_FORM)
    [token] = tokens_sent(outbox)
    values = _argument_values(petition, token)
    rules = [rule for rule in app.url_map.iter_rules() if {"GET", "POST"} <= (rule.methods or set())]
    assert len(rules) >= 4, [rule.rule for rule in rules]
    before = row_counts()
    walked = []
    for rule in rules:
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give the walk a value for {missing}"
        url = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
        reply = client.head(url, data=EVERY_FORM_FIELD)
        assert reply.status_code < 500, url
        assert reply.get_data() == b"", url
        walked.append(url)
    assert row_counts() == before, walked
    session.expire_all()
    assert session.scalar(select(Signature.confirmed_at)) is None
    assert len(tokens_sent(outbox)) == 1


def test_the_walk_would_see_a_change(app, client, police):
    """The row counts the walk compares do move when a page's POST code runs."""
    before = row_counts()
    client.post(STATION_URL, data=STATION_FORM)
    after = row_counts()
    assert after != before
    assert sa.inspect(db.engine).has_table("responses")
