"""CodebookSpec: the consultation's stances and themes as plain data, the engine's own form.

Named apart from the `Codebook` model (consultation.analysis.models), which stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_STANCES = {
    "oppose": "The respondent is against the proposal.",
    "support": "The respondent accepts or favours the proposal.",
    "neutral": "No clear position, a mixed view, a question, or off-topic.",
}

_FALLBACK_RE = re.compile(
    r"\b(none of the above|no reason given|not covered|other|off[- ]topic|no answer|"
    r"does not provide|only use this if)\b",
    re.I,
)


def humanise(key: str) -> str:
    s = re.sub(r"[_\-]+", " ", key).strip()
    return s[:1].upper() + s[1:]


@dataclass
class ThemeSpec:
    key: str
    label: str
    description: str = ""
    examples: list[str] = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        """True for catch-all codes such as "None of the above" / "No reason given"."""
        return bool(_FALLBACK_RE.search(self.label)) or "only use this if" in self.description.lower()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "description": self.description,
            "examples": list(self.examples),
        }


@dataclass
class CodebookSpec:
    themes: list[ThemeSpec]
    stances: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STANCES))
    description: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CodebookSpec:
        raw = d.get("themes") or {}
        themes: list[ThemeSpec] = []
        items: list[tuple[str, Any]]
        if isinstance(raw, dict):
            items = list(raw.items())
        else:  # list of {"key", "label"/"description", "examples"}
            items = [(t["key"], t) for t in raw]
        for key, val in items:
            examples: list[str] = []
            label = None
            if isinstance(val, dict):
                desc = str(val.get("description") or "")
                label = val.get("label")
                examples = [str(x) for x in (val.get("examples") or [])]
            else:
                desc = str(val or "")
            if label is None:
                if ": " in desc and len(desc.split(": ", 1)[0]) <= 80:
                    label, desc = desc.split(": ", 1)
                else:
                    label = humanise(key)
            themes.append(ThemeSpec(key=str(key), label=str(label), description=desc, examples=examples))
        stances = dict(d.get("stances") or DEFAULT_STANCES)
        return cls(themes=themes, stances=stances, description=str(d.get("description") or ""))

    def to_dict(self) -> dict[str, Any]:
        themes: dict[str, Any] = {}
        for t in self.themes:
            if t.examples or t.label != humanise(t.key):
                themes[t.key] = {"label": t.label, "description": t.description, "examples": list(t.examples)}
            else:
                themes[t.key] = t.description
        return {"description": self.description, "stances": dict(self.stances), "themes": themes}

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.themes]

    def theme(self, key: str) -> ThemeSpec:
        for t in self.themes:
            if t.key == key:
                return t
        raise KeyError(key)

    def same_themes(self, other: CodebookSpec) -> bool:
        a = {t.key: (t.label, t.description) for t in self.themes}
        b = {t.key: (t.label, t.description) for t in other.themes}
        return a == b
