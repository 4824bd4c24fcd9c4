"""Every route in the OpenAPI document, called by every kind of caller, answers the status the matrix expects.

The callers: anonymous, an organiser of borough A (Barking and Dagenham), an organiser of borough B (Redbridge),
a reviewer and an admin. The objects a route names ({reference}, a `borough` filter) are borough A's unless the
entry says otherwise, so the organiser of B is the one trying to reach another borough's objects.

Adding a route means adding one line to MATRIX: `"METHOD /path?query": Entry("anon orgA orgB reviewer admin")`.
A route in the OpenAPI document with no line fails `test_every_route_has_a_matrix_entry`; a line whose route
has gone fails it too. Each call runs against a fresh, small world (see `world`), so writes cannot leak.
"""

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from consultation.accounts.models import User
from consultation.background_jobs import create_job
from consultation.extensions import celery, db
from consultation.submissions.models import Submission
from consultation.submissions.service import request_render
from tests.intake.conftest import GOOD_ANSWERS, make_consultation

CALLERS = ("anonymous", "organiser_a", "organiser_b", "reviewer", "admin")
TOKEN_OF = {"organiser_a": "organiser", "organiser_b": "other_organiser", "reviewer": "reviewer", "admin": "admin"}
BOROUGH_A, BOROUGH_B = "E09000002", "E09000026"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
INSIDE_THE_WINDOW = datetime(2017, 6, 1, 12, 0, tzinfo=UTC)  # make_consultation's window is 2017


@dataclass(frozen=True)
class Entry:
    """Expected statuses in CALLERS order, and what to send; strings are filled in from the world."""

    expected: str
    json: dict | None = None
    headers: dict = field(default_factory=dict)
    upload: str | None = None  # CSV text sent as the multipart field "file"

    def status_for(self, caller: str) -> int:
        return int(self.expected.split()[CALLERS.index(caller)])


EDIT_TOKEN_A = {"X-Edit-Token": "{edit_token_a}"}
IMPORT_CSV = "channel,received_at,station,connection,agreement\npaper,2017-05-02 10:00,barking,live_nearby,agree\n"
NEW_CONSULTATION = {
    "slug": "new-consultation",
    "title": "A new consultation",
    "consulting_body": "A council",
    "opens_at": "2030-01-01T09:00:00Z",
    "closes_at": "2030-03-01T17:30:00Z",
    "questionnaire": {"title": "Views", "questions": [{"code": "why", "kind": "free_text", "prompt": "Why?"}]},
}
CODEBOOK = {"themes": [{"key": "access", "label": "Access", "description": "Getting to the counter"}]}
PETITION_CLOSES = "2017-10-01T17:00:00+01:00"
NEW_PETITION = {"title": "Keep it open", "text": "Keep the counter open.", "consultation": "library-hours",
                "stations": ["dagenham"], "closes_at": PETITION_CLOSES}  # fmt: skip
SIGNER = {"name": "Ada Lovelace", "email": "ada@example.org", "postcode": "RM10 7TU", "consent": True}
PACK = {"code": "PACK-2", "issued_to": "Rainham Road residents", "issued_at": "2017-05-01T10:00:00+01:00"}
TALLY = {"signatures_counted": 12, "sheets": 2, "received_at": "2017-05-30T18:00:00+01:00", "counted_by": "Jo"}
SIGNATURES_CSV = "name,email,postcode,signed_at\nAda Lovelace,ada@example.org,RM10 7TU,2017-05-20 12:00\n"
REVIEW = {"action": "invalidate", "signature_ids": ["{signature_id}"], "reason": "A duplicate"}
RETITLE = {"title": "Keep it", "reason": "Shorter"}  # people have signed: a new title needs a reason
PACK_REVIEW = {"action": "set_aside", "codes": ["PACK-1"], "reason": "Sheets photocopied"}
NEW_SUBMISSION = {"consultation": "library-hours", "title": "Keep Dagenham open", "addressed_to": "The council",
                  "organisation": "Residents", "signatory": {"name": "A. Chair", "role": "Chair"},
                  "stations": ["dagenham"]}  # fmt: skip

PUBLIC = "200 200 200 200 200"
READERS = "401 200 200 200 200"
READERS_OF_A = "401 200 403 200 200"  # borough A's objects: the organiser of B is refused
STAFF = "401 403 403 200 200"

# fmt: off
MATRIX: dict[str, Entry] = {
    # catalog                                                  anon orgA orgB reviewer admin
    "GET /api/v1/consultations":                               Entry(PUBLIC),
    "POST /api/v1/consultations":                              Entry("401 403 403 403 201", json=NEW_CONSULTATION),
    "GET /api/v1/consultations/{slug}":                        Entry(PUBLIC),
    "PATCH /api/v1/consultations/{slug}":                      Entry("401 403 403 403 200", json={"title": "Renamed"}),
    "GET /api/v1/consultations/{slug}/questionnaire":          Entry(PUBLIC),
    # intake
    "POST /api/v1/consultations/{slug}/responses":             Entry("201 201 201 201 201", json={"station": "dagenham", "answers": GOOD_ANSWERS}),  # noqa: E501
    "GET /api/v1/consultations/{slug}/responses":              Entry(READERS),
    "GET /api/v1/consultations/{slug}/responses?borough=" + BOROUGH_A: Entry(READERS_OF_A),
    "GET /api/v1/consultations/{slug}/responses?station=woodford": Entry("401 403 200 200 200"),
    "GET /api/v1/consultations/{slug}/responses?include_personal_data=true": Entry(STAFF),
    "POST /api/v1/consultations/{slug}/responses/import":      Entry("401 403 403 201 201", upload=IMPORT_CSV),
    "GET /api/v1/responses/{reference}":                       Entry(PUBLIC, headers=EDIT_TOKEN_A),
    "GET /api/v1/responses/{reference_b}":                     Entry("403 403 403 403 403", headers=EDIT_TOKEN_A),
    "PATCH /api/v1/responses/{reference}":                     Entry(PUBLIC, json={"consent_to_publish": True}, headers=EDIT_TOKEN_A),  # noqa: E501
    "PATCH /api/v1/responses/{reference_b}":                   Entry("403 403 403 403 403", json={"consent_to_publish": True}, headers=EDIT_TOKEN_A),  # noqa: E501
    "POST /api/v1/responses/{reference}/withdraw":             Entry(PUBLIC, headers=EDIT_TOKEN_A),
    "POST /api/v1/responses/{reference_b}/withdraw":           Entry("403 403 403 403 403", headers=EDIT_TOKEN_A),
    # analysis
    "GET /api/v1/consultations/{slug}/codebook":               Entry(READERS),
    "PUT /api/v1/consultations/{slug}/codebook":               Entry(STAFF, json=CODEBOOK),
    "POST /api/v1/consultations/{slug}/codebook/themes":       Entry("401 403 403 201 201", json={"key": "parking", "label": "Parking"}),  # noqa: E501
    "POST /api/v1/consultations/{slug}/codebook/discovered":   Entry("401 403 403 201 201", json={"label": "Parking"}),
    "PATCH /api/v1/consultations/{slug}/codebook/themes/{key}": Entry(STAFF, json={"label": "Getting there"}),
    "DELETE /api/v1/consultations/{slug}/codebook/themes/{key}": Entry("401 403 403 204 204"),
    "GET /api/v1/consultations/{slug}/analysis/agreement":     Entry(STAFF),
    "POST /api/v1/consultations/{slug}/analysis/next-to-code?n=5": Entry("401 202 202 202 202"),
    # a job is read only by the user who asked for it (the reviewer here): a stranger's id is a 404
    "GET /api/v1/consultations/{slug}/analysis/next-to-code/{next_job}": Entry("401 404 404 200 404"),
    "GET /api/v1/consultations/{slug}/analysis/status":        Entry(READERS),
    "POST /api/v1/consultations/{slug}/analysis/run":          Entry("401 403 403 202 202"),
    "POST /api/v1/consultations/{slug}/analysis/next-to-code": Entry("401 202 202 202 202"),
    "GET /api/v1/responses/{reference}/coding":                Entry(READERS_OF_A),
    "GET /api/v1/responses/{reference_b}/coding":              Entry("401 403 200 200 200"),
    "PUT /api/v1/responses/{reference}/coding":                Entry(STAFF, json={"stance": "oppose", "themes": ["access"]}),  # noqa: E501
    # reporting
    "GET /api/v1/consultations/{slug}/aggregates":             Entry(READERS),
    "GET /api/v1/consultations/{slug}/aggregates?borough=" + BOROUGH_A: Entry(READERS_OF_A),
    "GET /api/v1/consultations/{slug}/aggregates?group_by=station&station=woodford": Entry("401 403 200 200 200"),
    "GET /api/v1/consultations/{slug}/quotes":                 Entry(READERS),
    "GET /api/v1/consultations/{slug}/quotes?borough=" + BOROUGH_A: Entry(READERS_OF_A),
    "GET /api/v1/consultations/{slug}/exports/responses":      Entry(READERS),
    "GET /api/v1/consultations/{slug}/exports/responses?format=json&borough=" + BOROUGH_A: Entry(READERS_OF_A),
    "GET /api/v1/consultations/{slug}/exports/responses?include_personal_data=true": Entry(STAFF),
    "GET /api/v1/consultations/{slug}/exports/aggregates":     Entry(READERS),
    "GET /api/v1/consultations/{slug}/exports/aggregates?format=json&borough=" + BOROUGH_A: Entry(READERS_OF_A),
    "POST /api/v1/consultations/{slug}/themes/discover":       Entry("401 403 403 202 202"),
    "GET /api/v1/consultations/{slug}/themes/discover/{discover_job}": Entry("401 403 403 200 404"),
    "GET /api/v1/consultations/{slug}/campaigns":              Entry(STAFF),
    # petitions: {petition_id} is the organiser of A's petition about a station in A, {petition_b} B's
    "GET /api/v1/petitions":                                   Entry(PUBLIC),
    "POST /api/v1/petitions":                                  Entry("401 201 403 403 201", json=NEW_PETITION),
    "GET /api/v1/petitions/{petition_id}":                     Entry(PUBLIC),
    "PATCH /api/v1/petitions/{petition_id}":                   Entry("401 200 403 403 200", json=RETITLE),
    "GET /api/v1/petitions/{petition_id}/totals":              Entry(PUBLIC),
    "POST /api/v1/petitions/{petition_id}/signatures":         Entry("202 202 202 202 202", json=SIGNER),
    "GET /api/v1/petitions/{petition_id}/signatures":          Entry(READERS_OF_A),
    "GET /api/v1/petitions/{petition_b}/signatures":           Entry("401 403 200 200 200"),
    "GET /api/v1/petitions/{petition_id}/signatures.csv":      Entry("401 200 403 403 403"),  # the owner only
    "POST /api/v1/petitions/{petition_id}/confirm":            Entry("404 404 404 404 404", json={"token": "no-such"}),
    "GET /api/v1/petitions/{petition_id}/signatures/duplicates": Entry(READERS_OF_A),
    "GET /api/v1/petitions/{petition_b}/signatures/duplicates": Entry("401 403 200 200 200"),
    "POST /api/v1/petitions/{petition_id}/signatures/review":  Entry(READERS_OF_A, json=REVIEW),
    "POST /api/v1/petitions/{petition_id}/signatures/import":  Entry("401 201 403 403 201", upload=SIGNATURES_CSV),
    "GET /api/v1/petitions/{petition_id}/packs":               Entry(READERS_OF_A),
    "POST /api/v1/petitions/{petition_id}/packs/review":       Entry(READERS_OF_A, json=PACK_REVIEW),
    "POST /api/v1/petitions/{petition_id}/packs":              Entry("401 201 403 403 201", json=PACK),
    "POST /api/v1/petitions/{petition_id}/packs/{code}/tally": Entry("401 200 403 403 200", json=TALLY),
    "POST /api/v1/petitions/{petition_id}/packs/{code}/signatures": Entry("401 201 403 403 201", upload="name,postcode\nAda,RM10 7TU\n"),  # noqa: E501
    # submissions: {submission_id} is the organiser of A's draft about a station in A, {job_id} a queued render
    # of it (its PDF is not rendered yet, so the download is a 404 for those allowed to see it)
    "GET /api/v1/submissions":                                 Entry(READERS),
    "POST /api/v1/submissions":                                Entry("401 201 403 403 201", json=NEW_SUBMISSION),
    "GET /api/v1/submissions/{submission_id}":                 Entry(READERS_OF_A),
    "PATCH /api/v1/submissions/{submission_id}":               Entry("401 200 403 403 200", json={"title": "Renamed"}),
    "DELETE /api/v1/submissions/{submission_id}":              Entry("401 204 403 403 204"),
    "PUT /api/v1/submissions/{submission_id}/letterhead":      Entry("401 422 403 403 422", upload="not an image"),
    "DELETE /api/v1/submissions/{submission_id}/letterhead":   Entry("401 200 403 403 200"),
    "POST /api/v1/submissions/{submission_id}/render":         Entry("401 202 403 202 202"),
    "GET /api/v1/submissions/{submission_id}/renders/{job_id}": Entry(READERS_OF_A),
    "GET /api/v1/submissions/{submission_id}/pdf":             Entry("401 404 403 404 404"),
    "POST /api/v1/submissions/{submission_id}/file":           Entry("401 202 403 403 202"),
    "GET /api/v1/submissions/verify?sha256=" + "0" * 64:       Entry(PUBLIC),
    # operations (metrics are open in the test configuration: no METRICS_TOKEN)
    "GET /healthz":                                            Entry(PUBLIC),
    "GET /readyz":                                             Entry(PUBLIC),
    "GET /metrics":                                            Entry(PUBLIC),
}
# fmt: on


def route_of(key: str) -> str:
    """'GET /api/v1/responses/{reference_b}?x=1' -> 'GET /api/v1/responses/{reference}', as the spec names it."""
    method, _, target = key.partition(" ")
    path = target.split("?")[0].replace("{reference_b}", "{reference}").replace("{petition_b}", "{petition_id}")
    path = path.replace("{next_job}", "{job_id}").replace("{discover_job}", "{job_id}")
    return f"{method} {path}"


def test_every_route_has_a_matrix_entry_and_every_entry_a_route(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }
    covered = {route_of(key) for key in MATRIX}
    assert documented - covered == set(), "routes with no authorisation matrix entry"
    assert covered - documented == set(), "matrix entries for routes the API no longer has"


def build_world(client, auth) -> dict:
    """A consultation with stations in boroughs A and B, a response in each, and a codebook with one theme.

    The two responses are only queued for analysis (Celery not eager here): coding them inline would cost a
    second per call, and no entry depends on their coding."""
    make_consultation()
    slug = "library-hours"
    made = {}
    celery.conf.task_always_eager = False
    try:
        for name, station in (("a", "dagenham"), ("b", "woodford")):
            body = {"station": station, "answers": GOOD_ANSWERS, "respondent": {"name": f"Resident {name}"}}
            response = client.post(f"/api/v1/consultations/{slug}/responses", json=body)
            assert response.status_code == 201, response.get_json()
            made[name] = response.get_json()
    finally:
        celery.conf.task_always_eager = True
    response = client.put(f"/api/v1/consultations/{slug}/codebook", json=CODEBOOK, headers=auth("admin"))
    assert response.status_code == 200, response.get_json()
    petitions = {}
    for name, role, station in (("a", "organiser", "dagenham"), ("b", "other_organiser", "woodford")):
        response = client.post("/api/v1/petitions", json={**NEW_PETITION, "stations": [station]}, headers=auth(role))
        assert response.status_code == 201, response.get_json()
        petitions[name] = response.get_json()["id"]
    owner = auth("organiser")
    petition = f"/api/v1/petitions/{petitions['a']}"
    response = client.post(f"{petition}/packs", json={**PACK, "code": "PACK-1"}, headers=owner)
    assert response.status_code == 201, response.get_json()
    response = client.post(f"{petition}/packs/PACK-1/tally", json=TALLY, headers=owner)
    assert response.status_code == 200, response.get_json()
    upload = {"file": (io.BytesIO(SIGNATURES_CSV.encode()), "signatures.csv")}
    multipart = "multipart/form-data"
    response = client.post(f"{petition}/signatures/import", data=upload, headers=owner, content_type=multipart)
    assert response.status_code == 201, response.get_json()
    signature_id = client.get(f"{petition}/signatures", headers=owner).get_json()["signatures"][0]["id"]
    response = client.post("/api/v1/submissions", json=NEW_SUBMISSION, headers=owner)
    assert response.status_code == 201, response.get_json()
    submission_id = response.get_json()["id"]
    job_id = request_render(db.session, None, db.session.get(Submission, submission_id)).id
    reviewer = db.session.scalar(select(User).where(User.name == "Test reviewer")).id
    discover_job = create_job(db.session, kind="discover", params={"slug": slug, "max_clusters": 8}, user_id=reviewer)
    next_job = create_job(db.session, kind="next_to_code", params={"slug": slug, "n": 5}, user_id=reviewer)
    return {
        "discover_job": discover_job.id,
        "next_job": next_job.id,
        "submission_id": submission_id,
        "job_id": job_id,
        "petition_id": petitions["a"],
        "petition_b": petitions["b"],
        "code": "PACK-1",
        "signature_id": signature_id,
        "slug": slug,
        "reference": made["a"]["reference"],
        "reference_b": made["b"]["reference"],
        "edit_token_a": made["a"]["edit_token"],
        "key": "access",
    }


def _fill(value, world: dict):
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {name: _fill(item, world) for name, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, world) for item in value]
    return value


def call(client, auth, world: dict, key: str, caller: str):
    entry = MATRIX[key]
    method, _, target = key.partition(" ")
    headers = _fill(entry.headers, world)
    if caller != "anonymous":
        headers.update(auth(TOKEN_OF[caller]))
    options = {"headers": headers}
    if entry.json is not None:
        options["json"] = _fill(entry.json, world)
    if entry.upload is not None:
        options["data"] = {"file": (io.BytesIO(entry.upload.encode()), "responses.csv")}
        options["content_type"] = "multipart/form-data"
    return client.open(_fill(target, world), method=method, **options)


def check(response, key: str, caller: str) -> None:
    body = response.get_json(silent=True)
    assert response.status_code == MATRIX[key].status_for(caller), (key, caller, body)
    if response.status_code >= 400:
        assert set(body) == {"status", "code", "message", "errors"}, body


@pytest.fixture(autouse=True)
def outbox(app, tmp_path):
    """Signing sends a confirmation email: into a temporary folder."""
    previous = app.config.get("MAIL_OUTBOX")
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    yield
    app.config["MAIL_OUTBOX"] = previous


READS = [key for key in MATRIX if key.startswith("GET ")]
WRITES = [key for key in MATRIX if not key.startswith("GET ")]


@pytest.mark.parametrize("key", READS)
def test_each_caller_reading_gets_the_status_the_matrix_expects(client, auth, tokens, freeze, key):
    """Reads change nothing, so the five callers share one world."""
    freeze(INSIDE_THE_WINDOW)
    world = build_world(client, auth)
    for caller in CALLERS:
        check(call(client, auth, world, key, caller), key, caller)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("key", WRITES)
def test_each_caller_writing_gets_the_status_the_matrix_expects(client, auth, tokens, freeze, key, caller):
    """Each write gets a world of its own: one caller's success must not change what the next one meets."""
    freeze(INSIDE_THE_WINDOW)
    check(call(client, auth, build_world(client, auth), key, caller), key, caller)
