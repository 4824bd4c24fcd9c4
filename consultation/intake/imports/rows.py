"""Checking an import's header and rows against the consultation's questions, station list and dates."""

import re
from dataclasses import dataclass
from datetime import datetime

from consultation.clock import describe_london
from consultation.intake.imports.cells import cell_text, parse_boolean, parse_received_at
from consultation.intake.validation import PERSONAL_FIELDS, check_answers, check_respondent, rules_for

IMPORT_CHANNELS = ("paper", "email")
REQUIRED_COLUMNS = ("channel", "received_at", "station")
OPTIONAL_COLUMNS = (*PERSONAL_FIELDS, "respondent_type", "consent_to_publish")
MULTIPLE_CHOICE_SEPARATOR = re.compile(r"[;|]")


def problem(row: int, column: str, message: str) -> dict:
    return {"row": row, "field": column, "message": message}


@dataclass
class CheckedRow:
    number: int
    station_id: int
    channel: str
    received_at: datetime
    late: bool
    consent_to_publish: bool
    respondent_type: str | None
    personal: dict
    answers: list


class RowChecker:
    def __init__(self, consultation, header: list, checked_at: datetime):
        self.consultation = consultation
        self.rules = rules_for(consultation)
        self.stations = {station.slug: station.id for station in consultation.stations}
        self.checked_at = checked_at
        self.columns = [cell_text(name).lower() for name in header]
        while self.columns and not self.columns[-1]:
            self.columns.pop()

    def header_problems(self) -> list[dict]:
        problems = []
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) | set(self.rules)
        seen: set[str] = set()
        for name in self.columns:
            if not name:
                problems.append(problem(1, name, "A column has no name."))
            elif name in seen:
                problems.append(problem(1, name, "This column appears twice."))
            elif name not in known:
                problems.append(problem(1, name, "Unknown column: not a question code or a respondent field."))
            seen.add(name)
        for name in REQUIRED_COLUMNS:
            if name not in seen:
                problems.append(problem(1, name, "Required column missing."))
        for code, rule in self.rules.items():
            if rule.required and code not in seen:
                problems.append(problem(1, code, "Required question has no column."))
        return problems

    def check(self, number: int, cells: list) -> tuple[CheckedRow | None, list[dict]]:
        problems = []
        extra = [cell for cell in cells[len(self.columns) :] if cell_text(cell)]
        if extra:
            problems.append(problem(number, "row", f"{len(extra)} more cells than the header has columns."))
        values = dict(zip(self.columns, cells, strict=False))

        channel = cell_text(values.get("channel")).lower()
        if message := _channel_problem(channel):
            problems.append(problem(number, "channel", message))

        received_at, message = parse_received_at(values.get("received_at"))
        if message := message or self._date_problem(received_at):
            problems.append(problem(number, "received_at", message))

        station_slug = cell_text(values.get("station"))
        station_id = self.stations.get(station_slug)
        if station_id is None:
            problems.append(
                problem(number, "station", "Required." if not station_slug else f"No station {station_slug!r}.")
            )

        checked_answers, answer_errors = check_answers(self.rules, self._answers(values))
        for key, messages in answer_errors.items():
            problems.append(problem(number, key.partition(".")[2], messages[0]))

        respondent = {name: cell_text(values.get(name)) for name in (*PERSONAL_FIELDS, "respondent_type")}
        checked_respondent, respondent_errors = check_respondent(respondent)
        for key, messages in respondent_errors.items():
            problems.append(problem(number, key.partition(".")[2], messages[0]))

        consent = parse_boolean(values.get("consent_to_publish"))
        if consent is None:
            problems.append(problem(number, "consent_to_publish", "Must be yes or no."))

        if problems:
            return None, problems
        return (
            CheckedRow(
                number=number,
                station_id=station_id,
                channel=channel,
                received_at=received_at,
                late=received_at >= self.consultation.closes_at,
                consent_to_publish=consent,
                respondent_type=checked_respondent.respondent_type,
                personal=checked_respondent.personal,
                answers=checked_answers,
            ),
            [],
        )

    def _date_problem(self, received_at: datetime) -> str | None:
        """What is wrong with a parsed receipt time: before the consultation opened, or after the check."""
        if received_at < self.consultation.opens_at:
            opened = describe_london(self.consultation.opens_at)
            return f"Before the consultation opened at {opened} (London time)."
        if received_at > self.checked_at:
            return "In the future: check the date."
        return None

    def _answers(self, values: dict) -> dict:
        """The row's cells for each question, as the answer checks take them (a list for multiple choice)."""
        answers = {}
        for code, rule in self.rules.items():
            text = values.get(code)
            if rule.kind == "free_text":
                answers[code] = cell_text(text) if not isinstance(text, str) else text
            elif rule.kind == "multiple_choice":
                answers[code] = [
                    part.strip() for part in MULTIPLE_CHOICE_SEPARATOR.split(cell_text(text)) if part.strip()
                ]
            else:
                answers[code] = cell_text(text)
        return answers


def _channel_problem(channel: str) -> str | None:
    if channel in IMPORT_CHANNELS:
        return None
    if channel == "online":
        return "Online responses come through the API or web form; import only paper or email."
    return "Required." if not channel else "Must be paper or email."
