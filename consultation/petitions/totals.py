"""A petition's totals, counted from its rows at the moment of asking (no counter to drift or lose updates).

- confirmed_online: confirmed online (and imported) signatures that are neither flagged nor invalidated.
- paper: for each returned pack that was not late, its keyed-in signatures that count when it was keyed in
  (the de-duplicated figure), else the tally the counter wrote down. Late packs are kept, shown apart
  (`late_paper`) and left out of the total, as late responses are.
- total = confirmed_online + paper.
- by_borough: from each counted signature's postcode (ONS Postcode Directory), London boroughs by name, then
  an "outside London" row, then, when there are any, paper tallies that were never keyed in (no postcodes).
- by_station: a petition speaks for every station it names, so each station's row carries the petition's total.
- timeline: cumulative total at the end of each London day on which something was counted.
"""

from collections import Counter, defaultdict

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from consultation.boroughs import Borough
from consultation.clock import now, to_london
from consultation.petitions.models import Petition, PetitionPack, Signature

OUTSIDE_LONDON = "outside London"
NOT_KEYED_IN = "paper tallies not keyed in (no postcodes)"
OTHER_LONDON_NAMES = {"E09000001": "City of London"}  # not among the 32 boroughs the Met polices

COUNTED = (Signature.confirmed_at.is_not(None), Signature.flagged.is_(False), Signature.invalidated_at.is_(None))


def _packs(session: Session, petition: Petition) -> list[PetitionPack]:
    return list(session.scalars(select(PetitionPack).where(PetitionPack.petition_id == petition.id)))


def pack_figures(session: Session, petition: Petition) -> dict[int, dict]:
    """Per pack id: keyed-in rows, how many of them count, and the figure the pack contributes."""
    keyed = Counter()
    counted = Counter()
    rows = session.execute(
        select(
            Signature.pack_id,
            func.count(Signature.id),
            func.sum(case((and_(Signature.flagged.is_(False), Signature.invalidated_at.is_(None)), 1), else_=0)),
        )
        .where(Signature.petition_id == petition.id, Signature.pack_id.is_not(None))
        .group_by(Signature.pack_id)
    )
    for pack_id, keyed_rows, counted_rows in rows:
        keyed[pack_id] = keyed_rows
        counted[pack_id] = int(counted_rows or 0)
    figures = {}
    for pack in _packs(session, petition):
        returned = pack.received_at is not None
        if keyed[pack.id]:
            figure = counted[pack.id]
        else:
            figure = pack.signatures_counted or 0
        figures[pack.id] = {
            "pack": pack,
            "returned": returned,
            "keyed_in": keyed[pack.id],
            "keyed_in_counted": counted[pack.id],
            "figure": figure if returned else 0,
            "difference": (pack.signatures_counted - counted[pack.id])
            if keyed[pack.id] and pack.signatures_counted is not None
            else None,
        }
    return figures


def _borough_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Borough.gss_code, Borough.name)).all())


def compute_totals(session: Session, petition: Petition) -> dict:
    as_of = now()
    figures = pack_figures(session, petition)
    late_pack_ids = {pack_id for pack_id, item in figures.items() if item["pack"].late}
    groups = session.execute(
        select(
            Signature.pack_id,
            Signature.gss_code,
            Signature.confirmed_at.is_not(None),
            Signature.flagged,
            Signature.invalidated_at.is_not(None),
            func.count(Signature.id),
        )
        .where(Signature.petition_id == petition.id)
        .group_by(
            Signature.pack_id,
            Signature.gss_code,
            Signature.confirmed_at.is_not(None),
            Signature.flagged,
            Signature.invalidated_at.is_not(None),
        )
    ).all()
    confirmed_online = pending_online = flagged = invalidated = 0
    by_code: Counter = Counter()
    for pack_id, gss_code, confirmed, is_flagged, is_invalidated, count in groups:
        if is_invalidated:
            invalidated += count
        elif is_flagged:
            flagged += count
        elif not confirmed:
            pending_online += count
        elif pack_id is None:
            confirmed_online += count
            by_code[gss_code] += count
        elif pack_id not in late_pack_ids:
            by_code[gss_code] += count
    paper = sum(item["figure"] for pack_id, item in figures.items() if pack_id not in late_pack_ids)
    late_paper = sum(item["figure"] for pack_id, item in figures.items() if pack_id in late_pack_ids)
    not_keyed = sum(
        item["figure"] for pack_id, item in figures.items() if pack_id not in late_pack_ids and not item["keyed_in"]
    )
    total = confirmed_online + paper
    return {
        "petition": petition.id,
        "confirmed_online": confirmed_online,
        "pending_online": pending_online,
        "paper": paper,
        "late_paper": late_paper,
        "flagged": flagged,
        "invalidated": invalidated,
        "total": total,
        "by_borough": _by_borough(session, by_code, not_keyed),
        "by_station": [{"slug": s.slug, "name": s.name, "total": total} for s in petition.stations],
        "timeline": _timeline(session, petition, figures, late_pack_ids),
        "as_of": as_of,
    }


def headline_total(session: Session, petition: Petition) -> int:
    """The total :func:`compute_totals` gives, alone: confirmed online signatures that are neither flagged nor
    invalidated, plus the paper packs' counts (late packs left out). One count and the packs, no breakdowns, for
    pages that list petitions (the timeline reads every signature)."""
    figures = pack_figures(session, petition)
    online = session.scalar(
        select(func.count(Signature.id)).where(
            Signature.petition_id == petition.id,
            Signature.pack_id.is_(None),
            Signature.confirmed_at.is_not(None),
            Signature.flagged.is_(False),
            Signature.invalidated_at.is_(None),
        )
    )
    return online + sum(item["figure"] for item in figures.values() if not item["pack"].late)


def _by_borough(session: Session, by_code: Counter, not_keyed: int) -> list[dict]:
    names = _borough_names(session)
    rows, outside = [], 0
    for code, count in by_code.items():
        name = names.get(code) or OTHER_LONDON_NAMES.get(code)
        if name is None:
            outside += count
        else:
            rows.append({"gss_code": code, "name": name, "total": count})
    rows.sort(key=lambda row: (-row["total"], row["name"]))
    rows.append({"gss_code": None, "name": OUTSIDE_LONDON, "total": outside})
    if not_keyed:
        rows.append({"gss_code": None, "name": NOT_KEYED_IN, "total": not_keyed})
    return rows


def _timeline(session: Session, petition: Petition, figures: dict, late_pack_ids: set) -> list[dict]:
    daily: defaultdict = defaultdict(int)
    online = session.execute(
        select(Signature.signed_at, Signature.pack_id).where(Signature.petition_id == petition.id, *COUNTED)
    )
    for signed_at, pack_id in online:
        if pack_id is None:
            daily[to_london(signed_at).date()] += 1
    for pack_id, item in figures.items():
        if pack_id not in late_pack_ids and item["figure"]:
            daily[to_london(item["pack"].received_at).date()] += item["figure"]
    running, timeline = 0, []
    for day in sorted(daily):
        running += daily[day]
        timeline.append({"date": day.isoformat(), "total": running})
    return timeline


def signature_sectors(session: Session, petition: Petition) -> list[dict]:
    """Counted signatures by postcode sector (online and keyed-in paper from packs on time); never postcodes."""
    late = select(PetitionPack.id).where(PetitionPack.petition_id == petition.id, PetitionPack.late.is_(True))
    rows = session.execute(
        select(Signature.sector, func.count(Signature.id))
        .where(Signature.petition_id == petition.id, *COUNTED)
        .where((Signature.pack_id.is_(None)) | (Signature.pack_id.not_in(late)))
        .group_by(Signature.sector)
        .order_by(func.count(Signature.id).desc(), Signature.sector)
    )
    return [{"sector": sector, "count": count} for sector, count in rows]
