"""What the pipeline reads for each response: its analysable text and its agreement answer, mapped to a stance.

Analysable text is a response's free-text answers (fields shorter than `MIN_TEXT_FIELD_LENGTH`, like a postcode
district, are left out), joined in question order. The agreement answer, mapped through the question's
`stance_mapping`, gives the stance where it was answered; the stance model covers the rest.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.service import tuning
from consultation.catalog.models import Consultation, Question, Questionnaire
from consultation.intake.models import Answer


@dataclass(frozen=True)
class QuestionPlan:
    """Which questions feed the analysis: free-text fields long enough to analyse, and agreement scales."""

    text_question_ids: tuple[int, ...]
    agreement: tuple[tuple[int, dict], ...]

    @property
    def question_ids(self) -> list[int]:
        return list(self.text_question_ids) + [question_id for question_id, _ in self.agreement]


def question_plan(session: Session, consultation: Consultation) -> QuestionPlan:
    questions = session.scalars(
        select(Question)
        .join(Questionnaire, Questionnaire.id == Question.questionnaire_id)
        .where(Questionnaire.consultation_id == consultation.id)
        .order_by(Question.position)
    ).all()
    texts = tuple(
        question.id
        for question in questions
        if question.kind == "free_text"
        and (question.max_length is None or question.max_length >= tuning.MIN_TEXT_FIELD_LENGTH)
    )
    agreement = tuple(
        (question.id, dict(question.stance_mapping))
        for question in questions
        if question.kind == "agreement_scale" and question.stance_mapping
    )
    return QuestionPlan(text_question_ids=texts, agreement=agreement)


@dataclass(frozen=True)
class Inputs:
    text: str
    agreement_stance: str | None


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _answer_text(text: str | None, value) -> str:
    if text:
        return text
    return value if isinstance(value, str) else ""


def load_inputs(session: Session, plan: QuestionPlan, response_ids: list[int]) -> dict[int, Inputs]:
    """Analysable text and mapped agreement stance for each response id (one query per chunk of ids)."""
    texts: dict[int, dict[int, str]] = {}
    agreement: dict[int, dict[int, object]] = {}
    question_ids = plan.question_ids
    text_ids = set(plan.text_question_ids)
    if question_ids:
        for chunk in chunks(response_ids, tuning.BATCH_SIZE):
            rows = session.execute(
                select(Answer.response_id, Answer.question_id, Answer.text, Answer.value).where(
                    Answer.response_id.in_(chunk), Answer.question_id.in_(question_ids)
                )
            )
            for response_id, question_id, text, value in rows:
                if question_id in text_ids:
                    texts.setdefault(response_id, {})[question_id] = _answer_text(text, value)
                else:
                    agreement.setdefault(response_id, {})[question_id] = value
    result = {}
    for response_id in response_ids:
        parts = texts.get(response_id, {})
        text = "\n\n".join(
            parts[question_id].strip()
            for question_id in plan.text_question_ids
            if (parts.get(question_id) or "").strip()
        )
        stance = None
        answered = agreement.get(response_id, {})
        for question_id, mapping in plan.agreement:
            value = answered.get(question_id)
            if isinstance(value, str) and value in mapping:
                stance = mapping[value]
                break
        result[response_id] = Inputs(text=text, agreement_stance=stance)
    return result


def input_hash(inputs: Inputs, model_version: str) -> str:
    payload = "\x1f".join((model_version, inputs.agreement_stance or "", inputs.text))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
