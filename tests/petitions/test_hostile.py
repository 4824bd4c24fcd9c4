"""Hostile or absurd input to the petition endpoints is a 4xx in the error shape, never a 500."""

import pytest

from tests.petitions.conftest import create_petition

EXTREMES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1899-12-31T23:59:59+00:00"]


@pytest.mark.parametrize("moment", EXTREMES)
def test_closing_times_out_of_range_are_422(client, auth, police, moment):
    reply = create_petition(client, auth("organiser"), closes_at=moment)
    assert reply.status_code == 422, reply.get_json()


@pytest.mark.parametrize("moment", EXTREMES)
def test_pack_dates_out_of_range_are_422(client, auth, petition, moment):
    reply = client.post(
        f"/api/v1/petitions/{petition}/packs",
        json={"code": "P1", "issued_to": "x", "issued_at": moment},
        headers=auth("organiser"),
    )
    assert reply.status_code == 422, reply.get_json()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A" * 201, "email": "a@example.org", "postcode": "RM10 7TU", "consent": True},
        {"name": ["A"], "email": "a@example.org", "postcode": "RM10 7TU", "consent": True},
        {"name": "A", "email": "a@example.org", "postcode": "RM10 7TU", "consent": "yes please"},
        {"name": "A\x00", "email": "a@example.org", "postcode": "RM10\x007TU", "consent": True},
    ],
)
def test_odd_signatures_are_refused_cleanly(client, petition, outbox, body):
    reply = client.post(f"/api/v1/petitions/{petition}/signatures", json=body)
    assert reply.status_code == 422, reply.get_json()


def test_petition_ids_out_of_range_are_404(client, police):
    assert client.get("/api/v1/petitions/99999999999999999999").status_code == 404
    assert client.get("/petitions/99999999999999999999").status_code == 404
