"""The figures the coding queue shows: a reviewer's codings today (London's day) and in all, and the machine's
stance agreement with the reviewers, the same comparison as the full agreement figures."""

from datetime import UTC, datetime

from consultation.accounts.service import create_user
from consultation.analysis.models import ResponseAnalysis
from consultation.analysis.service import agreement, analyse, code_response, coding_progress, stance_agreement_figure
from consultation.analysis.service.progress import london_day_start
from tests.analysis.analysis_support import demo_consultation, make_response

SLUG = "public-access-demo"


def test_today_starts_at_midnight_in_london_in_summer_and_in_winter():
    assert london_day_start(datetime(2026, 7, 2, 10, 0, tzinfo=UTC)) == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert london_day_start(datetime(2026, 7, 1, 22, 59, tzinfo=UTC)) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert london_day_start(datetime(2026, 12, 2, 0, 30, tzinfo=UTC)) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def test_a_reviewers_codings_today_and_in_all(session):
    consultation = demo_consultation(session)
    rae = create_user(session, None, name="Rae", role="reviewer", email="rae@example.org")
    ada = create_user(session, None, name="Ada", role="admin", email="ada@example.org")
    made = [make_response(session, consultation, f"Keep the counter open, reason {i}.") for i in range(5)]
    session.commit()
    coded_at = {
        made[0]: (rae, datetime(2026, 7, 1, 22, 30, tzinfo=UTC)),  # 23:30 BST on the 1st: yesterday
        made[1]: (rae, datetime(2026, 7, 1, 23, 30, tzinfo=UTC)),  # 00:30 BST on the 2nd: today
        made[2]: (rae, datetime(2026, 7, 2, 9, 0, tzinfo=UTC)),
        made[3]: (ada, datetime(2026, 7, 2, 9, 5, tzinfo=UTC)),
    }
    for response, (user, moment) in coded_at.items():
        code_response(session, user, response.reference, {"stance": "oppose", "themes": []})
        session.get(ResponseAnalysis, response.id).coded_at = moment
    code_response(session, rae, made[2].reference, {"stance": "support", "themes": []})  # saved twice: once
    session.get(ResponseAnalysis, made[2].id).coded_at = datetime(2026, 7, 2, 9, 10, tzinfo=UTC)
    session.commit()
    figures = coding_progress(session, rae, SLUG, datetime(2026, 7, 2, 10, 0, tzinfo=UTC))
    assert (figures["today"], figures["total"], figures["everyone"]) == (2, 3, 4)
    assert figures["since"] == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert coding_progress(session, ada, SLUG, datetime(2026, 7, 3, 10, 0, tzinfo=UTC))["today"] == 0


def test_the_queues_agreement_figure_is_the_full_figures_stance_accuracy(session):
    consultation = demo_consultation(session)
    rae = create_user(session, None, name="Rae", role="reviewer", email="rae@example.org")
    agree = make_response(session, consultation, "Keep it open, two buses to Barking is too far.", agreement="disagree")
    differ = make_response(session, consultation, "Sensible plan, everyone reports online now.", agreement="agree")
    make_response(session, consultation, "Not coded by anyone.")
    analyse(session, consultation)
    assert stance_agreement_figure(session, SLUG)["n"] == 0
    code_response(session, rae, agree.reference, {"stance": "oppose", "themes": []})
    code_response(session, rae, differ.reference, {"stance": "oppose", "themes": []})
    late = make_response(session, consultation, "Coded before the machine saw it.")
    code_response(session, rae, late.reference, {"stance": "oppose", "themes": []})
    figure = stance_agreement_figure(session, SLUG)
    full = agreement(session, SLUG)["stance"]
    assert (figure["n"], figure["agreed"], figure["accuracy"]) == (2, 1, 0.5)
    assert figure["accuracy"] == full["accuracy"] and figure["accuracy_interval"] == full["accuracy_interval"]
