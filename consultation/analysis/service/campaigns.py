"""Campaigns: identical and near-identical texts, regrouped over the whole consultation when anything changed."""

from collections.abc import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from consultation.analysis.engine import find_campaigns, redact
from consultation.analysis.models import Campaign, ResponseAnalysis
from consultation.analysis.service import tuning
from consultation.catalog.models import Consultation
from consultation.clock import now

_ra = ResponseAnalysis.__table__


def group_campaigns(texts: Iterable[tuple[int, str]]) -> list[dict]:
    """Identical and near-identical texts, grouped (pure computation, no database)."""
    items = [(response_id, text) for response_id, text in texts if len(text.split()) >= tuning.MIN_CAMPAIGN_WORDS]
    return find_campaigns(items, threshold=tuning.CAMPAIGN_THRESHOLD, min_size=2)


def refresh_campaigns(session: Session, consultation: Consultation, groups: list[dict]) -> int:
    """Replace the consultation's campaigns with `groups`; returns how many campaigns there are."""
    existing = {
        campaign.key: campaign
        for campaign in session.scalars(select(Campaign).where(Campaign.consultation_id == consultation.id))
    }
    session.execute(
        update(_ra)
        .where(_ra.c.consultation_id == consultation.id, _ra.c.campaign_id.is_not(None))
        .values(campaign_id=None)
    )
    keep = {group["key"] for group in groups}
    for key, campaign in existing.items():
        if key not in keep:
            session.delete(campaign)
    moment = now()
    campaigns = {}
    for group in groups:
        campaign = existing.get(group["key"])
        if campaign is None:
            campaign = Campaign(consultation_id=consultation.id, key=group["key"], detected_at=moment)
            session.add(campaign)
        campaign.size = group["size"]
        # Campaign samples are shown to reviewers and in reports: only ever the redacted text.
        campaign.sample_text = redact(group["sample_text"])
        campaigns[group["key"]] = campaign
    session.flush()
    members = [
        {"b_id": response_id, "b_campaign": campaigns[group["key"]].id}
        for group in groups
        for response_id in group["member_ids"]
    ]
    if members:
        session.execute(
            update(_ra).where(_ra.c.response_id == bindparam("b_id")).values(campaign_id=bindparam("b_campaign")),
            members,
        )
    return len(groups)
