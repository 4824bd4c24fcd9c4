"""Discovered clusters named from their own key phrases (KeyBERT-style), with a coherence score, and a reviewer
accepting a suggested theme into the codebook in one step."""

import numpy as np
from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.analysis.engine import discover_themes, embed
from consultation.analysis.engine.keyphrases import candidates, coherence, key_phrases
from consultation.analysis.models import Theme
from tests.analysis.analysis_support import demo_consultation

URL = "/api/v1/consultations/public-access-demo/codebook/discovered"
DOGS = [
    "Dog walkers leave mess all over the playing field.",
    "The dog mess on the field is disgusting for children.",
    "Owners never pick up after their dogs near the swings.",
    "Dogs off the lead chase the children on the field.",
    "We need dog bins by the playing field entrance.",
    "Nobody clears up after their dogs on the grass.",
]
NOISE = [
    "The bins on our street are emptied too late.",
    "Streetlights on the high road are broken again.",
    "Cyclists ride on the pavement near the shops.",
    "The bus shelter glass was smashed last week.",
    "Potholes on the main road damage my tyres.",
    "Graffiti covers the wall of the old cinema.",
]


def test_key_phrases_come_from_the_cluster_and_sit_nearest_its_centre():
    vectors = embed(DOGS, cache={})
    phrases = key_phrases(DOGS, vectors.mean(axis=0), n=3, cache={})
    assert len(phrases) == 3 and len(set(phrases)) == 3
    assert all(p in candidates(DOGS) for p in phrases)
    assert any("dog" in p for p in phrases)
    # no phrase starts or ends on a stopword
    assert not any(p.split()[0] in {"the", "on", "of"} or p.split()[-1] in {"the", "on", "of"} for p in phrases)


def test_a_tight_cluster_is_more_coherent_than_a_mixed_one():
    tight = coherence(embed(DOGS, cache={}))
    mixed = coherence(embed(DOGS[:3] + NOISE[:3], cache={}))
    assert 0.0 < mixed < tight <= 1.0


def test_discovery_labels_each_cluster_with_key_phrases_a_description_and_coherence():
    clusters = discover_themes(DOGS + NOISE, n_clusters=2, cache={})
    assert len(clusters) == 2
    for cluster in clusters:
        assert cluster["key_phrases"] and cluster["suggested_label"].lower() == cluster["key_phrases"][0]
        assert cluster["suggested_description"].startswith("Responses about ")
        assert 0.0 < cluster["coherence"] <= 1.0
    dogs = next(c for c in clusters if set(c["example_ids"]) <= set(range(len(DOGS))))
    assert any("dog" in phrase for phrase in dogs["key_phrases"])
    assert np.isfinite([c["coherence"] for c in clusters]).all()


def test_a_reviewer_accepts_a_discovered_theme_in_one_step(client, auth, session):
    demo_consultation(session)
    body = {"label": "Dog mess on the field", "description": "Responses about dog mess and dog bins."}
    answer = client.post(URL, json=body, headers=auth("reviewer"))
    assert answer.status_code == 201
    theme = answer.get_json()
    assert (theme["key"], theme["label"], theme["origin"]) == ("dog_mess_on_the_field", body["label"], "discovered")
    audit = session.scalar(select(AuditEvent).where(AuditEvent.object_id == "public-access-demo/dog_mess_on_the_field"))
    assert audit.action == "create" and audit.details["accepted_suggestion"] is True
    again = client.post(URL, json=body, headers=auth("reviewer")).get_json()
    assert again["key"] == "dog_mess_on_the_field_2"
    codebook = client.get("/api/v1/consultations/public-access-demo/codebook", headers=auth("reviewer")).get_json()
    assert {"dog_mess_on_the_field", "dog_mess_on_the_field_2"} <= {t["key"] for t in codebook["themes"]}


def test_accepting_needs_a_label_and_a_reviewer(client, auth, session):
    demo_consultation(session)
    missing = client.post(URL, json={"description": "no label"}, headers=auth("reviewer"))
    assert missing.status_code == 422 and "label" in missing.get_json()["errors"]
    assert client.post(URL, json={"label": "Dogs"}, headers=auth("organiser")).status_code == 403
    assert client.post(URL, json={"label": "Dogs"}).status_code == 401
    bad_key = client.post(URL, json={"label": "Dogs", "key": "Not A Key"}, headers=auth("reviewer"))
    assert bad_key.status_code == 422
    assert session.scalar(select(Theme).where(Theme.label == "Dogs")) is None
