"""Reviewer coding of a response (a person's coding always wins), its history, and machine-reviewer agreement."""

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import ensure_borough_access, record_audit
from consultation.analysis.models import STANCES, Campaign, CodingEvent, ResponseAnalysis, Theme, ThemeAssignment
from consultation.analysis.service.codebook import find_codebook
from consultation.catalog.models import Consultation, Station
from consultation.catalog.service import get_consultation
from consultation.clock import now
from consultation.errors import Conflict, NotFound, ValidationFailed
from consultation.intake.models import Response


def _response(session: Session, reference: str) -> Response:
    response = session.scalar(select(Response).where(Response.reference == reference))
    if response is None:
        raise NotFound("response", reference)
    return response


def _people(session: Session, user_ids: set[int]) -> dict[int, dict]:
    if not user_ids:
        return {}
    return {
        user_id: {"id": user_id, "name": name}
        for user_id, name in session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    }


def get_coding(session: Session, user: User, reference: str) -> dict:
    """The response's current coding and every change to it, with who made it (machine or a named reviewer)."""
    response = _response(session, reference)
    borough_id = session.scalar(select(Station.borough_id).where(Station.id == response.station_id))
    ensure_borough_access(user, borough_id)
    analysis = session.get(ResponseAnalysis, response.id)
    assignments = session.execute(
        select(ThemeAssignment, Theme.key, Theme.label)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(ThemeAssignment.response_id == response.id)
        .order_by(ThemeAssignment.confidence.desc(), Theme.key)
    ).all()
    events = session.scalars(
        select(CodingEvent).where(CodingEvent.response_id == response.id).order_by(CodingEvent.id)
    ).all()
    user_ids = {a.assigned_by_user_id for a, _, _ in assignments if a.assigned_by_user_id}
    user_ids |= {event.user_id for event in events if event.user_id}
    if analysis is not None and analysis.coded_by_user_id:
        user_ids.add(analysis.coded_by_user_id)
    people = _people(session, user_ids)
    campaign_key = None
    if analysis is not None and analysis.campaign_id:
        campaign_key = session.scalar(select(Campaign.key).where(Campaign.id == analysis.campaign_id))
    return {
        "reference": response.reference,
        "status": response.status,
        "stance": analysis.stance if analysis else None,
        "stance_source": analysis.stance_source if analysis else None,
        "stance_confidence": analysis.stance_confidence if analysis else None,
        "coded_by": people.get(analysis.coded_by_user_id) if analysis and analysis.coded_by_user_id else None,
        "coded_at": analysis.coded_at if analysis else None,
        "note": analysis.note if analysis else None,
        "themes": [
            {
                "key": key,
                "label": label,
                "confidence": assignment.confidence,
                "source": assignment.source,
                "assigned_by": people.get(assignment.assigned_by_user_id),
                "assigned_at": assignment.assigned_at,
            }
            for assignment, key, label in assignments
        ],
        "flags": {"pii": bool(analysis and analysis.flag_pii), "abusive": bool(analysis and analysis.flag_abusive)},
        "campaign": campaign_key,
        "model_version": analysis.model_version if analysis else None,
        "analysed_at": analysis.analysed_at if analysis else None,
        "history": [
            {
                "source": event.source,
                "by": people.get(event.user_id) if event.user_id else None,
                "stance": event.stance,
                "themes": list(event.themes or []),
                "note": event.note,
                "model_version": event.model_version,
                "occurred_at": event.occurred_at,
            }
            for event in events
        ],
    }


def code_response(session: Session, user: User, reference: str, data: dict) -> dict:
    """A reviewer's coding replaces the machine's at once (same transaction), and the machine never undoes it."""
    response = _response(session, reference)
    if response.status != "active":
        raise Conflict(f"Response {reference} was withdrawn; it is not coded.", code="response_withdrawn")
    consultation = session.get(Consultation, response.consultation_id)
    book = find_codebook(session, consultation)
    active = {theme.key: theme for theme in (book.themes if book else []) if theme.is_active}
    keys = list(dict.fromkeys(data["themes"]))
    unknown = [key for key in keys if key not in active]
    if unknown:
        raise ValidationFailed(
            {"themes": [f"Not an active theme of this consultation's codebook: {', '.join(unknown)}."]}
        )
    moment = now()
    analysis = session.get(ResponseAnalysis, response.id)
    if analysis is None:
        analysis = ResponseAnalysis(response_id=response.id, consultation_id=consultation.id)
        session.add(analysis)
    analysis.stance = data["stance"]
    analysis.stance_source = "reviewer"
    analysis.stance_confidence = 1.0
    analysis.coded_by_user_id = user.id
    analysis.coded_at = moment
    analysis.note = data.get("note")
    # The analysis row is written first so a concurrent machine batch (which guards on it) sees the coding.
    session.flush()
    session.execute(delete(ThemeAssignment).where(ThemeAssignment.response_id == response.id))
    for key in keys:
        session.add(
            ThemeAssignment(
                response_id=response.id,
                theme_id=active[key].id,
                confidence=1.0,
                source="reviewer",
                assigned_by_user_id=user.id,
                assigned_at=moment,
            )
        )
    session.add(
        CodingEvent(
            response_id=response.id,
            source="reviewer",
            user_id=user.id,
            stance=data["stance"],
            themes=sorted(keys),
            note=data.get("note"),
            occurred_at=moment,
        )
    )
    record_audit(session, user, "code", "response", reference, {"stance": data["stance"], "themes": sorted(keys)})
    session.commit()
    return get_coding(session, user, reference)


# ---------------------------------------------------------------------------------------------- agreement


def _prf(true_positive: int, false_positive: int, false_negative: int) -> tuple[float, float, float]:
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 0.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items; None without items."""
    n = len(first)
    if n == 0:
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / n
    labels = set(first) | set(second)
    expected = sum((first.count(label) / n) * (second.count(label) / n) for label in labels)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


MACHINE_HISTORY_BATCH = 5000


def latest_machine_outputs(session: Session, response_ids: list[int]) -> dict[int, tuple[str | None, list[str]]]:
    """The machine's most recent stance and themes for each response, from the coding history."""
    result: dict[int, tuple[str | None, list[str]]] = {}
    for start in range(0, len(response_ids), MACHINE_HISTORY_BATCH):
        chunk = response_ids[start : start + MACHINE_HISTORY_BATCH]
        latest = (
            select(func.max(CodingEvent.id))
            .where(CodingEvent.source == "machine", CodingEvent.response_id.in_(chunk))
            .group_by(CodingEvent.response_id)
        )
        for response_id, stance, themes in session.execute(
            select(CodingEvent.response_id, CodingEvent.stance, CodingEvent.themes).where(CodingEvent.id.in_(latest))
        ):
            result[response_id] = (stance, sorted(themes or []))
    return result


def agreement(session: Session, slug: str) -> dict:
    """The machine's own latest output against each reviewer-coded response: stance kappa and per-theme F1."""
    consultation = get_consultation(session, slug)
    coded = session.execute(
        select(ResponseAnalysis.response_id, ResponseAnalysis.stance)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(
            ResponseAnalysis.consultation_id == consultation.id,
            ResponseAnalysis.coded_by_user_id.is_not(None),
            Response.status == "active",
        )
    ).all()
    reviewer_stance = dict(coded)
    ids = list(reviewer_stance)
    reviewer_themes: dict[int, set[str]] = {response_id: set() for response_id in ids}
    for start in range(0, len(ids), MACHINE_HISTORY_BATCH):
        chunk = ids[start : start + MACHINE_HISTORY_BATCH]
        for response_id, key in session.execute(
            select(ThemeAssignment.response_id, Theme.key)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(ThemeAssignment.response_id.in_(chunk), ThemeAssignment.source == "reviewer")
        ):
            reviewer_themes[response_id].add(key)
    machine = {
        response_id: (stance, set(themes))
        for response_id, (stance, themes) in latest_machine_outputs(session, ids).items()
    }
    compared = [response_id for response_id in ids if response_id in machine]
    truth = [reviewer_stance[response_id] or "none" for response_id in compared]
    predicted = [machine[response_id][0] or "none" for response_id in compared]
    confusion = {stance: {other: 0 for other in (*STANCES, "none")} for stance in (*STANCES, "none")}
    for a, b in zip(truth, predicted, strict=True):
        confusion[a][b] += 1
    kappa = cohen_kappa(truth, predicted)
    book = find_codebook(session, consultation)
    labels = {theme.key: theme.label for theme in (book.themes if book else [])}
    keys = sorted(
        set(labels) & ({k for r in compared for k in reviewer_themes[r]} | {k for r in compared for k in machine[r][1]})
    )
    per_theme = []
    totals = [0, 0, 0]
    for key in keys:
        tp = sum(1 for r in compared if key in reviewer_themes[r] and key in machine[r][1])
        fp = sum(1 for r in compared if key not in reviewer_themes[r] and key in machine[r][1])
        fn = sum(1 for r in compared if key in reviewer_themes[r] and key not in machine[r][1])
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        precision, recall, f1 = _prf(tp, fp, fn)
        per_theme.append(
            {
                "key": key,
                "label": labels[key],
                "reviewer_count": tp + fn,
                "machine_count": tp + fp,
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
            }
        )
    micro = _prf(*totals)
    supported = [item["f1"] for item in per_theme if item["reviewer_count"]]
    return {
        "consultation": slug,
        "n": len(compared),
        "reviewer_coded": len(ids),
        "without_machine_coding": len(ids) - len(compared),
        "stance": {
            "n": len(compared),
            "accuracy": round(sum(a == b for a, b in zip(truth, predicted, strict=True)) / len(compared), 4)
            if compared
            else None,
            "kappa": round(kappa, 4) if kappa is not None else None,
            "confusion": confusion,
        },
        "themes": {
            "micro_precision": round(micro[0], 4),
            "micro_recall": round(micro[1], 4),
            "micro_f1": round(micro[2], 4),
            "macro_f1": round(sum(supported) / len(supported), 4) if supported else None,
            "per_theme": per_theme,
        },
    }
