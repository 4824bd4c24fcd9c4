"""What the analysis finds beyond coding: clusters the codebook misses (discovery) and campaigns."""

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.models import Campaign, ResponseAnalysis
from consultation.analysis.service import discover_themes, engine_codebook
from consultation.catalog.service import get_consultation
from consultation.intake.models import Response

MAX_DISCOVERY_DOCUMENTS = 20000


def discover(session: Session, slug: str, *, max_clusters: int = 8) -> dict:
    """Cluster analysed responses the codebook covers poorly; only redacted text and references leave here.

    Clustering runs on the redacted text, so personal data can be neither an example nor a top term.
    """
    consultation = get_consultation(session, slug)
    rows = session.execute(
        select(Response.reference, ResponseAnalysis.redacted_text)
        .join(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .where(
            Response.consultation_id == consultation.id,
            Response.status == "active",
            ResponseAnalysis.redacted_text.is_not(None),
            ResponseAnalysis.redacted_text != "",
        )
        .order_by(Response.id)
        .limit(MAX_DISCOVERY_DOCUMENTS)
    ).all()
    references = [reference for reference, _ in rows]
    texts = [text for _, text in rows]
    codebook = engine_codebook(session, consultation)
    clusters = discover_themes(
        texts, references, codebook=codebook if codebook.themes else None, max_clusters=max_clusters
    )
    result = []
    for cluster in clusters:
        examples = [
            {"reference": reference, "text": text}
            for reference, text in zip(cluster["example_ids"], cluster["example_texts"], strict=True)
        ]
        fingerprint = "|".join(sorted(cluster["example_ids"])) + "#" + " ".join(cluster["top_terms"])
        result.append(
            {
                "key": hashlib.sha1(fingerprint.encode()).hexdigest()[:12],
                "size": cluster["size"],
                "top_terms": list(cluster["top_terms"]),
                "suggested_key": cluster["suggested_key"],
                "suggested_label": cluster["suggested_label"],
                "suggested_description": cluster["suggested_description"],
                "key_phrases": list(cluster["key_phrases"]),
                "coherence": cluster["coherence"],
                "examples": examples,
            }
        )
    return {"consultation": slug, "analysed_responses": len(rows), "clusters": result}


def list_campaigns(session: Session, slug: str) -> dict:
    """The consultation's campaigns, largest first, each with its redacted sample and member references."""
    consultation = get_consultation(session, slug)
    campaigns = session.scalars(
        select(Campaign).where(Campaign.consultation_id == consultation.id).order_by(Campaign.size.desc(), Campaign.key)
    ).all()
    members: dict[int, list[str]] = {campaign.id: [] for campaign in campaigns}
    for campaign_id, reference in session.execute(
        select(ResponseAnalysis.campaign_id, Response.reference)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(
            ResponseAnalysis.consultation_id == consultation.id,
            ResponseAnalysis.campaign_id.is_not(None),
            Response.status == "active",
        )
        .order_by(Response.id)
    ):
        members.setdefault(campaign_id, []).append(reference)
    return {
        "consultation": slug,
        "campaigns": [
            {
                "key": campaign.key,
                "size": campaign.size,
                "sample": campaign.sample_text,
                "detected_at": campaign.detected_at,
                "members": members.get(campaign.id, []),
            }
            for campaign in campaigns
        ],
    }
