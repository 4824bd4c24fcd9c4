"""Input and output schemas for codebooks, reviewer coding, agreement and analysis runs."""

import marshmallow as ma
from marshmallow import validate

from consultation.analysis.models import STANCES
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
    source = ma.fields.String(metadata={"enum": ["machine", "reviewer"]})
    assigned_by = ma.fields.Nested(PersonSchema, allow_none=True)
    assigned_at = utc()


class CodingEventSchema(ma.Schema):
    source = ma.fields.String(metadata={"enum": ["machine", "reviewer"]})
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
    stance_source = ma.fields.String(allow_none=True, metadata={"enum": ["model", "agreement", "reviewer"]})
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


class StanceAgreementSchema(ma.Schema):
    n = ma.fields.Integer()
    accuracy = ma.fields.Float(allow_none=True)
    kappa = ma.fields.Float(allow_none=True, metadata={"description": "Cohen's kappa, machine against reviewers"})
    confusion = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer()),
        metadata={"description": "Reviewer stance -> machine stance -> count ('none': no stance)"},
    )


class ThemeAgreementSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    reviewer_count = ma.fields.Integer()
    machine_count = ma.fields.Integer()
    precision = ma.fields.Float()
    recall = ma.fields.Float()
    f1 = ma.fields.Float()


class ThemesAgreementSchema(ma.Schema):
    micro_precision = ma.fields.Float()
    micro_recall = ma.fields.Float()
    micro_f1 = ma.fields.Float()
    macro_f1 = ma.fields.Float(allow_none=True, metadata={"description": "Mean F1 over themes reviewers used"})
    per_theme = ma.fields.List(ma.fields.Nested(ThemeAgreementSchema))


class AgreementSchema(ma.Schema):
    consultation = ma.fields.String()
    n = ma.fields.Integer(metadata={"description": "Reviewer-coded responses the machine has also coded"})
    reviewer_coded = ma.fields.Integer()
    without_machine_coding = ma.fields.Integer()
    stance = ma.fields.Nested(StanceAgreementSchema)
    themes = ma.fields.Nested(ThemesAgreementSchema)


class AnalysisRunArgsSchema(ma.Schema):
    force = ma.fields.Boolean(load_default=False, metadata={"description": "Re-code even unchanged responses"})


class AnalysisRunSchema(ma.Schema):
    consultation = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["queued", "done"]})
    task_id = ma.fields.String(allow_none=True)
    result = ma.fields.Dict(allow_none=True, metadata={"description": "The run's summary when it ran inline"})
