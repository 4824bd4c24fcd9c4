"""One response's whole path: submitted online, analysed in the background batch, counted in the
aggregates, recoded by a reviewer (which wins at once and survives re-analysis), exported without personal data."""

import csv
import io
from datetime import datetime, timedelta

import time_machine

from consultation.analysis.demo import seed_demo_codebooks
from consultation.clock import as_utc

SLUG = "public-access-demo"


def _aggregate(client, auth, **params):
    query = "&".join(
        f"{key}={value}" for key, value in {"group_by": "borough", "borough": "E09000002", **params}.items()
    )
    response = client.get(f"/api/v1/consultations/{SLUG}/aggregates?{query}", headers=auth("reviewer"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["groups"][0]


def test_a_response_flows_from_the_form_to_the_aggregates_and_the_export(client, auth, runner, demo, session):
    seed_demo_codebooks(session)
    submitted = client.post(
        f"/api/v1/consultations/{SLUG}/responses",
        json={
            "station": "dagenham",
            "answers": {
                "connection": "live_nearby",
                "agreement": "strongly_disagree",
                "impact": "My mother is 84 and cannot manage two buses to Barking to report a crime.",
            },
            "respondent": {"name": "Ada Resident", "email": "ada@example.org", "postcode": "RM10 8XX"},
            "consent_to_publish": True,
        },
    )
    assert submitted.status_code == 201, submitted.get_json()
    reference = submitted.get_json()["reference"]
    # The analysis task ran inline (tests' BACKGROUND_JOBS=eager); the embedded default runs it on its worker thread.

    coding = client.get(f"/api/v1/responses/{reference}/coding", headers=auth("reviewer")).get_json()
    assert coding["stance"] == "oppose" and coding["stance_source"] == "agreement"
    assert coding["history"][0]["source"] == "machine"
    group = _aggregate(client, auth)
    assert group["total"] == 1 and group["stance"]["oppose"] == 1

    recoded = client.put(
        f"/api/v1/responses/{reference}/coding",
        json={"stance": "support", "themes": ["funding_cuts"], "note": "Reads as sarcasm on re-reading."},
        headers=auth("reviewer"),
    )
    assert recoded.status_code == 200, recoded.get_json()
    group = _aggregate(client, auth)
    assert group["stance"] == {"oppose": 0, "support": 1, "neutral": 0, "uncoded": 0}
    assert group["themes"]["funding_cuts"]["count"] == 1
    assert group["themes"]["travel_distance"]["count"] == 0

    assert runner.invoke(args=["analyse", "--consultation", SLUG, "--force"]).exit_code == 0
    group = _aggregate(client, auth)
    assert group["stance"]["support"] == 1 and group["themes"]["funding_cuts"]["count"] == 1

    exported = client.get(f"/api/v1/consultations/{SLUG}/exports/responses?format=csv", headers=auth("reviewer"))
    assert exported.status_code == 200
    text = exported.get_data(as_text=True)
    assert reference in text
    assert "Ada Resident" not in text and "ada@example.org" not in text and "RM10 8XX" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["stance"] == "support"


def test_a_late_paper_response_is_kept_but_left_out_of_the_aggregates_unless_asked(client, auth, demo, session):
    seed_demo_codebooks(session)
    closes_at = client.get(f"/api/v1/consultations/{SLUG}").get_json()["closes_at_london"]
    late_local = closes_at[:11] + "17:30:00"
    on_time_local = closes_at[:11] + "17:29:59"
    content = (
        "channel,received_at,station,connection,agreement,impact\n"
        f"paper,{on_time_local},dagenham,live_nearby,disagree,Keep the counter open for older people.\n"
        f"paper,{late_local},dagenham,live_nearby,disagree,Posted on the closing day after half past five.\n"
    )
    # The import refuses rows dated in the future, so travel to just after the deadline first.

    after = as_utc(datetime.fromisoformat(closes_at)) + timedelta(hours=1)
    with time_machine.travel(after, tick=False):
        imported = client.post(
            f"/api/v1/consultations/{SLUG}/responses/import",
            data={"file": (io.BytesIO(content.encode()), "paper.csv")},
            headers=auth("reviewer"),
            content_type="multipart/form-data",
        )
        assert imported.status_code == 201, imported.get_json()
        assert imported.get_json()["late"] == 1
        assert _aggregate(client, auth)["total"] == 1
        assert _aggregate(client, auth, include_late="true")["total"] == 2
