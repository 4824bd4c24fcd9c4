"""Input and output schemas for codebooks, reviewer coding, agreement and analysis runs."""

import marshmallow as ma
from marshmallow import validate

from consultation.analysis.models import ASSIGNMENT_SOURCES, STANCE_SOURCES, STANCES
from consultation.common import utc

THEME_KEY = [
    validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use lower-case letters, digits and underscores."),
    validate.Length(min=1, max=60),
]
EXAMPLES = ma.fields.List(
    ma.fields.String(validate=validate.Length(min=1, max=300)),
    validate=validate.Length(max=50),
    load_default=list,
    metadata={"description": "Example phrases that show the theme"},
)


class ThemeSchema(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    description = ma.fields.String()
    examples = ma.fields.List(ma.fields.String())
    origin = ma.fields.String(metadata={"enum": ["codebook", "discovered"]})
    is_active = ma.fields.Boolean()
    created_at = utc()


class CodebookSchema(ma.Schema):
    consultation = ma.fields.String()
    description = ma.fields.String()
    stances = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    themes = ma.fields.List(ma.fields.Nested(ThemeSchema))
    updated_at = utc()


class ThemeInputSchema(ma.Schema):
    key = ma.fields.String(required=True, validate=THEME_KEY)
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    examples = EXAMPLES


class CodebookInputSchema(ma.Schema):
    description = ma.fields.String(validate=validate.Length(max=5000))
    stances = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(STANCES)),
        values=ma.fields.String(validate=validate.Length(min=1, max=2000)),
        metadata={"description": "Definition of each stance: oppose, support, neutral"},
    )
    themes = ma.fields.List(ma.fields.Nested(ThemeInputSchema), required=True, validate=validate.Length(max=200))


class ThemeCreateSchema(ThemeInputSchema):
    from_cluster = ma.fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Key of the discovered cluster this theme promotes"},
    )
    example_references = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=20)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Responses whose redacted text becomes example phrases"},
    )


class AcceptThemeSchema(ThemeCreateSchema):
    """A discovered theme as suggested (its suggested_label and suggested_description); the key is optional."""

    key = ma.fields.String(validate=THEME_KEY, metadata={"description": "Made from the label when left out"})


class ThemeUpdateSchema(ma.Schema):
    label = ma.fields.String(validate=validate.Length(min=1, max=200))
    description = ma.fields.String(validate=validate.Length(max=5000))
    examples = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=300)), validate=validate.Length(max=50)
    )
    is_active = ma.fields.Boolean()


class PersonSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class AssignedThemeSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    confidence = ma.fields.Float()
    source = ma.fields.String(metadata={"enum": list(ASSIGNMENT_SOURCES)})
    assigned_by = ma.fields.Nested(PersonSchema, allow_none=True)
    assigned_at = utc()


class CodingEventSchema(ma.Schema):
    source = ma.fields.String(metadata={"enum": list(ASSIGNMENT_SOURCES)})
    by = ma.fields.Nested(PersonSchema, allow_none=True, metadata={"description": "The reviewer; null for the machine"})
    stance = ma.fields.String(allow_none=True)
    themes = ma.fields.List(ma.fields.String())
    note = ma.fields.String(allow_none=True)
    model_version = ma.fields.String(allow_none=True)
    occurred_at = utc()


class FlagsSchema(ma.Schema):
    pii = ma.fields.Boolean()
    abusive = ma.fields.Boolean()


class CodingSchema(ma.Schema):
    reference = ma.fields.String()
    status = ma.fields.String()
    stance = ma.fields.String(allow_none=True, metadata={"enum": list(STANCES)})
    stance_source = ma.fields.String(allow_none=True, metadata={"enum": list(STANCE_SOURCES)})
    stance_confidence = ma.fields.Float(allow_none=True)
    coded_by = ma.fields.Nested(PersonSchema, allow_none=True)
    coded_at = utc()
    note = ma.fields.String(allow_none=True)
    themes = ma.fields.List(ma.fields.Nested(AssignedThemeSchema))
    flags = ma.fields.Nested(FlagsSchema)
    campaign = ma.fields.String(allow_none=True, metadata={"description": "Key of the campaign the text belongs to"})
    model_version = ma.fields.String(allow_none=True)
    analysed_at = utc()
    history = ma.fields.List(ma.fields.Nested(CodingEventSchema))


class CodingInputSchema(ma.Schema):
    stance = ma.fields.String(required=True, validate=validate.OneOf(STANCES))
    themes = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=60)), required=True, validate=validate.Length(max=100)
    )
    note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))


INTERVAL = {"description": "95% interval [low, high]; null when there is nothing to measure"}
VERDICT = {"enum": ["trusted", "not_trusted", "not_yet_known", "too_few_codings"]}


def interval_field() -> ma.fields.List:
    return ma.fields.List(ma.fields.Float(), allow_none=True, metadata=INTERVAL)


class StanceAgreementSchema(ma.Schema):
    n = ma.fields.Integer()
    accuracy = ma.fields.Float(allow_none=True)
    accuracy_interval = interval_field()
    kappa = ma.fields.Float(allow_none=True, metadata={"description": "Cohen's kappa, machine against reviewers"})
    kappa_interval = interval_field()
    confusion = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer()),
        metadata={"description": "Reviewer stance -> machine stance -> count ('none': no stance)"},
    )
    verdict = ma.fields.String(metadata=VERDICT)
    reason = ma.fields.String(metadata={"description": "The verdict in plain words"})


class ThemeAgreementSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    reviewer_count = ma.fields.Integer()
    machine_count = ma.fields.Integer()
    precision = ma.fields.Float(allow_none=True, metadata={"description": "Null when the machine never gave it"})
    precision_interval = interval_field()
    recall = ma.fields.Float(allow_none=True, metadata={"description": "Null when no reviewer gave it"})
    recall_interval = interval_field()
    f1 = ma.fields.Float(allow_none=True)
    f1_interval = interval_field()
    verdict = ma.fields.String(metadata=VERDICT)
    reason = ma.fields.String(metadata={"description": "The verdict in plain words"})


class ThemesAgreementSchema(ma.Schema):
    micro_precision = ma.fields.Float()
    micro_recall = ma.fields.Float()
    micro_f1 = ma.fields.Float()
    macro_f1 = ma.fields.Float(allow_none=True, metadata={"description": "Mean F1 over themes reviewers used"})
    trusted = ma.fields.List(ma.fields.String(), metadata={"description": "Themes the machine can be trusted on"})
    per_theme = ma.fields.List(ma.fields.Nested(ThemeAgreementSchema))


class AgreementSchema(ma.Schema):
    consultation = ma.fields.String()
    n = ma.fields.Integer(metadata={"description": "Reviewer-coded responses the machine has also coded"})
    reviewer_coded = ma.fields.Integer()
    without_machine_coding = ma.fields.Integer()
    confidence_level = ma.fields.Float(metadata={"description": "Of every interval below"})
    stance = ma.fields.Nested(StanceAgreementSchema)
    themes = ma.fields.Nested(ThemesAgreementSchema)


class NextToCodeArgsSchema(ma.Schema):
    n = ma.fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=100), metadata={"description": "How many to list"}
    )


class CodingValueSchema(ma.Schema):
    score = ma.fields.Float(metadata={"description": "Usefulness: (uncertainty + representative) / 2 x novelty"})
    uncertainty = ma.fields.Float(metadata={"description": "Mean of the stance and theme uncertainty, 0..1"})
    stance_uncertainty = ma.fields.Float(metadata={"description": "1 minus the gap between the two likeliest stances"})
    theme_uncertainty = ma.fields.Float(metadata={"description": "1 when a theme's score is on its assignment line"})
    novelty = ma.fields.Float(
        metadata={"description": "1 minus the closest similarity to a coded (or earlier listed) response"}
    )
    representative = ma.fields.Float(
        metadata={
            "description": "0..1: how close it is to its nearest fellow uncoded responses (a crowd, not an outlier)"
        }
    )


class NextToCodeItemSchema(ma.Schema):
    reference = ma.fields.String()
    station = ma.fields.String()
    text = ma.fields.String(metadata={"description": "The response's free text, personal data redacted"})
    machine_stance = ma.fields.String(metadata={"enum": list(STANCES)})
    scores = ma.fields.Nested(CodingValueSchema)
    uncertain_themes = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Float(), metadata={"description": "Theme key -> machine score"}
    )
    why = ma.fields.String(metadata={"description": "Why this response is worth coding, in words"})


class NextToCodeSchema(ma.Schema):
    consultation = ma.fields.String()
    pool = ma.fields.Integer(metadata={"description": "Uncoded responses scored for this list"})
    coded = ma.fields.Integer(metadata={"description": "Coded responses the novelty is measured against"})
    closeness = ma.fields.String(
        allow_none=True,
        metadata={"enum": ["sentence_model", "words"], "description": "How similarity between texts was measured"},
    )
    waiting_for_vectors = ma.fields.Integer(
        metadata={"description": "Candidates left out until the background run has stored their sentence vectors"}
    )
    items = ma.fields.List(ma.fields.Nested(NextToCodeItemSchema))


class SentenceModelSchema(ma.Schema):
    model = ma.fields.String()
    available = ma.fields.Boolean()
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why the model cannot run here"})
    mode = ma.fields.String(metadata={"description": "What the analysis runs on"})


class TuningStatusSchema(ma.Schema):
    state = ma.fields.String(
        metadata={
            "enum": ["none", "queued", "running", "done", "failed", "stale"],
            "description": "The latest tuning job of the sentence model on the reviewers' codings",
        }
    )
    steps_done = ma.fields.Integer()
    steps_total = ma.fields.Integer()
    progress = ma.fields.Float(metadata={"description": "Share of the job's training steps done, 0 to 1"})
    job_codings = ma.fields.Integer(metadata={"description": "Coded responses the latest job learns from"})
    started_at = utc()
    finished_at = utc()
    error = ma.fields.String(allow_none=True)
    in_use = ma.fields.Boolean(metadata={"description": "Whether a tuned model codes now (else the untuned one)"})
    tuned_on_codings = ma.fields.Integer()
    tuned_at = utc()
    loss_before = ma.fields.Float(allow_none=True)
    loss_after = ma.fields.Float(allow_none=True)
    next_at_codings = ma.fields.Integer(metadata={"description": "Coded responses at which it is tuned again"})
    min_codings = ma.fields.Integer(metadata={"description": "Coded responses needed before the first tuning"})


class AnalysisStatusSchema(ma.Schema):
    consultation = ma.fields.String()
    sentence_model = ma.fields.Nested(SentenceModelSchema)
    responses = ma.fields.Integer(metadata={"description": "Active responses"})
    analysed = ma.fields.Integer(metadata={"description": "Active responses the machine has coded"})
    pending = ma.fields.Integer(metadata={"description": "Active responses waiting for the background analysis"})
    reviewer_coded = ma.fields.Integer()
    embedded = ma.fields.Integer(metadata={"description": "Sentence vectors stored (all consultations)"})
    model_version = ma.fields.String(allow_none=True, metadata={"description": "Of the latest machine coding"})
    last_analysed_at = utc()
    tuning = ma.fields.Nested(TuningStatusSchema)


class AnalysisRunArgsSchema(ma.Schema):
    force = ma.fields.Boolean(load_default=False, metadata={"description": "Re-code even unchanged responses"})


class AnalysisRunSchema(ma.Schema):
    consultation = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["queued"]})
    task_id = ma.fields.String(allow_none=True, metadata={"description": "The Celery task's id, when a worker runs it"})
    result = ma.fields.Dict(allow_none=True, metadata={"description": "Always null: the run happens in the background"})
