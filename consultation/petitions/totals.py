"""A petition's totals, counted from its rows at the moment of asking (no counter to drift or lose updates).

Each figure says what it is:
- confirmed_online: online signatures confirmed by email, neither flagged nor invalidated.
- imported: signatures imported from another petition site (not confirmed by us), neither flagged nor
  invalidated; apart from confirmed_online.
- paper_keyed_in: for each pack that counts (returned, not late, not set aside by a reviewer) whose signatures
  were keyed in, those that count (the de-duplicated figure).
- paper_not_checked: for each pack that counts and was not keyed in, the tally the counter wrote down: counted,
  not checked. A tally is bounded by the pack's sheets when it is recorded (see packs.py).
- paper = paper_keyed_in + paper_not_checked. Late packs are kept, shown apart (`late_paper`) and left out of
  the total, as late responses are; packs set aside likewise (`set_aside_paper`).
- total = confirmed_online + imported + paper.
- by_borough: from each counted signature's postcode (ONS Postcode Directory), London boroughs by name, then
  an "outside London" row, then, when there are any, paper tallies that were never keyed in (no postcodes).
- by_station: a petition speaks for every station it names, so each station's row carries the petition's total.
- timeline: cumulative total at the end of each London day on which something was counted.
"""

from collections import Counter, defaultdict

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from consultation.boroughs import Borough
from consultation.clock import now, to_london
from consultation.petitions.models import Petition, PetitionPack, Signature

OUTSIDE_LONDON = "outside London"
NOT_KEYED_IN = "paper tallies counted, not checked (no postcodes)"
OTHER_LONDON_NAMES = {"E09000001": "City of London"}  # not among the 32 boroughs the Met polices

COUNTED = (Signature.confirmed_at.is_not(None), Signature.flagged.is_(False), Signature.invalidated_at.is_(None))


def not_counting_packs(petition_id: int):
    """The ids of a petition's packs whose signatures count for nothing: late, or set aside by a reviewer."""
    return select(PetitionPack.id).where(
        PetitionPack.petition_id == petition_id,
        or_(PetitionPack.late.is_(True), PetitionPack.set_aside_at.is_not(None)),
    )


def counting_rows(petition_id: int) -> tuple:
    """Conditions for a signature row that counts: COUNTED, and not from a late or set-aside pack."""
    return (
        Signature.petition_id == petition_id,
        *COUNTED,
        or_(Signature.pack_id.is_(None), Signature.pack_id.not_in(not_counting_packs(petition_id))),
    )


def _packs(session: Session, petition: Petition) -> list[PetitionPack]:
    return list(session.scalars(select(PetitionPack).where(PetitionPack.petition_id == petition.id)))


def pack_figures(session: Session, petition: Petition) -> dict[int, dict]:
    """Per pack id: keyed-in rows, how many of them count, the figure the pack holds, and whether it counts."""
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
        figure = counted[pack.id] if keyed[pack.id] else pack.signatures_counted or 0
        set_aside = pack.set_aside_at is not None
        figures[pack.id] = {
            "pack": pack,
            "returned": returned,
            "keyed_in": keyed[pack.id],
            "keyed_in_counted": counted[pack.id],
            "figure": figure if returned else 0,
            "set_aside": set_aside,
            "counts": returned and not pack.late and not set_aside,
            "difference": (pack.signatures_counted - counted[pack.id])
            if keyed[pack.id] and pack.signatures_counted is not None
            else None,
        }
    return figures


def _borough_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Borough.gss_code, Borough.name)).all())


def _row_groups(session: Session, petition: Petition, skipped_packs: set) -> dict:
    """Signature rows by state and channel, and counted ones by borough, from one grouped query."""
    state = {"confirmed_online": 0, "imported": 0, "pending_online": 0, "flagged": 0, "invalidated": 0}
    by_code: Counter = Counter()
    groups = select(
        Signature.channel,
        Signature.pack_id,
        Signature.gss_code,
        Signature.confirmed_at.is_not(None),
        Signature.flagged,
        Signature.invalidated_at.is_not(None),
    )
    rows = session.execute(
        groups.add_columns(func.count(Signature.id))
        .where(Signature.petition_id == petition.id)
        .group_by(*groups.selected_columns)
    ).all()
    for channel, pack_id, gss_code, confirmed, is_flagged, is_invalidated, count in rows:
        if is_invalidated:
            state["invalidated"] += count
        elif is_flagged:
            state["flagged"] += count
        elif not confirmed:
            state["pending_online"] += count
        elif pack_id in skipped_packs:
            continue
        else:
            if channel in ("online", "imported"):
                state["confirmed_online" if channel == "online" else "imported"] += count
            by_code[gss_code] += count
    return {**state, "by_code": by_code}


def compute_totals(session: Session, petition: Petition) -> dict:
    as_of = now()
    figures = pack_figures(session, petition)
    skipped = {pack_id for pack_id, item in figures.items() if not item["counts"]}
    rows = _row_groups(session, petition, skipped)
    counting = [item for item in figures.values() if item["counts"]]
    paper_keyed_in = sum(item["figure"] for item in counting if item["keyed_in"])
    paper_not_checked = sum(item["figure"] for item in counting if not item["keyed_in"])
    paper = paper_keyed_in + paper_not_checked
    total = rows["confirmed_online"] + rows["imported"] + paper
    return {
        "petition": petition.id,
        "confirmed_online": rows["confirmed_online"],
        "imported": rows["imported"],
        "pending_online": rows["pending_online"],
        "paper": paper,
        "paper_keyed_in": paper_keyed_in,
        "paper_not_checked": paper_not_checked,
        "late_paper": sum(item["figure"] for item in figures.values() if item["pack"].late and not item["set_aside"]),
        "set_aside_paper": sum(item["figure"] for item in figures.values() if item["set_aside"]),
        "flagged": rows["flagged"],
        "invalidated": rows["invalidated"],
        "total": total,
        "by_borough": _by_borough(session, rows["by_code"], paper_not_checked),
        "by_station": [{"slug": s.slug, "name": s.name, "total": total} for s in petition.stations],
        "timeline": _timeline(session, petition, figures),
        "as_of": as_of,
    }


def headline_total(session: Session, petition: Petition) -> int:
    """The total :func:`compute_totals` gives, alone: counted online and imported signatures, plus the packs that
    count. One count and the packs, no breakdowns, for pages that list petitions (the timeline reads every row)."""
    figures = pack_figures(session, petition)
    unpacked = session.scalar(
        select(func.count(Signature.id)).where(
            Signature.petition_id == petition.id, Signature.pack_id.is_(None), *COUNTED
        )
    )
    return unpacked + sum(item["figure"] for item in figures.values() if item["counts"])


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


def _timeline(session: Session, petition: Petition, figures: dict) -> list[dict]:
    daily: defaultdict = defaultdict(int)
    unpacked = session.scalars(
        select(Signature.signed_at).where(Signature.petition_id == petition.id, Signature.pack_id.is_(None), *COUNTED)
    )
    for signed_at in unpacked:
        daily[to_london(signed_at).date()] += 1
    for item in figures.values():
        if item["counts"] and item["figure"]:
            daily[to_london(item["pack"].received_at).date()] += item["figure"]
    running, timeline = 0, []
    for day in sorted(daily):
        running += daily[day]
        timeline.append({"date": day.isoformat(), "total": running})
    return timeline


def signature_sectors(session: Session, petition: Petition) -> list[dict]:
    """Counted signatures by postcode sector (online, imported, and keyed-in paper from packs that count); never
    postcodes."""
    rows = session.execute(
        select(Signature.sector, func.count(Signature.id))
        .where(*counting_rows(petition.id))
        .group_by(Signature.sector)
        .order_by(func.count(Signature.id).desc(), Signature.sector)
    )
    return [{"sector": sector, "count": count} for sector, count in rows]
