"""What the exports hold: the response and aggregate tables, read in constant memory (writers.py writes them).

Responses are read in keyset-paginated batches (`id > last id ORDER BY id LIMIT batch_size`), with one query for
each batch's answers and one for its themes, so memory holds one batch whatever the size of the consultation.
Personal data (the respondent's name, email and postcode, and the raw free text) is left out unless a reviewer or
admin asks for it; that request is audited. Spreadsheet cells that would start a formula are neutralised.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.permissions import PERSONAL_DATA_ROLES, has_role
from consultation.accounts.service import record_audit
from consultation.analysis.models import STANCES, Campaign, ResponseAnalysis, Theme, ThemeAssignment
from consultation.analysis.service import redact
from consultation.boroughs import Borough
from consultation.catalog.models import Consultation, Station
from consultation.clock import iso_utc
from consultation.errors import Forbidden
from consultation.intake.models import CHANNELS, RESPONDENT_TYPES, Answer, Respondent, Response
from consultation.reporting.service.aggregates import compute_aggregates, resolve_scope
from consultation.reporting.service.writers import TableExport

BATCH_SIZE = 5000
PERSONAL_COLUMNS = ("respondent_name", "respondent_email", "respondent_postcode")


class QuestionColumn(NamedTuple):
    id: int
    code: str
    kind: str


def _question_value(question: QuestionColumn, answer: tuple | None):
    """An answer (value, text) as one cell: multiple choices joined with '; '."""
    if answer is None:
        return None
    value, text = answer
    if question.kind == "free_text":
        return text if text is not None else value
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return value


def _fallback_redaction(texts: list[str]) -> str | None:
    """Responses not analysed yet have no stored redacted text: redact on the way out rather than leak."""
    if not texts:
        return None
    return redact("\n\n".join(texts))


def response_export(
    session: Session,
    consultation: Consultation,
    *,
    user: User | None = None,
    include_late: bool = False,
    include_withdrawn: bool = False,
    include_personal_data: bool = False,
    borough_code: str | None = None,
    station_slug: str | None = None,
    batch_size: int = BATCH_SIZE,
    extra_clauses: list[ColumnElement] | None = None,
) -> TableExport:
    """One row per response; personal data only for a reviewer or admin who asks (and the asking is audited)."""
    scope = resolve_scope(session, consultation, user, borough_code=borough_code, station_slug=station_slug)
    if include_personal_data:
        _audit_personal_data_export(session, consultation, user, borough_code, station_slug, include_late)
    # Plain values only from here on: the rows are read later, while the response streams, in a session of
    # their own, where the request's ORM objects would be detached.
    consultation_id, name = consultation.id, f"{consultation.slug}-responses"
    questions = [
        QuestionColumn(question.id, question.code, question.kind)
        for question in (consultation.questionnaire.questions if consultation.questionnaire else [])
    ]
    choice_questions = [question for question in questions if question.kind != "free_text"]
    text_questions = [question for question in questions if question.kind == "free_text"]
    header = [*HEADER_BEFORE_CHOICES, *(question.code for question in choice_questions), *HEADER_AFTER_CHOICES]
    columns = list(RESPONSE_COLUMNS)
    if include_personal_data:
        header += [question.code for question in text_questions] + list(PERSONAL_COLUMNS)
        columns += PERSONAL_DATA_COLUMNS

    clauses = [Response.consultation_id == consultation_id]
    if not include_withdrawn:
        clauses.append(Response.status == "active")
    if not include_late:
        clauses.append(Response.late.is_(False))
    if scope.restricted:
        clauses.append(Response.station_id.in_(scope.station_ids or [-1]))
    clauses += extra_clauses or []  # the response explorer's filters, so its export holds what it counted

    rows = _ResponseRows(session, columns, clauses, choice_questions, text_questions, include_personal_data, batch_size)
    return TableExport(name=name, header=header, batches=rows.batches, count=rows.count)


def _audit_personal_data_export(session, consultation, user, borough_code, station_slug, include_late) -> None:
    if not has_role(user, PERSONAL_DATA_ROLES):
        raise Forbidden("Only reviewers and admins may export personal data.")
    record_audit(
        session,
        user,
        "export_personal_data",
        "consultation",
        consultation.slug,
        {"borough": borough_code, "station": station_slug, "include_late": include_late},
    )
    session.commit()


HEADER_BEFORE_CHOICES = (
    "reference",
    "station",
    "station_name",
    "borough_code",
    "borough_name",
    "channel",
    "received_at",
    "late",
    "status",
    "respondent_type",
)
HEADER_AFTER_CHOICES = ("stance", "stance_source", "themes", "campaign", "flags", "text_redacted")
RESPONSE_COLUMNS = (
    Response.id,
    Response.reference,
    Station.slug.label("station_slug"),
    Station.name.label("station_name"),
    Borough.gss_code.label("borough_code"),
    Borough.name.label("borough_name"),
    Response.channel,
    Response.received_at,
    Response.late,
    Response.status,
    Response.respondent_type,
    ResponseAnalysis.stance,
    ResponseAnalysis.stance_source,
    Campaign.key.label("campaign_key"),
    ResponseAnalysis.flag_pii,
    ResponseAnalysis.flag_abusive,
    ResponseAnalysis.redacted_text,
)
PERSONAL_DATA_COLUMNS = [
    Respondent.name.label("respondent_name"),
    Respondent.email.label("respondent_email"),
    Respondent.postcode.label("respondent_postcode"),
]


ANSWER_COLUMNS = (Answer.response_id, Answer.question_id, Answer.value, Answer.text)


@dataclass
class _ResponseRows:
    """How an export reads its rows: a page of responses by id, then their answers and themes in two queries."""

    session: Session
    columns: list
    clauses: list
    choice_questions: list
    text_questions: list
    include_personal_data: bool
    batch_size: int

    @property
    def wanted_questions(self) -> list[int]:
        wanted = [question.id for question in self.choice_questions]
        if self.include_personal_data:
            wanted += [question.id for question in self.text_questions]
        return wanted

    def page(self, after_id: int):
        statement = (
            select(*self.columns)
            .select_from(Response)
            .join(Station, Station.id == Response.station_id)
            .join(Borough, Borough.id == Station.borough_id)
            .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
            .outerjoin(Campaign, Campaign.id == ResponseAnalysis.campaign_id)
        )
        if self.include_personal_data:
            statement = statement.outerjoin(Respondent, Respondent.id == Response.respondent_id)
        # Core rows through the self.session's connection: no ORM objects, so nothing accumulates batch after batch.
        statement = statement.where(*self.clauses, Response.id > after_id).order_by(Response.id)
        return self.session.connection().execute(statement.limit(self.batch_size)).all()

    @staticmethod
    def in_batch(column, rows) -> ColumnElement:
        """The batch's responses: an id range when the batch is dense (cheap on the index; the few responses of
        other stations or consultations in it match no row and go unused), else the ids themselves (a filtered
        export, e.g. one station, is sparse and a range would read every other station's rows too)."""
        first_id, last_id = rows[0].id, rows[-1].id
        if last_id - first_id < 2 * len(rows):
            return column.between(first_id, last_id)
        return column.in_([row.id for row in rows])

    def batch_details(self, rows) -> tuple[dict, dict]:
        connection = self.session.connection()
        answers: dict[int, dict[int, tuple]] = {}
        statements = []
        if self.wanted_questions:
            statements.append(
                select(*ANSWER_COLUMNS).where(
                    self.in_batch(Answer.response_id, rows), Answer.question_id.in_(self.wanted_questions)
                )
            )
        unredacted = [row.id for row in rows if row.redacted_text is None]
        if unredacted and self.text_questions and not self.include_personal_data:
            statements.append(
                select(*ANSWER_COLUMNS).where(
                    Answer.response_id.in_(unredacted),
                    Answer.question_id.in_([question.id for question in self.text_questions]),
                )
            )
        for statement in statements:
            for response_id, question_id, value, text in connection.execute(statement):
                answers.setdefault(response_id, {})[question_id] = (value, text)
        themes: dict[int, list[str]] = {}
        for response_id, key in connection.execute(
            select(ThemeAssignment.response_id, Theme.key)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(self.in_batch(ThemeAssignment.response_id, rows))
            .order_by(ThemeAssignment.response_id, Theme.key)
        ):
            themes.setdefault(response_id, []).append(key)
        return answers, themes

    def build(self, row, answers: dict[int, tuple], themes: list[str]) -> list:
        flags = [name for name, raised in (("pii", row.flag_pii), ("abusive", row.flag_abusive)) if raised]
        redacted = row.redacted_text
        if redacted is None:
            texts = [(answers.get(question.id) or (None, None))[1] or "" for question in self.text_questions]
            redacted = _fallback_redaction([text for text in texts if text.strip()])
        values = [
            row.reference,
            row.station_slug,
            row.station_name,
            row.borough_code,
            row.borough_name,
            row.channel,
            iso_utc(row.received_at),
            row.late,
            row.status,
            row.respondent_type,
            *(_question_value(question, answers.get(question.id)) for question in self.choice_questions),
            row.stance,
            row.stance_source,
            "; ".join(themes),
            row.campaign_key,
            "; ".join(flags),
            redacted,
        ]
        if self.include_personal_data:
            values += [_question_value(question, answers.get(question.id)) for question in self.text_questions]
            values += [row.respondent_name, row.respondent_email, row.respondent_postcode]
        return values

    def batches(self) -> Iterator[list[list]]:
        after_id = 0
        while True:
            rows = self.page(after_id)
            if not rows:
                return
            answers, themes = self.batch_details(rows)
            yield [self.build(row, answers.get(row.id, {}), themes.get(row.id, [])) for row in rows]
            after_id = rows[-1].id
            if len(rows) < self.batch_size:
                return

    def count(self) -> int:
        return self.session.scalar(select(func.count(Response.id)).where(*self.clauses)) or 0


def aggregate_rows(document: dict) -> tuple[list[str], list[list]]:
    """Flatten an aggregates document to a header and one row per group, then an `overall` row."""
    theme_keys = [theme["key"] for theme in document["themes"]]
    header = ["key", "name", "borough_code", "borough_name", "total"]
    header += [f"stance_{stance}" for stance in (*STANCES, "uncoded")] + ["share_opposed"]
    header += [f"channel_{channel}" for channel in CHANNELS]
    header += [f"respondent_type_{kind}" for kind in (*RESPONDENT_TYPES, "unspecified")]
    header += ["responses_in_campaigns", "distinct_campaigns"]
    for key in theme_keys:
        header += [f"theme_{key}_count", f"theme_{key}_share"]
    header += ["include_late", "campaigns"]

    def row(key, name, borough, measures) -> list:
        values = [key, name, borough.get("gss_code"), borough.get("name"), measures["total"]]
        values += [measures["stance"][stance] for stance in (*STANCES, "uncoded")] + [measures["share_opposed"]]
        values += [measures["channels"][channel] for channel in CHANNELS]
        values += [measures["respondent_types"][kind] for kind in (*RESPONDENT_TYPES, "unspecified")]
        values += [measures["campaigns"]["responses_in_campaigns"], measures["campaigns"]["distinct_campaigns"]]
        for key_ in theme_keys:
            theme = measures["themes"].get(key_, {"count": 0, "share": None})
            values += [theme["count"], theme["share"]]
        values += [document["counting"]["include_late"], document["counting"]["campaigns"]]
        return values

    def borough_of(group: dict) -> dict:
        # A station group names its borough; a borough group is one.
        if document["group_by"] == "borough":
            return {"gss_code": group["key"], "name": group["name"]}
        return group.get("borough") or {}

    rows = [row(group["key"], group["name"], borough_of(group), group) for group in document["groups"]]
    rows.append(row("overall", "All groups", {}, document["overall"]))
    return header, rows


def aggregates_export(session: Session, consultation: Consultation, **options) -> TableExport:
    """The aggregates document (for JSON) and its flattened table (for CSV and XLSX)."""
    document = compute_aggregates(session, consultation, **options)
    header, rows = aggregate_rows(document)
    return TableExport(
        name=f"{consultation.slug}-aggregates-by-{document['group_by']}",
        header=header,
        batches=lambda: iter([rows]),
        count=lambda: len(rows),
        document=lambda: document,
    )
