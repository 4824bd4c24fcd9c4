"""The coding queue claims from a ranking worked out in the background, or from the quick order while none is
ready; claiming never works out the ranking itself (next_to_code is made to fail here to prove it)."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from consultation.accounts.service import create_user
from consultation.analysis import tasks
from consultation.analysis.models import CodingClaim, CodingRanking, ResponseAnalysis
from consultation.analysis.service import analyse, claim_next, code_response, ranking
from consultation.catalog.demo import seed_boroughs
from consultation.extensions import db
from tests.analysis.analysis_support import demo_consultation, make_response

# The module, not the function the service package re-exports under the same name.
next_to_code_module = importlib.import_module("consultation.analysis.service.next_to_code")
SLUG = "public-access-demo"
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TEXTS = [
    "Two buses to Barking is far too far for my mum who is 84.",
    "Cutting the police budget again will make crime worse round here.",
    "I am not sure, maybe it is fine, maybe not, I rarely go there.",
    "The counter helped me report a burglary last year, keep it.",
    "Online reporting works well for me, so this seems sensible.",
]


class RankingRefused(AssertionError):
    pass


def _refuse(*args, **kwargs):
    raise RankingRefused("the full ranking ran where it must not")


@pytest.fixture
def world(session):
    consultation = demo_consultation(session)
    seed_boroughs(session)
    responses = [make_response(session, consultation, f"{TEXTS[i % 5]} Number {i}.") for i in range(10)]
    ilford = make_response(session, consultation, "Ilford needs its counter.", station_slug="ilford")
    analyse(session, consultation)
    users = {
        name: create_user(session, None, name=name, role=role, borough_codes=codes, email=f"{name}@example.org")
        for name, role, codes in (
            ("rae", "reviewer", ()),
            ("ada", "admin", ()),
            ("olu", "organiser", ("E09000002",)),
        )
    }
    session.commit()
    return {"consultation": consultation, "responses": responses, "ilford": ilford, **users}


@pytest.fixture
def no_ranking_here(monkeypatch):
    """next_to_code fails wherever it is reached (its engine ranking too), and the ranking task is recorded rather
    than run, as a worker would take it: what is left is exactly what the request itself runs."""
    monkeypatch.setattr(ranking, "next_to_code", _refuse)
    monkeypatch.setattr(next_to_code_module, "rank_for_coding", _refuse)
    monkeypatch.setattr(next_to_code_module, "get_models", _refuse)
    sent = []
    monkeypatch.setattr(tasks.rank_coding_queue, "apply_async", lambda args, **options: sent.append(args))
    return sent


def _confidences(session, values: dict) -> None:
    for response, confidence in values.items():
        session.get(ResponseAnalysis, response.id).stance_confidence = confidence
    session.commit()


def test_claim_next_never_ranks_in_the_request_and_asks_the_background_for_a_ranking(session, world, no_ranking_here):
    responses = world["responses"]
    _confidences(session, {response: 0.9 for response in [*responses, world["ilford"]]})
    _confidences(session, {responses[3]: 0.34, responses[6]: 0.35})
    claimed = claim_next(session, world["rae"], SLUG, AT)
    assert claimed["response_id"] == responses[3].id and claimed["order"] == "quick"
    assert "34% sure" in claimed["why"] and claimed["ranked_at"] is None
    assert session.get(CodingClaim, responses[3].id).user_id == world["rae"].id
    assert no_ranking_here == [(world["consultation"].id,)]
    row = session.get(CodingRanking, world["consultation"].id)
    assert row.state == "queued" and row.computed_at is None
    second = claim_next(session, world["ada"], SLUG, AT)
    assert second["response_id"] == responses[6].id  # the next least sure; the first is held
    assert len(no_ranking_here) == 1  # a job is on its way: not asked for twice


def test_once_the_background_has_ranked_the_queue_claims_from_the_ranking(session, world, no_ranking_here, monkeypatch):
    claim_next(session, world["rae"], SLUG, AT)
    consultation_id = world["consultation"].id
    monkeypatch.undo()  # the worker's side: the real next_to_code
    assert tasks.rank_coding_queue(consultation_id) == "done", session.get(CodingRanking, consultation_id).error
    row = session.get(CodingRanking, consultation_id)
    stored = [item["response_id"] for item in row.items]
    everyone = {response.id for response in [*world["responses"], world["ilford"]]}
    assert row.state == "done" and row.computed_at is not None
    assert len(stored) >= 5 and set(stored) <= everyone and row.pool >= len(stored)
    monkeypatch.setattr(ranking, "next_to_code", _refuse)
    monkeypatch.setattr(next_to_code_module, "rank_for_coding", _refuse)
    claimed = claim_next(session, world["ada"], SLUG, AT + timedelta(minutes=1))
    held_by_rae = session.scalar(db.select(CodingClaim.response_id).where(CodingClaim.user_id == world["rae"].id))
    expected = next(response_id for response_id in stored if response_id != held_by_rae)
    assert claimed["order"] == "ranking" and claimed["response_id"] == expected
    assert claimed["ranked_at"] == row.computed_at and claimed["why"] == row.items[stored.index(expected)]["why"]


def test_stored_picks_skip_what_was_coded_withdrawn_held_or_out_of_reach(session, world):
    responses, ilford = world["responses"], world["ilford"]
    items = [{"response_id": r.id, "reference": r.reference, "why": "w"} for r in [ilford, *responses[:4]]]
    row = CodingRanking(
        consultation_id=world["consultation"].id, state="done", requested_at=AT, computed_at=AT, items=items, pool=5
    )
    session.add(row)
    session.commit()
    code_response(session, world["ada"], responses[0].reference, {"stance": "oppose", "themes": []})
    responses[1].status = "withdrawn"
    session.add(
        CodingClaim(
            response_id=responses[2].id, user_id=world["ada"].id, claimed_at=AT, expires_at=AT + timedelta(minutes=10)
        )
    )
    session.commit()
    free = [pick["response_id"] for pick in ranking.stored_picks(session, world["rae"], row, AT)]
    assert free == [ilford.id, responses[3].id]
    organiser = [pick["response_id"] for pick in ranking.stored_picks(session, world["olu"], row, AT)]
    assert organiser == [responses[3].id]  # Ilford is Redbridge's
    own_claim = [pick["response_id"] for pick in ranking.stored_picks(session, world["ada"], row, AT)]
    assert responses[2].id in own_claim


def test_the_quick_order_puts_the_least_sure_first_then_what_the_machine_has_not_coded(session, world):
    responses = world["responses"]
    _confidences(session, {response: 0.9 for response in [*responses, world["ilford"]]})
    _confidences(session, {responses[5]: 0.41, responses[2]: 0.55})
    newest = make_response(session, world["consultation"], "Arrived after the analysis ran.")
    picks = ranking.quick_order(session, world["rae"], world["consultation"].id, AT, 20)
    ids = [pick["response_id"] for pick in picks]
    assert ids[:2] == [responses[5].id, responses[2].id]
    assert ids[-1] == newest.id and "no stance yet" in picks[-1]["why"]
    assert world["ilford"].id not in [
        p["response_id"] for p in ranking.quick_order(session, world["olu"], world["consultation"].id, AT, 20)
    ]


@pytest.mark.parametrize(
    ("state", "requested_ago", "computed_ago", "items", "free", "due"),
    [
        ("queued", 1, None, 0, 0, False),  # on its way
        ("running", 11, None, 0, 0, True),  # lost with its worker
        ("failed", 1, None, 0, 0, False),  # the quick order serves a while
        ("failed", 6, None, 0, 0, True),
        ("done", 1, 1, 60, 60, False),
        ("done", 1, 1, 60, 14, True),  # nearly used up
        ("done", 1, 1, 3, 3, False),  # only three left to rank at all
        ("done", 1, 21, 60, 60, True),  # old
    ],
)
def test_a_new_ranking_is_due_when_none_is_coming_and_the_stored_one_is_old_or_used_up(
    state, requested_ago, computed_ago, items, free, due
):
    row = CodingRanking(
        state=state,
        requested_at=AT - timedelta(minutes=requested_ago),
        computed_at=AT - timedelta(minutes=computed_ago) if computed_ago is not None else None,
        items=[{}] * items,
    )
    assert ranking.ranking_due(row, free, AT) is due
    assert ranking.ranking_due(None, 0, AT) is True


def test_a_failed_ranking_is_recorded_and_the_quick_order_serves_meanwhile(session, world, monkeypatch):
    monkeypatch.setattr(ranking, "next_to_code", _refuse)
    claimed = claim_next(session, world["rae"], SLUG, AT)  # the eager task runs at once, and fails
    assert claimed["order"] == "quick"
    row = session.get(CodingRanking, world["consultation"].id)
    assert row.state == "failed" and "RankingRefused" in row.error
    assert claim_next(session, world["ada"], SLUG, AT)["order"] == "quick"


def test_of_two_requests_judged_on_one_reading_only_one_sends(session, world, no_ranking_here):
    consultation_id = world["consultation"].id
    assert ranking.request_ranking(session, consultation_id, AT, None) is True
    assert ranking.request_ranking(session, consultation_id, AT, None) is False  # the row is there already
    assert ranking.request_ranking(session, consultation_id, AT + timedelta(minutes=11), AT) is True
    assert ranking.request_ranking(session, consultation_id, AT + timedelta(minutes=12), AT) is False  # read before
    assert len(no_ranking_here) == 2
    assert session.get(CodingRanking, consultation_id).requested_at == AT + timedelta(minutes=11)


def test_a_claim_sends_a_few_small_queries_however_many_responses_wait(session, world, no_ranking_here, count_queries):
    claim_next(session, world["rae"], SLUG, AT)  # the ranking is now asked for: later claims only read
    session.expire_all()
    before = count_queries(lambda: claim_next(session, world["rae"], SLUG, AT))
    for index in range(15):
        make_response(session, world["consultation"], f"Another view on the counter, number {index}.")
    session.expire_all()
    after = count_queries(lambda: claim_next(session, world["rae"], SLUG, AT))
    assert after == before <= 12, count_queries.statements
