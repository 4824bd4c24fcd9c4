"""Checking answers against a questionnaire and a respondent record against its formats.

Shared by online submission, amendment and the paper/email import, so every channel obeys the same rules.
Error keys follow the request's shape: "answers.<question code>" and "respondent.<field>".
"""

import re
from dataclasses import dataclass

from consultation.catalog import postcodes
from consultation.catalog.models import Consultation, Question
from consultation.input_guards import NUL_MESSAGE
from consultation.intake.models import RESPONDENT_TYPES

DEFAULT_FREE_TEXT_LIMIT = 5000
RESPONDENT_FIELDS = ("name", "email", "postcode", "address", "respondent_type")
PERSONAL_FIELDS = ("name", "email", "postcode", "address")
FIELD_LIMITS = {"name": 200, "email": 320, "address": 2000}

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class QuestionRule:
    id: int
    code: str
    kind: str
    required: bool
    options: tuple[str, ...]
    max_length: int
    answer_format: str | None = None

    @classmethod
    def from_question(cls, question: Question) -> "QuestionRule":
        return cls(
            id=question.id,
            code=question.code,
            kind=question.kind,
            required=question.required,
            options=tuple(question.option_values),
            max_length=question.max_length or DEFAULT_FREE_TEXT_LIMIT,
            answer_format=question.answer_format,
        )


def rules_for(consultation: Consultation) -> dict[str, QuestionRule]:
    """The questionnaire's rules keyed by question code, in questionnaire order."""
    if consultation.questionnaire is None:
        return {}
    return {question.code: QuestionRule.from_question(question) for question in consultation.questionnaire.questions}


@dataclass(frozen=True)
class CheckedAnswer:
    question_id: int
    code: str
    value: object | None  # a string for single choice and scales, a list for multiple choice
    text: str | None  # free text

    @property
    def shown(self):
        return self.text if self.text is not None else self.value


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def _check_one(rule: QuestionRule, value) -> tuple[CheckedAnswer | None, str | None]:
    if rule.kind == "free_text":
        if not isinstance(value, str):
            return None, "Must be text."
        if "\x00" in value:
            return None, NUL_MESSAGE
        text = value.strip()
        if rule.answer_format == "postcode_district" and text:
            # The format first: it says what is wanted, where a length limit would only say what is wrong.
            text = postcodes.normalise_district(text)
            if text is None:
                return None, postcodes.BAD_DISTRICT
        if len(text) > rule.max_length:
            return None, f"Must be at most {rule.max_length} characters (this has {len(text)})."
        return CheckedAnswer(rule.id, rule.code, None, text), None
    if rule.kind == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return None, "Must be a list of options."
        unknown = [item for item in value if item not in rule.options]
        if unknown:
            return None, f"Not an option: {', '.join(map(repr, unknown))}. Choose from: {', '.join(rule.options)}."
        if len(set(value)) != len(value):
            return None, "Each option may be chosen once."
        chosen = [option for option in rule.options if option in value]
        return CheckedAnswer(rule.id, rule.code, chosen, None), None
    # single_choice and agreement_scale: exactly one of the options (a scale's range is its options)
    if not isinstance(value, str) or value not in rule.options:
        return None, f"Must be one of: {', '.join(rule.options)}."
    return CheckedAnswer(rule.id, rule.code, value, None), None


def check_answers(rules: dict[str, QuestionRule], answers) -> tuple[list[CheckedAnswer], dict[str, list[str]]]:
    """Answers keyed by question code -> the answers to store, and errors keyed "answers.<code>"."""
    if not isinstance(answers, dict):
        return [], {"answers": ["Must be an object keyed by question code."]}
    errors: dict[str, list[str]] = {}
    checked: list[CheckedAnswer] = []
    for code in answers:
        if code not in rules:
            errors[f"answers.{code}"] = ["Unknown question code for this consultation."]
    for code, rule in rules.items():
        answer, problem = check_answer(rule, answers.get(code))
        if problem:
            errors[f"answers.{code}"] = [problem]
        elif answer is not None:
            checked.append(answer)
    return checked, errors


def check_answer(rule: QuestionRule, value) -> tuple[CheckedAnswer | None, str | None]:
    """One question's answer -> (the answer to store or None when left blank, the problem or None)."""
    if _is_blank(value):
        return None, "This question is required." if rule.required else None
    return _check_one(rule, value)


@dataclass(frozen=True)
class CheckedRespondent:
    personal: dict  # name, email, postcode, address: only the ones given
    respondent_type: str | None


def check_respondent(respondent) -> tuple[CheckedRespondent, dict[str, list[str]]]:
    """A respondent record -> the cleaned record and errors keyed "respondent.<field>"."""
    if respondent is None:
        return CheckedRespondent({}, None), {}
    if not isinstance(respondent, dict):
        return CheckedRespondent({}, None), {"respondent": ["Must be an object."]}
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for field, value in respondent.items():
        if field not in RESPONDENT_FIELDS:
            errors[f"respondent.{field}"] = ["Unknown field."]
        elif value is not None and not isinstance(value, str):
            errors[f"respondent.{field}"] = ["Must be text."]
    for field in RESPONDENT_FIELDS:
        value = respondent.get(field)
        if f"respondent.{field}" in errors or value is None:
            continue
        checked, problem = check_respondent_field(field, value)
        if problem:
            errors[f"respondent.{field}"] = [problem]
        elif checked is not None:
            cleaned[field] = checked
    respondent_type = cleaned.pop("respondent_type", None)
    return CheckedRespondent(cleaned, respondent_type), errors


def check_respondent_field(field: str, value: str) -> tuple[str | None, str | None]:
    """One field of a respondent record (text) -> (its cleaned value or None when blank, the problem or None)."""
    if "\x00" in value:
        return None, NUL_MESSAGE
    value = value.strip()
    if not value:
        return None, None
    if field == "email" and not EMAIL.match(value):
        return None, "Not a valid email address."
    limit = FIELD_LIMITS.get(field)
    if limit is not None and len(value) > limit:
        return None, f"Must be at most {limit} characters."
    if field == "postcode":
        # Through the ONS Postcode Directory, as petitions do: a postcode it does not know is refused.
        if postcodes.normalise_postcode(value) is None:
            return None, postcodes.BAD_POSTCODE
        place = postcodes.lookup(value)
        return (None, postcodes.UNKNOWN_POSTCODE) if place is None else (place.postcode, None)
    if field == "respondent_type":
        value = re.sub(r"[\s-]+", "_", value.lower())
        if value not in RESPONDENT_TYPES:
            return None, f"Must be one of: {', '.join(RESPONDENT_TYPES)}."
    return value, None
