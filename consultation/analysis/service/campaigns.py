"""Campaigns: identical and near-identical texts (template letters, copy and paste).

A full run regroups the whole consultation (`group_campaigns`, `refresh_campaigns`). A run for a few new
responses must not read the consultation's other texts, so it places them instead (`place_in_campaigns`): exact
copies are found through the indexed `match_key` of every coded response, near copies by comparing with the
samples of the largest campaigns. What placing misses (two near copies of a text no campaign holds yet) the next
full run finds.
"""

import hashlib
from collections.abc import Iterable

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from consultation.analysis.engine import find_campaigns, redact
from consultation.analysis.engine.campaigns import normalise_for_match
from consultation.analysis.models import Campaign, ResponseAnalysis
from consultation.analysis.service import tuning
from consultation.catalog.models import Consultation
from consultation.clock import now

_ra = ResponseAnalysis.__table__


def match_key(text: str) -> str | None:
    """The key copies of a text share (and the campaign key they get); None for texts too short to be a campaign."""
    if len(text.split()) < tuning.MIN_CAMPAIGN_WORDS:
        return None
    return hashlib.sha1(normalise_for_match(text).encode("utf-8")).hexdigest()[:16]


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


def _join(session: Session, campaign: Campaign, response_ids: list[int]) -> None:
    """Move responses into the campaign; its size grows by those not already in it (no recount of members)."""
    moved = session.execute(
        update(_ra)
        .where(
            _ra.c.response_id.in_(response_ids),
            or_(_ra.c.campaign_id.is_(None), _ra.c.campaign_id != campaign.id),
        )
        .values(campaign_id=campaign.id)
    )
    campaign.size = (campaign.size or 0) + moved.rowcount


def place_in_campaigns(session: Session, consultation: Consultation, texts: dict[int, str]) -> int:
    """Put newly coded responses into campaigns without reading other texts; how many joined or formed one."""
    keyed = {response_id: match_key(text) for response_id, text in texts.items()}
    by_key: dict[str, list[int]] = {}
    for response_id, key in keyed.items():
        if key is not None:
            by_key.setdefault(key, []).append(response_id)
    placed: set[int] = set()
    moment = now()
    for key, new_ids in sorted(by_key.items()):
        copies = session.execute(
            select(_ra.c.response_id, _ra.c.campaign_id)
            .where(_ra.c.consultation_id == consultation.id, _ra.c.match_key == key)
            .limit(tuning.CAMPAIGN_COPIES_LIMIT)
        ).all()
        members = sorted({response_id for response_id, _ in copies} | set(new_ids))
        campaign_ids = {campaign_id for _, campaign_id in copies if campaign_id is not None}
        campaign = session.get(Campaign, min(campaign_ids)) if campaign_ids else None
        if campaign is None:
            if len(members) < 2:
                continue
            campaign = session.scalar(
                select(Campaign).where(Campaign.consultation_id == consultation.id, Campaign.key == key)
            )
        if campaign is None:
            campaign = Campaign(
                consultation_id=consultation.id,
                key=key,
                size=0,
                sample_text=redact(texts[new_ids[0]]),
                detected_at=moment,
            )
            session.add(campaign)
            session.flush()
        _join(session, campaign, [m for m in members if m in set(new_ids) or not campaign_ids])
        placed.update(new_ids)
    rest = [
        (response_id, texts[response_id]) for response_id, key in keyed.items() if key and response_id not in placed
    ]
    if rest:
        largest = session.execute(
            select(Campaign.id, Campaign.sample_text)
            .where(Campaign.consultation_id == consultation.id)
            .order_by(Campaign.size.desc(), Campaign.id)
            .limit(tuning.CAMPAIGN_SAMPLES_COMPARED)
        ).all()
        samples = [(("campaign", campaign_id), sample) for campaign_id, sample in largest]
        for group in find_campaigns(samples + rest, threshold=tuning.CAMPAIGN_THRESHOLD, min_size=2):
            joined = [member for member in group["member_ids"] if not isinstance(member, tuple)]
            found = sorted(member[1] for member in group["member_ids"] if isinstance(member, tuple))
            if not joined or not found:
                continue  # near copies among the new texts alone: the next full run groups them
            _join(session, session.get(Campaign, found[0]), joined)
            placed.update(joined)
    return len(placed)
