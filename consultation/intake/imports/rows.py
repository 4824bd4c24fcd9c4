"""Checking an import's header and rows against the consultation's questions, station list and dates.

Rows are checked a column at a time: each column's cells are factorised (a code per row for each distinct cell) and
each distinct cell is checked once, with the same per-value rules online submission uses (`check_answer`,
`check_respondent_field`). A file of 100,000 rows has a few hundred distinct received times and a handful of options
per question, so most of the work is dictionary look-ups. The problems come out row by row, and within a row in the
order of the columns below, whatever the order of the file's columns.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from consultation.clock import describe_london
from consultation.intake.imports.cells import cell_text, parse_boolean, parse_received_at
from consultation.intake.validation import PERSONAL_FIELDS, check_answer, check_respondent_field, rules_for

IMPORT_CHANNELS = ("paper", "email")
REQUIRED_COLUMNS = ("channel", "received_at", "station")
RESPONDENT_COLUMNS = (*PERSONAL_FIELDS, "respondent_type")
OPTIONAL_COLUMNS = (*PERSONAL_FIELDS, "respondent_type", "consent_to_publish")
MULTIPLE_CHOICE_SEPARATOR = re.compile(r"[;|]")


def problem(row: int, column: str, message: str) -> dict:
    return {"row": row, "field": column, "message": message}


@dataclass
class Factor:
    """A column of checked values: `values[codes[i]]` is row i's value; each distinct value is held once, so work per
    value (formatting it for the database) is done once per distinct value."""

    codes: list[int]
    values: list = field(default_factory=list)

    def expanded(self) -> list:
        return list(map(self.values.__getitem__, self.codes))

    def mapped(self, function) -> list:
        """function(value) for every row, computed once per distinct value (only those of these rows: a bad row's
        value, such as a received time that could not be read, is never passed)."""
        used = set(self.codes)
        results = [function(value) if code in used else None for code, value in enumerate(self.values)]
        return list(map(results.__getitem__, self.codes))


@dataclass
class CheckedRows:
    """The valid rows, column by column: `columns` holds one Factor per checked column (channel, received_at,
    station, each question code, the respondent fields, consent_to_publish), in the rows' order."""

    numbers: list[int]
    columns: dict[str, Factor]
    closes_at: datetime
    questions: tuple[str, ...]  # the question codes, in questionnaire order

    def __len__(self) -> int:
        return len(self.numbers)

    def late(self) -> list[bool]:
        return self.columns["received_at"].mapped(lambda received_at: received_at >= self.closes_at)

    def count(self, column: str, value) -> int:
        factor = self.columns[column]
        return sum(factor.codes.count(code) for code, each in enumerate(factor.values) if each == value)


class _Column:
    """One column's check: distinct cells (keyed by type as well, so 1, 1.0 and True stay apart) -> code, and per
    code the checked value and the problem."""

    def __init__(self, check):
        self.check = check
        self.code_of: dict = {}
        self.values: list = []
        self.problems: list[str | None] = []

    def codes(self, cells: list | None, count: int) -> list[int]:
        """The code of each cell (`cells` None: a column the file does not have, `count` empty cells)."""
        if cells is None:
            return [self.codes([None], 1)[0]] * count
        if set(map(type, cells)) <= {str}:
            keys = cells
        else:
            keys = [cell if type(cell) is str else (type(cell).__name__, cell) for cell in cells]
        for key in set(keys).difference(self.code_of):
            value, message = self.check(key if type(key) is str else key[1])
            self.code_of[key] = len(self.values)
            self.values.append(value)
            self.problems.append(message)
        return list(map(self.code_of.__getitem__, keys))


class RowChecker:
    def __init__(self, consultation, header: list, checked_at: datetime):
        self.consultation = consultation
        self.rules = rules_for(consultation)
        self.stations = {station.slug: station.id for station in consultation.stations}
        self.checked_at = checked_at
        self.columns = [cell_text(name).lower() for name in header]
        while self.columns and not self.columns[-1]:
            self.columns.pop()
        checks = {"channel": _check_channel, "received_at": self._check_received_at, "station": self._check_station}
        checks |= {code: _answer_check(rule) for code, rule in self.rules.items()}
        checks |= {name: _respondent_check(name) for name in RESPONDENT_COLUMNS}
        checks["consent_to_publish"] = _check_consent
        self.checks = {name: _Column(check) for name, check in checks.items()}
        self.codes: dict[str, list[int]] = {name: [] for name in checks}
        self.numbers: list[int] = []

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

    def check(self, rows: list[tuple[int, list]]) -> list[dict]:
        """Check a run of (row number, cells), keeping each column's codes for `checked`; the run's problems, row by
        row and within a row in column order."""
        found: dict[int, list[dict]] = {}
        width = len(self.columns)
        for index, (number, cells) in enumerate(rows):
            extra = [cell for cell in cells[width:] if cell_text(cell)] if len(cells) > width else ()
            if extra:
                found[index] = [problem(number, "row", f"{len(extra)} more cells than the header has columns.")]
        for name, column in self.checks.items():
            codes = column.codes(_cells(rows, self.columns.index(name) if name in self.columns else None), len(rows))
            self.codes[name].extend(codes)
            bad = {code for code, message in enumerate(column.problems) if message}
            if bad:
                for index in (index for index, code in enumerate(codes) if code in bad):
                    found.setdefault(index, []).append(problem(rows[index][0], name, column.problems[codes[index]]))
        self.numbers.extend(number for number, _ in rows)
        return [each for index in sorted(found) for each in found[index]]

    def checked(self, bad_rows: set[int]) -> CheckedRows:
        """The rows checked so far less the bad ones (by row number), column by column."""
        keep = [index for index, number in enumerate(self.numbers) if number not in bad_rows] if bad_rows else None
        columns = {}
        for name, column in self.checks.items():
            codes = self.codes[name] if keep is None else [self.codes[name][index] for index in keep]
            columns[name] = Factor(codes, column.values)
        numbers = self.numbers if keep is None else [self.numbers[index] for index in keep]
        return CheckedRows(numbers, columns, self.consultation.closes_at, tuple(self.rules))

    def _check_received_at(self, cell) -> tuple[datetime | None, str | None]:
        received_at, message = parse_received_at(cell)
        return received_at, message or self._date_problem(received_at)

    def _check_station(self, cell) -> tuple[int | None, str | None]:
        slug = cell_text(cell)
        station_id = self.stations.get(slug)
        if station_id is None:
            return None, "Required." if not slug else f"No station {slug!r}."
        return station_id, None

    def _date_problem(self, received_at: datetime) -> str | None:
        """What is wrong with a parsed receipt time: before the consultation opened, or after the check."""
        if received_at < self.consultation.opens_at:
            opened = describe_london(self.consultation.opens_at)
            return f"Before the consultation opened at {opened} (London time)."
        if received_at > self.checked_at:
            return "In the future: check the date."
        return None


def _cells(rows: list[tuple[int, list]], index: int | None) -> list | None:
    """The cells of one column (None where a row is short of it); None when the file has no such column."""
    if index is None:
        return None
    try:
        return [cells[index] for _, cells in rows]
    except IndexError:
        return [cells[index] if index < len(cells) else None for _, cells in rows]


def _check_channel(cell) -> tuple[str, str | None]:
    channel = cell_text(cell).lower()
    if channel in IMPORT_CHANNELS:
        return channel, None
    if channel == "online":
        return channel, "Online responses come through the API or web form; import only paper or email."
    return channel, "Required." if not channel else "Must be paper or email."


def _check_consent(cell) -> tuple[bool | None, str | None]:
    consent = parse_boolean(cell)
    return consent, "Must be yes or no." if consent is None else None


def _answer_check(rule):
    """A cell -> (CheckedAnswer or None when blank, problem): the cell read as the answer checks take it (a list
    of options for multiple choice)."""

    def check(cell):
        if rule.kind == "free_text":
            value = cell if isinstance(cell, str) else cell_text(cell)
        elif rule.kind == "multiple_choice":
            value = [part.strip() for part in MULTIPLE_CHOICE_SEPARATOR.split(cell_text(cell)) if part.strip()]
        else:
            value = cell_text(cell)
        return check_answer(rule, value)

    return check


def _respondent_check(name: str):
    return lambda cell: check_respondent_field(name, cell_text(cell))
