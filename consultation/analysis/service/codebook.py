"""A consultation's codebook: stance definitions and themes, edited by reviewers and admins."""

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.analysis.engine import CodebookSpec, ThemeSpec
from consultation.analysis.models import STANCES, Codebook, ResponseAnalysis, Theme
from consultation.catalog.models import Consultation
from consultation.catalog.service import get_consultation
from consultation.clock import now
from consultation.errors import Conflict, NotFound, ValidationFailed
from consultation.intake.models import Response

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
KEY_MAX_LENGTH = 60
EXAMPLE_MAX_LENGTH = 300
DEFAULT_STANCES = {
    "oppose": "Against the proposal.",
    "support": "In favour of the proposal.",
    "neutral": "No clear position, a mixed view, a question, or off the subject.",
}


def find_codebook(session: Session, consultation: Consultation) -> Codebook | None:
    return session.scalar(
        select(Codebook).where(Codebook.consultation_id == consultation.id).options(selectinload(Codebook.themes))
    )


def _ensure_codebook(session: Session, consultation: Consultation) -> Codebook:
    codebook = find_codebook(session, consultation)
    if codebook is None:
        codebook = Codebook(consultation_id=consultation.id, description="", stances=dict(DEFAULT_STANCES))
        session.add(codebook)
        session.flush()
    return codebook


def get_codebook(session: Session, slug: str) -> dict:
    """The codebook as plain data; a consultation without one gets an empty codebook (nothing is created)."""
    consultation = get_consultation(session, slug)
    codebook = find_codebook(session, consultation)
    if codebook is None:
        return {
            "consultation": slug,
            "description": "",
            "stances": dict(DEFAULT_STANCES),
            "themes": [],
            "updated_at": None,
        }
    return {
        "consultation": slug,
        "description": codebook.description,
        "stances": dict(codebook.stances or DEFAULT_STANCES),
        "themes": list(codebook.themes),
        "updated_at": codebook.updated_at,
    }


def engine_codebook(session: Session, consultation: Consultation) -> CodebookSpec:
    """The active themes and stance definitions in the engine's form (the models code only active themes)."""
    codebook = find_codebook(session, consultation)
    if codebook is None:
        return CodebookSpec(themes=[], stances=dict(DEFAULT_STANCES), description="")
    themes = [
        ThemeSpec(key=theme.key, label=theme.label, description=theme.description, examples=list(theme.examples))
        for theme in codebook.themes
        if theme.is_active
    ]
    stances = dict(codebook.stances or DEFAULT_STANCES)
    return CodebookSpec(themes=themes, stances=stances, description=codebook.description)


def _check_key(key: str) -> list[str]:
    problems = []
    if not KEY_PATTERN.match(key or ""):
        problems.append("Use lower-case letters, digits and underscores, starting with a letter.")
    if len(key or "") > KEY_MAX_LENGTH:
        problems.append(f"At most {KEY_MAX_LENGTH} characters.")
    return problems


def _check_stances(stances: dict) -> None:
    unknown = sorted(set(stances) - set(STANCES))
    if unknown:
        raise ValidationFailed({"stances": [f"Unknown stances: {', '.join(unknown)}; use {', '.join(STANCES)}."]})


def _clean_examples(examples: list[str]) -> list[str]:
    cleaned = []
    for example in examples:
        example = " ".join(str(example).split())
        if example and example not in cleaned:
            cleaned.append(example[:EXAMPLE_MAX_LENGTH])
    return cleaned


def replace_codebook(session: Session, user: User, slug: str, data: dict) -> dict:
    """Replace description, stances and themes; themes left out are deactivated, never deleted (codings keep them)."""
    consultation = get_consultation(session, slug)
    errors: dict = {}
    seen: set[str] = set()
    for index, theme in enumerate(data["themes"]):
        problems = _check_key(theme["key"])
        if theme["key"] in seen:
            problems.append(f"Duplicate theme key {theme['key']!r}.")
        seen.add(theme["key"])
        if problems:
            errors[f"themes.{index}.key"] = problems
    if errors:
        raise ValidationFailed(errors)
    if "stances" in data:
        _check_stances(data["stances"])
    codebook = _ensure_codebook(session, consultation)
    codebook.description = data.get("description", codebook.description)
    if "stances" in data:
        codebook.stances = {**DEFAULT_STANCES, **data["stances"]}
    existing = {theme.key: theme for theme in codebook.themes}
    for item in data["themes"]:
        theme = existing.get(item["key"])
        if theme is None:
            theme = Theme(key=item["key"], origin="codebook")
            codebook.themes.append(theme)
        theme.label = item["label"]
        theme.description = item.get("description", "")
        theme.examples = _clean_examples(item.get("examples", []))
        theme.is_active = True
    for key, theme in existing.items():
        if key not in seen:
            theme.is_active = False
    _touch(codebook)
    record_audit(session, user, "replace", "codebook", slug, {"themes": sorted(seen)})
    session.commit()
    return get_codebook(session, slug)


def _touch(codebook: Codebook) -> None:
    # Theme edits do not change the codebook row itself; bump it so updated_at says when the codebook last changed.
    codebook.updated_at = now()


def _redacted_examples(session: Session, consultation: Consultation, references: list[str]) -> list[str]:
    """Example phrases from responses a reviewer picked: their redacted text only, never the raw answer."""
    if not references:
        return []
    rows = session.execute(
        select(Response.reference, ResponseAnalysis.redacted_text)
        .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .where(Response.consultation_id == consultation.id, Response.reference.in_(references))
    ).all()
    found = {reference: text for reference, text in rows}
    missing = [reference for reference in references if reference not in found]
    if missing:
        raise ValidationFailed({"example_references": [f"No responses {', '.join(missing)} in this consultation."]})
    unanalysed = [reference for reference in references if not found[reference]]
    if unanalysed:
        raise ValidationFailed(
            {"example_references": [f"Responses {', '.join(unanalysed)} have no analysed free text to quote yet."]}
        )
    return [found[reference] for reference in references]


def add_theme(session: Session, user: User, slug: str, data: dict, *, accepted: bool = False) -> Theme:
    """Add a theme; with `from_cluster` or `example_references`, or `accepted` (a discovered theme a reviewer
    accepted as suggested), it is a promoted discovery (origin 'discovered')."""
    consultation = get_consultation(session, slug)
    problems = _check_key(data["key"])
    if problems:
        raise ValidationFailed({"key": problems})
    codebook = _ensure_codebook(session, consultation)
    clash = next((theme for theme in codebook.themes if theme.key == data["key"]), None)
    if clash is not None:
        hint = "" if clash.is_active else " It is inactive: PATCH it with is_active true to bring it back."
        raise Conflict(f"The codebook already has a theme {data['key']!r}.{hint}", errors={"key": ["Taken."]})
    references = data.get("example_references", [])
    promoted = accepted or bool(data.get("from_cluster") or references)
    examples = _clean_examples(data.get("examples", []) + _redacted_examples(session, consultation, references))
    theme = Theme(
        key=data["key"],
        label=data["label"],
        description=data.get("description", ""),
        examples=examples,
        origin="discovered" if promoted else "codebook",
        is_active=True,
    )
    codebook.themes.append(theme)
    _touch(codebook)
    details = {"origin": theme.origin}
    if accepted:
        details["accepted_suggestion"] = True
    if data.get("from_cluster"):
        details["from_cluster"] = data["from_cluster"]
    if references:
        details["example_references"] = references
    session.flush()
    record_audit(session, user, "create", "theme", f"{slug}/{theme.key}", details)
    session.commit()
    return theme


def key_from_label(label: str, taken: set[str]) -> str:
    """A theme key made from a label ("Free bet offers" -> free_bet_offers), with a number when it is taken."""
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    base = re.sub(r"^[^a-z]+", "", base)[: KEY_MAX_LENGTH - 3].strip("_") or "theme"
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key


def accept_discovered_theme(session: Session, user: User, slug: str, data: dict) -> Theme:
    """Accept a discovered theme into the codebook in one step: its label and description as suggested, the key
    made from the label unless given (audited as the creation of a discovered theme)."""
    consultation = get_consultation(session, slug)
    codebook = find_codebook(session, consultation)
    taken = {theme.key for theme in codebook.themes} if codebook is not None else set()
    key = data.get("key") or key_from_label(data["label"], taken)
    return add_theme(session, user, slug, {**data, "key": key}, accepted=True)


def _get_theme(session: Session, consultation: Consultation, key: str) -> Theme:
    codebook = find_codebook(session, consultation)
    theme = None if codebook is None else next((t for t in codebook.themes if t.key == key), None)
    if theme is None:
        raise NotFound("theme", key)
    return theme


def update_theme(session: Session, user: User, slug: str, key: str, data: dict) -> Theme:
    consultation = get_consultation(session, slug)
    theme = _get_theme(session, consultation, key)
    for field in ("label", "description", "is_active"):
        if field in data:
            setattr(theme, field, data[field])
    if "examples" in data:
        theme.examples = _clean_examples(data["examples"])
    _touch(theme.codebook)
    record_audit(session, user, "update", "theme", f"{slug}/{key}", {"fields": sorted(data)})
    session.commit()
    return theme


def deactivate_theme(session: Session, user: User, slug: str, key: str) -> None:
    """Themes are deactivated, not deleted: past codings and their history still name them."""
    consultation = get_consultation(session, slug)
    theme = _get_theme(session, consultation, key)
    theme.is_active = False
    _touch(theme.codebook)
    record_audit(session, user, "deactivate", "theme", f"{slug}/{key}")
    session.commit()


def load_codebook_data(session: Session, consultation: Consultation, data: dict, *, origin: str = "codebook") -> bool:
    """Seed a consultation's codebook from shared-layout data; does nothing when it already has one."""
    if find_codebook(session, consultation) is not None:
        return False
    source = CodebookSpec.from_dict(data)
    codebook = Codebook(
        consultation_id=consultation.id,
        description=source.description,
        stances={**DEFAULT_STANCES, **source.stances},
    )
    codebook.themes = [
        Theme(
            key=theme.key,
            label=theme.label,
            description=theme.description,
            examples=_clean_examples(theme.examples),
            origin=origin,
            is_active=True,
        )
        for theme in source.themes
    ]
    session.add(codebook)
    session.flush()
    return True
