"""Coding a few new responses reads nothing of the consultation's other responses, and still finds campaigns."""

import numpy as np
from sqlalchemy import func, select

from consultation.analysis.engine.embedding import load_model, text_key
from consultation.analysis.models import Campaign, ResponseAnalysis, TextEmbedding
from consultation.analysis.service import analyse, forget_models
from consultation.analysis.service import run as run_module
from consultation.analysis.service.embeddings import StoredVectors
from tests.analysis.analysis_support import demo_consultation, make_response

TEMPLATE = (
    "I object to the closure of the front counter. The station is a vital part of our community and "
    "must stay open for residents who need to report crime in person."
)


def _analysis(session, response) -> ResponseAnalysis:
    session.expire_all()
    return session.get(ResponseAnalysis, response.id)


def test_a_run_for_one_new_response_loads_only_that_responses_text(session, monkeypatch):
    consultation = demo_consultation(session)
    for i in range(30):
        make_response(session, consultation, f"Keep the counter open, reason number {i} of many.")
    analyse(session, consultation)
    new = make_response(session, consultation, "A new response about the long bus journey to Barking.")
    asked: list[list[int]] = []
    real_load_inputs = run_module.load_inputs

    def recording_load_inputs(session, plan, response_ids):
        asked.append(list(response_ids))
        return real_load_inputs(session, plan, response_ids)

    def no_regrouping(_texts):
        raise AssertionError("a run for one response must not regroup the whole consultation")

    monkeypatch.setattr(run_module, "load_inputs", recording_load_inputs)
    monkeypatch.setattr(run_module, "group_campaigns", no_regrouping)
    summary = analyse(session, consultation, response_ids=[new.id])
    assert summary.analysed == 1
    assert asked == [[new.id]]
    assert _analysis(session, new).stance is not None


def test_a_new_copy_of_a_campaign_letter_joins_the_campaign_in_its_own_run(session):
    consultation = demo_consultation(session)
    for _ in range(3):
        make_response(session, consultation, TEMPLATE)
    analyse(session, consultation)
    campaign = session.scalar(select(Campaign))
    assert campaign.size == 3
    copy = make_response(session, consultation, TEMPLATE.upper())
    summary = analyse(session, consultation, response_ids=[copy.id])
    assert summary.placed_in_campaigns == 1
    session.expire_all()
    assert _analysis(session, copy).campaign_id == campaign.id
    assert session.get(Campaign, campaign.id).size == 4


def test_the_second_copy_of_a_new_letter_starts_a_campaign_and_a_reworded_one_joins_it(session):
    consultation = demo_consultation(session)
    first = make_response(session, consultation, TEMPLATE)
    analyse(session, consultation, response_ids=[first.id])
    assert session.scalar(select(func.count(Campaign.id))) == 0
    second = make_response(session, consultation, TEMPLATE + "  ")
    analyse(session, consultation, response_ids=[second.id])
    campaign = session.scalar(select(Campaign))
    assert campaign is not None and campaign.size == 2
    assert {_analysis(session, first).campaign_id, _analysis(session, second).campaign_id} == {campaign.id}
    reworded = make_response(session, consultation, TEMPLATE.replace("vital", "really vital"))
    analyse(session, consultation, response_ids=[reworded.id])
    assert _analysis(session, reworded).campaign_id == campaign.id
    assert session.get(Campaign, campaign.id).size == 3
    # A full run regroups from scratch and agrees.
    analyse(session, consultation, force=True)
    session.expire_all()
    assert [c.size for c in session.scalars(select(Campaign))] == [3]


def test_a_withdrawn_member_leaves_its_campaign_and_one_left_is_no_campaign(session):
    consultation = demo_consultation(session)
    members = [make_response(session, consultation, TEMPLATE) for _ in range(3)]
    analyse(session, consultation)
    members[0].status = "withdrawn"
    session.commit()
    analyse(session, consultation, response_ids=[members[0].id])
    assert session.scalar(select(Campaign.size)) == 2
    members[1].status = "withdrawn"
    session.commit()
    analyse(session, consultation, response_ids=[members[1].id])
    assert session.scalar(select(func.count(Campaign.id))) == 0
    assert _analysis(session, members[2]).campaign_id is None


def test_stored_vectors_round_trip_exactly_and_a_second_writer_of_the_same_text_is_no_error(session):
    key = text_key("Keep it open.")
    vector = np.linspace(-1, 1, 384).astype(np.float32)
    first, second = StoredVectors(), StoredVectors()
    first[key] = vector
    second[key] = vector
    assert first.save(session) == 1 and second.save(session) == 1
    session.commit()
    assert session.scalar(select(func.count()).select_from(TextEmbedding)) == 1
    reader = StoredVectors()
    assert reader.preload(session, [key, text_key("never stored")]) == 1
    assert np.array_equal(reader[key], vector) and reader.get(text_key("never stored")) is None
    assert (reader.hits, reader.misses) == (1, 1)
    reader.clear()
    assert len(reader) == 0 and reader.save(session) == 0


def test_a_recode_embeds_nothing_again_and_a_new_text_is_embedded_once(session, monkeypatch):
    forget_models()  # models cached by an earlier test hold vectors this test's empty table does not
    consultation = demo_consultation(session)
    texts = ["Two buses to Barking is too far for my mother.", "The budget cuts are a false economy."]
    responses = [make_response(session, consultation, text) for text in texts]
    embedded: list[str] = []
    model = load_model()
    real_encode = model.encode

    def counting_encode(batch, progress=None):
        embedded.extend(batch)
        return real_encode(batch, progress=progress)

    monkeypatch.setattr(model, "encode", counting_encode)
    first = analyse(session, consultation)
    assert first.analysed == 2 and set(texts) <= set(embedded)
    stored = session.scalar(select(func.count()).select_from(TextEmbedding))
    assert stored >= 2 and first.embedded >= 2
    embedded.clear()
    forget_models()  # a fresh process: nothing in memory, everything from the table
    again = analyse(session, consultation, force=True)
    assert again.analysed == 2 and again.embedded == 0 and embedded == []
    copy = make_response(session, consultation, texts[0])
    later = make_response(session, consultation, "Nobody uses the counter at night anyway.")
    analyse(session, consultation, response_ids=[copy.id, later.id])
    assert embedded == ["Nobody uses the counter at night anyway."]
    assert responses[0].id != copy.id
