"""Small factories for the aggregates, quotes and exports tests: rows written straight through the models."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from consultation.analysis.models import Campaign, Codebook, ResponseAnalysis, Theme, ThemeAssignment
from consultation.catalog.demo import HISTORICAL_SLUG
from consultation.catalog.models import Consultation
from consultation.intake.models import Answer, Respondent, Response

RECEIVED_AT = datetime(2017, 9, 1, 12, 0, tzinfo=UTC)
QUOTE_TEXT = "The front counter is where my elderly neighbours go when they need help; closing it leaves them alone."


class Factory:
    """Builds responses with their answers, analysis and theme assignments for the 2017 demo consultation."""

    def __init__(self, session, slug: str = HISTORICAL_SLUG):
        self.session = session
        self.consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        self.stations = {station.slug: station for station in self.consultation.stations}
        self.questions = {question.code: question for question in self.consultation.questionnaire.questions}
        self.themes: dict[str, Theme] = {}
        self.count = 0

    def codebook(self, *keys: str) -> dict[str, Theme]:
        codebook = Codebook(consultation_id=self.consultation.id, description="Test codebook", stances={})
        codebook.themes = [Theme(key=key, label=key.replace("_", " ").title()) for key in keys]
        self.session.add(codebook)
        self.session.flush()
        self.themes = {theme.key: theme for theme in codebook.themes}
        return self.themes

    def campaign(self, key: str, size: int = 2) -> Campaign:
        campaign = Campaign(consultation_id=self.consultation.id, key=key, size=size, sample_text="Save our station")
        self.session.add(campaign)
        self.session.flush()
        return campaign

    def response(
        self,
        station: str = "dagenham",
        *,
        stance: str | None = "oppose",
        themes: dict[str, float] | None = None,
        channel: str = "online",
        respondent_type: str | None = "resident",
        late: bool = False,
        status: str = "active",
        campaign: Campaign | None = None,
        consent: bool = True,
        text: str | None = None,
        redacted: str | None = None,
        flag_pii: bool = False,
        flag_abusive: bool = False,
        analysed: bool = True,
        answers: dict | None = None,
        respondent: dict | None = None,
    ) -> Response:
        self.count += 1
        response = Response(
            consultation_id=self.consultation.id,
            station_id=self.stations[station].id,
            reference=f"MOPAC-{self.count:06d}",
            respondent_type=respondent_type,
            channel=channel,
            received_at=RECEIVED_AT + timedelta(minutes=self.count),
            late=late,
            status=status,
            consent_to_publish=consent,
            respondent=Respondent(**respondent) if respondent else None,
        )
        for code, value in (answers or {}).items():
            question = self.questions[code]
            if question.kind == "free_text":
                response.answers.append(Answer(question_id=question.id, value=value, text=value))
            else:
                response.answers.append(Answer(question_id=question.id, value=value))
        if text is not None:
            response.answers.append(Answer(question_id=self.questions["impact"].id, value=text, text=text))
        self.session.add(response)
        self.session.flush()
        if analysed:
            self.session.add(
                ResponseAnalysis(
                    response_id=response.id,
                    consultation_id=self.consultation.id,
                    stance=stance,
                    stance_source="model" if stance else None,
                    stance_confidence=0.8 if stance else None,
                    campaign_id=campaign.id if campaign else None,
                    flag_pii=flag_pii,
                    flag_abusive=flag_abusive,
                    redacted_text=redacted if redacted is not None else text,
                )
            )
        for key, confidence in (themes or {}).items():
            self.session.add(
                ThemeAssignment(
                    response_id=response.id, theme_id=self.themes[key].id, confidence=confidence, source="machine"
                )
            )
        self.session.flush()
        return response
