"""Query and output schemas for aggregates, representative quotes, discovery, campaigns and exports."""

import marshmallow as ma
from marshmallow import validate

from consultation.catalog.schemas import BoroughSchema
from consultation.common import utc
from consultation.reporting.constants import CAMPAIGN_MODES, FORMATS, GROUP_BY, MAX_QUOTES

GSS_CODE = validate.Regexp(r"^[EWSN]\d{8}$", error="Use a GSS code such as E09000002.")
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case letters, digits and hyphens.")
THEME_KEY = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use lower-case letters, digits and underscores.")


class ScopeQuerySchema(ma.Schema):
    borough = ma.fields.String(validate=GSS_CODE, metadata={"description": "Only this borough (GSS code)"})
    station = ma.fields.String(validate=[SLUG, validate.Length(max=80)], metadata={"description": "Only this station"})


class AggregatesQuerySchema(ScopeQuerySchema):
    group_by = ma.fields.String(load_default="borough", validate=validate.OneOf(GROUP_BY))
    include_late = ma.fields.Boolean(load_default=False, metadata={"description": "Count late responses too"})
    campaigns = ma.fields.String(
        load_default="each",
        validate=validate.OneOf(CAMPAIGN_MODES),
        metadata={"description": "each: every response counts; once: a campaign counts as one response per group"},
    )


class QuotesQuerySchema(ScopeQuerySchema):
    theme = ma.fields.String(validate=[THEME_KEY, validate.Length(max=60)], metadata={"description": "Theme key"})
    limit = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=MAX_QUOTES))


class ResponsesExportQuerySchema(ScopeQuerySchema):
    format = ma.fields.String(load_default="csv", validate=validate.OneOf(FORMATS))
    include_late = ma.fields.Boolean(load_default=False)
    include_withdrawn = ma.fields.Boolean(load_default=False)
    include_personal_data = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Reviewer/admin only, audited: respondent name, email, postcode and raw free text"},
    )


class AggregatesExportQuerySchema(AggregatesQuerySchema):
    format = ma.fields.String(load_default="csv", validate=validate.OneOf(FORMATS))


class StanceCountsSchema(ma.Schema):
    oppose = ma.fields.Integer()
    support = ma.fields.Integer()
    neutral = ma.fields.Integer()
    uncoded = ma.fields.Integer()


class ThemeCountSchema(ma.Schema):
    count = ma.fields.Integer()
    share = ma.fields.Float(allow_none=True, metadata={"description": "count / total of the group"})


class ChannelCountsSchema(ma.Schema):
    online = ma.fields.Integer()
    paper = ma.fields.Integer()
    email = ma.fields.Integer()
    submission = ma.fields.Integer()


class RespondentTypeCountsSchema(ma.Schema):
    resident = ma.fields.Integer()
    business = ma.fields.Integer()
    organisation = ma.fields.Integer()
    elected_representative = ma.fields.Integer()
    unspecified = ma.fields.Integer()


class CampaignCountsSchema(ma.Schema):
    responses_in_campaigns = ma.fields.Integer(metadata={"description": "Raw number of campaign members"})
    distinct_campaigns = ma.fields.Integer()


class AggregateMeasuresSchema(ma.Schema):
    total = ma.fields.Integer()
    stance = ma.fields.Nested(StanceCountsSchema)
    share_opposed = ma.fields.Float(allow_none=True, metadata={"description": "oppose / coded responses"})
    themes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(ThemeCountSchema))
    channels = ma.fields.Nested(ChannelCountsSchema)
    respondent_types = ma.fields.Nested(RespondentTypeCountsSchema)
    campaigns = ma.fields.Nested(CampaignCountsSchema)


class AggregateGroupSchema(AggregateMeasuresSchema):
    key = ma.fields.String(metadata={"description": "GSS code or station slug"})
    name = ma.fields.String()
    borough = ma.fields.Nested(BoroughSchema, metadata={"description": "For stations: their borough"})


class CountingSchema(ma.Schema):
    include_late = ma.fields.Boolean()
    campaigns = ma.fields.String(metadata={"enum": list(CAMPAIGN_MODES)})
    withdrawn = ma.fields.String(metadata={"description": "Withdrawn responses are never counted"})
    share_opposed_of = ma.fields.String()
    theme_share_of = ma.fields.String()


class AggregateFiltersSchema(ma.Schema):
    borough = ma.fields.String(allow_none=True)
    station = ma.fields.String(allow_none=True)


class ThemeRefSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()


class AggregatesSchema(ma.Schema):
    consultation = ma.fields.String()
    group_by = ma.fields.String(metadata={"enum": list(GROUP_BY)})
    counting = ma.fields.Nested(CountingSchema)
    filters = ma.fields.Nested(AggregateFiltersSchema)
    themes = ma.fields.List(ma.fields.Nested(ThemeRefSchema))
    groups = ma.fields.List(ma.fields.Nested(AggregateGroupSchema))
    overall = ma.fields.Nested(AggregateMeasuresSchema)


class QuoteSchema(ma.Schema):
    reference = ma.fields.String()
    station = ma.fields.String()
    station_name = ma.fields.String()
    borough = ma.fields.String(metadata={"description": "GSS code"})
    borough_name = ma.fields.String()
    theme = ma.fields.String(allow_none=True)
    stance = ma.fields.String(allow_none=True)
    text = ma.fields.String(metadata={"description": "The redacted free text"})
    confidence = ma.fields.Float(allow_none=True, metadata={"description": "Theme confidence"})


class QuotesSchema(ma.Schema):
    quotes = ma.fields.List(ma.fields.Nested(QuoteSchema))


class DiscoveryArgsSchema(ma.Schema):
    max_clusters = ma.fields.Integer(load_default=8, validate=validate.Range(min=2, max=20))


class ExampleSchema(ma.Schema):
    reference = ma.fields.String()
    text = ma.fields.String(metadata={"description": "Redacted text"})


class ClusterSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "Pass as from_cluster when promoting it to a theme"})
    size = ma.fields.Integer()
    top_terms = ma.fields.List(ma.fields.String())
    suggested_key = ma.fields.String()
    suggested_label = ma.fields.String(metadata={"description": "The key phrase closest to the cluster's centre"})
    suggested_description = ma.fields.String()
    key_phrases = ma.fields.List(
        ma.fields.String(), metadata={"description": "Phrases of its most central responses nearest its centre"}
    )
    coherence = ma.fields.Float(metadata={"description": "Mean similarity of its responses to its centre, 0 to 1"})
    examples = ma.fields.List(ma.fields.Nested(ExampleSchema))


class DiscoverySchema(ma.Schema):
    consultation = ma.fields.String()
    analysed_responses = ma.fields.Integer()
    clusters = ma.fields.List(ma.fields.Nested(ClusterSchema))


class CampaignSchema(ma.Schema):
    key = ma.fields.String()
    size = ma.fields.Integer()
    sample = ma.fields.String(metadata={"description": "Redacted text of the most common variant"})
    detected_at = utc()
    members = ma.fields.List(ma.fields.String(), metadata={"description": "References of the member responses"})


class CampaignListSchema(ma.Schema):
    consultation = ma.fields.String()
    campaigns = ma.fields.List(ma.fields.Nested(CampaignSchema))
