"""The analysis pipeline: stance, themes, flags and campaigns written in bulk, incrementally, never over a reviewer."""

from sqlalchemy import func, select

from consultation.analysis.models import Campaign, CodingEvent, ResponseAnalysis, Theme, ThemeAssignment
from consultation.analysis.service import Inputs, analyse, input_hash, load_inputs, question_plan, signal_size, tuning
from consultation.intake.events import responses_changed
from tests.analysis.analysis_support import demo_consultation, make_response

TWO_BUSES = "Please keep Dagenham open. My mum is 84, has no internet and could never manage two buses to Barking."
TEMPLATE = (
    "I object to the closure of the front counter. The station is a vital part of our community and "
    "must stay open for residents who need to report crime in person."
)


def _analysis(session, response) -> ResponseAnalysis:
    session.expire_all()
    return session.get(ResponseAnalysis, response.id)


def _theme_keys(session, response) -> set[str]:
    return set(
        session.scalars(
            select(Theme.key)
            .join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
            .where(ThemeAssignment.response_id == response.id)
        )
    )


def test_stance_comes_from_the_agreement_answer_when_given_and_from_the_text_otherwise(session):
    consultation = demo_consultation(session)
    answered = make_response(session, consultation, "Fine by me, I never go there.", agreement="strongly_disagree")
    text_only = make_response(session, consultation, TWO_BUSES)
    nothing = make_response(session, consultation)
    summary = analyse(session, consultation)
    assert summary.analysed == 3 and summary.responses == 3
    first = _analysis(session, answered)
    assert (first.stance, first.stance_source, first.stance_confidence) == ("oppose", "agreement", 1.0)
    second = _analysis(session, text_only)
    assert second.stance == "oppose" and second.stance_source == "model" and 0 < second.stance_confidence <= 1
    assert second.model_version == summary.model_version and second.input_hash
    assert (_analysis(session, nothing).stance, _analysis(session, nothing).redacted_text) == (None, None)


def test_themes_are_assigned_from_the_codebook_with_a_confidence(session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TWO_BUSES)
    analyse(session, consultation)
    assignments = session.scalars(select(ThemeAssignment).where(ThemeAssignment.response_id == response.id)).all()
    assert assignments and all(a.source == "machine" and 0 < a.confidence <= 1 for a in assignments)
    assert {"travel_distance", "vulnerable_access"} & _theme_keys(session, response)


def test_short_fields_like_the_postcode_district_are_not_analysed(session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, "Keep the station open for us.", postcode="RM10")
    plan = question_plan(session, consultation)
    assert load_inputs(session, plan, [response.id])[response.id].text == "Keep the station open for us."


def test_personal_data_and_abuse_are_flagged_and_redacted(session):
    consultation = demo_consultation(session)
    response = make_response(
        session, consultation, "My name is Jo Bloggs, call 07700 900123 or jo@example.com. The council are idiots."
    )
    analyse(session, consultation)
    analysis = _analysis(session, response)
    assert analysis.flag_pii is True
    assert "jo@example.com" not in analysis.redacted_text and "07700 900123" not in analysis.redacted_text
    clean = make_response(session, consultation, "Keep it open, it matters to the whole street.")
    analyse(session, consultation)
    assert _analysis(session, clean).flag_pii is False and _analysis(session, clean).flag_abusive is False


def test_a_second_run_skips_unchanged_responses_and_recodes_changed_ones(session):
    consultation = demo_consultation(session)
    unchanged = make_response(session, consultation, TWO_BUSES)
    changed = make_response(session, consultation, "Sensible, Romford is where everyone goes anyway.")
    analyse(session, consultation)
    before = _analysis(session, unchanged).analysed_at
    answer = next(a for a in changed.answers if a.text)
    answer.text = answer.value = "Closing it is a disgrace: knife crime is rising on our estate."
    session.commit()
    summary = analyse(session, consultation)
    assert (summary.analysed, summary.unchanged) == (1, 1)
    assert _analysis(session, unchanged).analysed_at == before
    assert "rising_crime" in _theme_keys(session, changed)
    assert analyse(session, consultation).analysed == 0


def test_input_hash_changes_with_text_agreement_and_model_version():
    item = Inputs(text="Keep it open", agreement_stance=None)
    base = input_hash(item, "v1")
    assert base == input_hash(Inputs("Keep it open", None), "v1")
    assert base != input_hash(item, "v2")
    assert base != input_hash(Inputs("Keep it open", "oppose"), "v1")
    assert base != input_hash(Inputs("Keep it open!", None), "v1")


def test_withdrawn_responses_are_not_analysed_and_lose_their_analysis(session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TWO_BUSES)
    withdrawn = make_response(session, consultation, TWO_BUSES, status="withdrawn")
    analyse(session, consultation)
    assert _analysis(session, withdrawn) is None
    response.status = "withdrawn"
    session.commit()
    summary = analyse(session, consultation)
    assert summary.withdrawn_removed == 1 and summary.responses == 0
    assert _analysis(session, response) is None
    assert session.scalar(select(func.count(ThemeAssignment.id))) == 0


def test_the_machine_never_overwrites_a_reviewer_coded_response(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TWO_BUSES)
    analyse(session, consultation)
    coded = client.put(
        f"/api/v1/responses/{response.reference}/coding",
        json={"stance": "support", "themes": ["funding_cuts"], "note": "Read it twice."},
        headers=auth("reviewer"),
    )
    assert coded.status_code == 200
    summary = analyse(session, consultation, force=True)
    assert summary.reviewer_coded_kept == 1
    analysis = _analysis(session, response)
    assert (analysis.stance, analysis.stance_source, analysis.note) == ("support", "reviewer", "Read it twice.")
    assert _theme_keys(session, response) == {"funding_cuts"}
    sources = set(session.scalars(select(ThemeAssignment.source).where(ThemeAssignment.response_id == response.id)))
    assert sources == {"reviewer"}


def test_an_intake_notice_codes_the_response_and_the_others_waiting_beside_it_in_one_run(session):
    consultation = demo_consultation(session)
    waiting = make_response(session, consultation, TWO_BUSES)  # its notice was lost
    response = make_response(session, consultation, TWO_BUSES)
    responses_changed([response.id])  # the analysis task runs inline in tests (BACKGROUND_JOBS=eager)
    session.expire_all()
    assert _analysis(session, response).stance == "oppose"
    assert _analysis(session, waiting).stance == "oppose"  # batched into the same task


def test_identical_and_near_identical_texts_are_grouped_as_a_campaign(client, auth, session):
    consultation = demo_consultation(session)
    signed = TEMPLATE + " Write to sam@example.com"
    members = [make_response(session, consultation, signed) for _ in range(3)]
    members.append(make_response(session, consultation, signed.replace("vital", "really vital")))
    members.append(make_response(session, consultation, TEMPLATE))
    loner = make_response(session, consultation, TWO_BUSES)
    short = [make_response(session, consultation, "Keep it open.") for _ in range(2)]
    summary = analyse(session, consultation)
    assert summary.campaigns == 1
    campaign = session.scalar(select(Campaign))
    assert campaign.size == 5
    assert {_analysis(session, member).campaign_id for member in members} == {campaign.id}
    assert _analysis(session, loner).campaign_id is None
    assert all(_analysis(session, item).campaign_id is None for item in short)
    listed = client.get("/api/v1/consultations/public-access-demo/campaigns", headers=auth("reviewer"))
    assert listed.status_code == 200
    body = listed.get_json()["campaigns"][0]
    assert body["size"] == 5 and sorted(body["members"]) == sorted(m.reference for m in members)
    assert "sam@example.com" not in body["sample"] and "[email]" in body["sample"]
    forbidden = client.get("/api/v1/consultations/public-access-demo/campaigns", headers=auth("organiser"))
    assert forbidden.status_code == 403


def test_campaigns_are_regrouped_when_members_are_withdrawn(session):
    consultation = demo_consultation(session)
    members = [make_response(session, consultation, TEMPLATE) for _ in range(2)]
    analyse(session, consultation)
    assert session.scalar(select(func.count(Campaign.id))) == 1
    members[0].status = "withdrawn"
    session.commit()
    analyse(session, consultation)
    assert session.scalar(select(func.count(Campaign.id))) == 0
    assert _analysis(session, members[1]).campaign_id is None


def test_new_reviewer_codings_retrain_the_models_and_the_next_run_recodes(client, auth, session):
    consultation = demo_consultation(session)
    responses = [make_response(session, consultation, f"Parking is awful near the station, row {i}.") for i in range(4)]
    first = analyse(session, consultation)
    for response in responses[:2]:
        client.put(
            f"/api/v1/responses/{response.reference}/coding",
            json={"stance": "neutral", "themes": ["usage_figures"]},
            headers=auth("reviewer"),
        )
    second = analyse(session, consultation)
    assert second.model_version != first.model_version
    assert second.analysed == 4 and second.reviewer_examples == 2
    assert analyse(session, consultation).analysed == 0


def test_agreement_answers_train_the_stance_model_in_growing_steps(session):
    assert [signal_size(n) for n in (0, 19, 20, 29, 30, 45, 100, 10**6)] == [0, 0, 20, 20, 30, 45, 67, 5000]
    consultation = demo_consultation(session)
    for index in range(10):
        make_response(session, consultation, f"Whatever you decide {index}", agreement="agree", commit=False)
        make_response(session, consultation, f"Not bothered either way {index}", agreement="disagree", commit=False)
    session.commit()
    summary = analyse(session, consultation)
    assert summary.agreement_examples == 20


def test_machine_output_is_kept_as_history_only_when_it_changes(session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TWO_BUSES)
    analyse(session, consultation)
    analyse(session, consultation, force=True)
    events = session.scalars(select(CodingEvent).where(CodingEvent.response_id == response.id)).all()
    assert len(events) == 1 and events[0].source == "machine" and events[0].user_id is None
    assert events[0].stance == "oppose" and events[0].model_version


def test_a_big_run_codes_in_worker_processes_with_the_same_results(session, monkeypatch):
    consultation = demo_consultation(session)
    texts = [TWO_BUSES, "Sensible, Romford is where everyone goes.", "Knife crime is rising, keep it open."]
    responses = [make_response(session, consultation, f"{texts[i % 3]} ({i})", commit=False) for i in range(12)]
    session.commit()
    analyse(session, consultation)
    serial = {r.id: (_analysis(session, r).stance, frozenset(_theme_keys(session, r))) for r in responses}
    monkeypatch.setattr(tuning, "PARALLEL_MIN_TEXTS", 1)
    monkeypatch.setattr(tuning, "BATCH_SIZE", 5)
    summary = analyse(session, consultation, force=True, workers=2)
    assert summary.parallel_workers == 2 and summary.analysed == 12
    parallel = {r.id: (_analysis(session, r).stance, frozenset(_theme_keys(session, r))) for r in responses}
    assert parallel == serial


def test_the_analyse_command_reports_what_it_did(runner, session):
    consultation = demo_consultation(session)
    make_response(session, consultation, TWO_BUSES)
    result = runner.invoke(args=["analyse", "--consultation", "public-access-demo"])
    assert result.exit_code == 0, result.output
    assert '"analysed": 1' in result.output
    again = runner.invoke(args=["analyse", "--consultation", "public-access-demo"])
    assert '"analysed": 0' in again.output and '"unchanged": 1' in again.output
    missing = runner.invoke(args=["analyse", "--consultation", "nope"])
    assert missing.exit_code != 0 and "No consultation 'nope'" in missing.output


def test_reviewers_can_run_the_analysis_through_the_api(client, auth, session):
    consultation = demo_consultation(session)
    make_response(session, consultation, TWO_BUSES)
    response = client.post("/api/v1/consultations/public-access-demo/analysis/run", headers=auth("reviewer"))
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued" and response.get_json()["result"] is None
    assert response.get_json()["task_id"]
    session.expire_all()
    assert session.scalar(select(func.count(ResponseAnalysis.response_id))) == 1
    refused = client.post("/api/v1/consultations/public-access-demo/analysis/run", headers=auth("organiser"))
    assert refused.status_code == 403


def test_a_consultation_without_a_codebook_still_gets_stances_flags_and_campaigns(demo, session):
    from consultation.catalog.demo import DEMO_SLUG
    from consultation.catalog.models import Consultation

    consultation = session.scalar(select(Consultation).where(Consultation.slug == DEMO_SLUG))
    response = make_response(session, consultation, TWO_BUSES + " Write to me at ann@example.com.")
    summary = analyse(session, consultation)
    assert summary.analysed == 1
    analysis = _analysis(session, response)
    assert analysis.stance == "oppose" and analysis.flag_pii is True
    assert session.scalar(select(func.count(ThemeAssignment.id))) == 0
