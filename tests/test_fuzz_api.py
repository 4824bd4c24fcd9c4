"""Schemathesis against /api/v1/openapi.json: generated requests, valid and invalid, to every operation.

Two checks on every response: no 5xx, and the response matches what the OpenAPI document says (status, media
type and body schema). Requests carry an admin token, so the authenticated routes run their real code; path
parameters are sometimes swapped for a real slug, reference or theme key, so generated bodies and queries reach
an existing consultation rather than stopping at a 404.

Bounded: FUZZ_MAX_EXAMPLES generated cases per operation (default 25), derandomised so a CI failure replays.
It runs in CI's PostgreSQL pass (`FUZZ_API=1`, see .ci/run); the ordinary suite skips it to stay fast.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from consultation import create_app
from consultation.accounts.service import create_user_with_token
from consultation.catalog.demo import DEMO_SLUG, seed_demo
from consultation.catalog.service import get_consultation
from consultation.extensions import db
from consultation.intake import service as intake
from consultation.petitions.packs import register_pack
from consultation.petitions.service import create_petition

if os.environ.get("FUZZ_API") != "1":
    pytest.skip(
        "the API fuzzing pass runs with FUZZ_API=1 (CI's PostgreSQL pass runs it; see .ci/run)", allow_module_level=True
    )

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", 25))
# Real values for path parameters, filled by the `world` fixture before any case is generated.
KNOWN: dict[str, object] = {}


def _openapi_document() -> dict:
    """The document as the app serves it; building it needs no database."""
    return create_app("testing").test_client().get("/api/v1/openapi.json").get_json()


# Loaded once at collection (schemathesis' fixture-based loader does not run on this pytest); requests go to the
# session's app, which owns the test database.
schema = schemathesis.openapi.from_dict(_openapi_document())


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, a real object instead of a generated name."""
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, KNOWN[name]]) if name in KNOWN else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@pytest.fixture
def world(app):
    """The demo data, one response in it, a theme key, a petition with a pack, and an admin token."""
    seed_demo(db.session)  # the demo consultation is open now: it is seeded around the real current time
    receipt = intake.submit_response(
        db.session,
        slug=DEMO_SLUG,
        station="dagenham",
        answers={"connection": "live_nearby", "agreement": "disagree", "impact": "It is too far away."},
    )
    admin, token = create_user_with_token(db.session, name="Fuzzing admin", role="admin", borough_codes=[])
    db.session.commit()
    consultation = get_consultation(db.session, DEMO_SLUG)
    petition = create_petition(
        db.session,
        admin,
        title="Keep Dagenham open",
        text="Keep the front counter open.",
        consultation=DEMO_SLUG,
        stations=["dagenham"],
        closes_at=consultation.closes_at,
    )
    register_pack(db.session, admin, petition.id, code="PACK-1", issued_to="Residents", issued_at=consultation.opens_at)
    KNOWN.update(slug=DEMO_SLUG, reference=receipt.reference, key="access", petition_id=petition.id, code="PACK-1")
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_no_5xx_and_responses_match_the_spec(app, case, world):
    case.call_and_validate(app=app, headers=world, checks=[not_a_server_error, response_schema_conformance])
