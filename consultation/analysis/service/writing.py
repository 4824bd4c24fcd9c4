"""Writing a batch of machine codings: bulk statements, and a reviewer's coding always kept.

Writes are bulk statements per batch of `BATCH_SIZE` responses, committed per batch by the run. The machine never
changes the stance or themes of a reviewer-coded response; it still records its own output as a
`CodingEvent(source="machine")` whenever that output changes, which is what the agreement figures compare.
"""

from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from consultation.analysis.models import Campaign, CodingEvent, ResponseAnalysis, ThemeAssignment
from consultation.analysis.service import tuning
from consultation.analysis.service.campaigns import match_key
from consultation.analysis.service.coding import latest_machine_outputs
from consultation.analysis.service.fitting import Models
from consultation.analysis.service.inputs import Inputs, chunks
from consultation.analysis.service.machine import Coded
from consultation.bulk import insert_rows
from consultation.catalog.models import Consultation
from consultation.clock import now
from consultation.intake.models import Response


@dataclass
class Batch:
    response_ids: list[int]
    inputs: dict[int, Inputs]
    hashes: dict[int, str]
    existing: set[int]
    result: Future | list[Coded] | None = None


@dataclass
class RunSummary:
    consultation: str
    model_version: str
    responses: int = 0
    analysed: int = 0
    unchanged: int = 0
    reviewer_coded_kept: int = 0
    withdrawn_removed: int = 0
    campaigns: int | None = None
    placed_in_campaigns: int = 0
    embedded: int = 0
    reviewer_examples: int = 0
    agreement_examples: int = 0
    parallel_workers: int = 0
    timings: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "consultation": self.consultation,
            "model_version": self.model_version,
            "responses": self.responses,
            "analysed": self.analysed,
            "unchanged": self.unchanged,
            "reviewer_coded_kept": self.reviewer_coded_kept,
            "withdrawn_removed": self.withdrawn_removed,
            "campaigns": self.campaigns,
            "placed_in_campaigns": self.placed_in_campaigns,
            "embedded": self.embedded,
            "training": {"reviewer_codings": self.reviewer_examples, "agreement_answers": self.agreement_examples},
            "parallel_workers": self.parallel_workers,
            "seconds": dict(self.timings),
        }


_ra = ResponseAnalysis.__table__
_ta = ThemeAssignment.__table__
_events = CodingEvent.__table__


def write_batch(
    session: Session,
    consultation: Consultation,
    models: Models,
    batch: Batch,
    coded: list[Coded],
    theme_ids: dict[str, int],
) -> int:
    """Write one batch with bulk statements; returns how many reviewer-coded responses were left alone."""
    moment = now()
    outputs = _outputs(batch, coded)
    _write_analyses(session, consultation, models, batch, outputs, moment)
    coded_now = _write_machine_themes(session, batch.response_ids, outputs, theme_ids, moment)
    _write_events(session, batch.response_ids, outputs, theme_ids, models.version, moment)
    return len(coded_now & set(batch.response_ids))


def _outputs(batch: Batch, coded: list[Coded]) -> dict[int, tuple[str | None, str | None, float | None, Coded]]:
    """Per response: stance, its source and confidence (the agreement answer wins over the model), and the codes."""
    outputs: dict[int, tuple[str | None, str | None, float | None, Coded]] = {}
    for response_id, result in zip(batch.response_ids, coded, strict=True):
        agreement = batch.inputs[response_id].agreement_stance
        if agreement:
            outputs[response_id] = (agreement, "agreement", 1.0, result)
        elif result.stance:
            outputs[response_id] = (result.stance, "model", result.stance_confidence, result)
        else:
            outputs[response_id] = (None, None, None, result)
    return outputs


def _write_analyses(session: Session, consultation: Consultation, models: Models, batch: Batch, outputs, moment):
    """Update the analysis rows that exist (a reviewer's stance kept) and insert the new ones."""
    new_rows, machine_rows, stance_rows = [], [], []
    for response_id, (stance, source, confidence, result) in outputs.items():
        analysed = {
            "input_hash": batch.hashes[response_id],
            "flag_pii": result.pii,
            "flag_abusive": result.abusive,
            "redacted_text": result.redacted_text,
            "match_key": match_key(batch.inputs[response_id].text),
        }
        if response_id in batch.existing:
            machine_rows.append({"b_id": response_id, **{f"b_{k}": v for k, v in analysed.items()}})
            stance_rows.append(
                {"b_id": response_id, "b_stance": stance, "b_source": source, "b_confidence": confidence}
            )
        else:
            new_rows.append(
                {
                    "response_id": response_id,
                    "consultation_id": consultation.id,
                    "stance": stance,
                    "stance_source": source,
                    "stance_confidence": confidence,
                    "model_version": models.version,
                    "analysed_at": moment,
                    **analysed,
                }
            )
    if machine_rows:
        session.execute(
            update(_ra)
            .where(_ra.c.response_id == bindparam("b_id"))
            .values(
                input_hash=bindparam("b_input_hash"),
                flag_pii=bindparam("b_flag_pii"),
                flag_abusive=bindparam("b_flag_abusive"),
                redacted_text=bindparam("b_redacted_text"),
                match_key=bindparam("b_match_key"),
                model_version=models.version,
                analysed_at=moment,
            ),
            machine_rows,
        )
        # The guard on coded_by_user_id keeps a reviewer's coding even if it landed after this batch was read.
        session.execute(
            update(_ra)
            .where(_ra.c.response_id == bindparam("b_id"), _ra.c.coded_by_user_id.is_(None))
            .values(
                stance=bindparam("b_stance"),
                stance_source=bindparam("b_source"),
                stance_confidence=bindparam("b_confidence"),
            ),
            stance_rows,
        )
    if new_rows:
        insert_rows(session, _ra, new_rows, ignore_conflicts=True)


def _write_machine_themes(session: Session, ids: list[int], outputs, theme_ids, moment) -> set[int]:
    """Replace the machine's themes of every response no reviewer has coded; returns the reviewer-coded ids."""
    # Re-read who is reviewer-coded now that this transaction holds the rows it wrote.
    coded_now: set[int] = set()
    for chunk in chunks(ids, tuning.BATCH_SIZE):
        coded_now.update(
            session.scalars(
                select(_ra.c.response_id).where(_ra.c.response_id.in_(chunk), _ra.c.coded_by_user_id.is_not(None))
            )
        )
    machine_ids = [response_id for response_id in ids if response_id not in coded_now]
    for chunk in chunks(machine_ids, tuning.BATCH_SIZE):
        session.execute(delete(_ta).where(_ta.c.response_id.in_(chunk), _ta.c.source == "machine"))
    assignments = [
        {
            "response_id": response_id,
            "theme_id": theme_ids[key],
            "confidence": confidence,
            "source": "machine",
            "assigned_by_user_id": None,
            "assigned_at": moment,
        }
        for response_id in machine_ids
        for key, confidence in outputs[response_id][3].themes.items()
        if key in theme_ids
    ]
    insert_rows(session, _ta, assignments)
    return coded_now


def _write_events(session: Session, ids: list[int], outputs, theme_ids, model_version, moment) -> None:
    """A coding event for each response whose machine output changed."""
    previous = latest_machine_outputs(session, ids)
    events = []
    for response_id in ids:
        stance, _, _, result = outputs[response_id]
        output = (stance, sorted(key for key in result.themes if key in theme_ids))
        if output != previous.get(response_id, (None, [])):
            events.append(
                {
                    "response_id": response_id,
                    "source": "machine",
                    "user_id": None,
                    "stance": output[0],
                    "themes": output[1],
                    "note": None,
                    "model_version": model_version,
                    "occurred_at": moment,
                }
            )
    insert_rows(session, _events, events)


def remove_withdrawn(session: Session, consultation: Consultation, scope: list[int] | None) -> int:
    statement = (
        select(ResponseAnalysis.response_id)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(ResponseAnalysis.consultation_id == consultation.id, Response.status != "active")
    )
    withdrawn: list[int] = []
    if scope is None:
        withdrawn = list(session.scalars(statement))
    else:
        for chunk in chunks(scope, tuning.BATCH_SIZE):
            withdrawn.extend(session.scalars(statement.where(Response.id.in_(chunk))))
    for chunk in chunks(withdrawn, tuning.BATCH_SIZE):
        if scope is not None:
            _leave_campaigns(session, chunk)
        session.execute(delete(_ta).where(_ta.c.response_id.in_(chunk)))
        session.execute(delete(_ra).where(_ra.c.response_id.in_(chunk)))
    return len(withdrawn)


def _leave_campaigns(session: Session, response_ids: list[int]) -> None:
    """Withdrawn responses leave their campaigns (a full run regroups anyway; a run for a few does not)."""
    leaving: dict[int, int] = {}
    for campaign_id in session.scalars(
        select(_ra.c.campaign_id).where(_ra.c.response_id.in_(response_ids), _ra.c.campaign_id.is_not(None))
    ):
        leaving[campaign_id] = leaving.get(campaign_id, 0) + 1
    for campaign_id, count in leaving.items():
        campaign = session.get(Campaign, campaign_id)
        campaign.size -= count
        if campaign.size < 2:  # one text left is no campaign
            session.execute(update(_ra).where(_ra.c.campaign_id == campaign_id).values(campaign_id=None))
            session.delete(campaign)
    session.flush()


def active_ids(session: Session, consultation: Consultation, scope: list[int] | None) -> list[int]:
    statement = select(Response.id).where(Response.consultation_id == consultation.id, Response.status == "active")
    if scope is None:
        return list(session.scalars(statement.order_by(Response.id)))
    ids: list[int] = []
    for chunk in chunks(sorted(set(scope)), tuning.BATCH_SIZE):
        ids.extend(session.scalars(statement.where(Response.id.in_(chunk)).order_by(Response.id)))
    return ids


def mark_checked(session: Session, response_ids: list[int]) -> None:
    """Stamp `analysed_at` on responses a run looked at and left alone (their input had not changed), so that the
    sweep, which picks up responses changed since their analysis, does not pick them up again."""
    moment = now()
    for chunk in chunks(sorted(response_ids), tuning.BATCH_SIZE):
        session.execute(
            update(ResponseAnalysis).where(ResponseAnalysis.response_id.in_(chunk)).values(analysed_at=moment)
        )


def existing_state(session: Session, response_ids: list[int]) -> dict[int, tuple[str | None, bool]]:
    rows = session.execute(
        select(ResponseAnalysis.response_id, ResponseAnalysis.input_hash, ResponseAnalysis.coded_by_user_id).where(
            ResponseAnalysis.response_id.in_(response_ids)
        )
    )
    return {response_id: (hash_, coded_by is not None) for response_id, hash_, coded_by in rows}
