"""PII and abusive-language flags, and redaction."""

from __future__ import annotations

import re

EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# UK numbers: +44 / 0044 / 0 prefix, 10-11 digits with optional spaces, dashes, brackets.
PHONE_RE = re.compile(r"(?<![\w+])(?:(?:\+|00)44\s?\(?0?\)?\s?|\(?0)(?:\d[\s-]?\)?){8,9}\d(?![\d])")
POSTCODE_RE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?) ?\d[ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[A-Z]{2})\b"
)
_STREET_TYPES = (
    r"Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Grove|Drive|Dr|Way|Crescent|Cres|Gardens|Gdns|"
    r"Place|Pl|Terrace|Court|Ct|Hill|Park|Square|Sq|Mews|Row|Walk|Rise|View|Green|Parade|"
    r"Broadway|Vale|Gate|Wharf|Estate|House|Mansions|Cottages"
)
ADDRESS_RE = re.compile(
    r"\b(?:(?:Flat|Apartment|Apt|Unit)\s+\d+[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?\s+"
    r"(?:[A-Z][a-zA-Z'-]+\s+){0,3}(?:" + _STREET_TYPES + r")\b(?:\s+(?:North|South|East|West))?"
)
_NAME = r"[A-Z][a-z'’-]+(?:[ -][A-Z][a-z'’-]+){0,2}"
_NAME2 = r"[A-Z][a-z'’-]+(?:[ -][A-Z][a-z'’-]+){1,2}"
NAME_PATTERNS = [
    # explicit introductions
    re.compile(
        r"\b(?:[Mm]y name is|[Mm]y name's|[Nn]ame:|I am called|[Ss]igned,?|[Rr]egards,?|[Ss]incerely,?|"
        r"[Yy]ours (?:faithfully|sincerely|truly),?|[Tt]hanks,?|[Tt]hank you,?|[Ff]rom:)\s+(" + _NAME + r")"
    ),
    re.compile(r"\b(?:I'm|I’m|I am|This is)\s+(" + _NAME2 + r")\b(?!\s+(?:Road|Street|Avenue|Lane))"),
    # titles
    re.compile(r"\b((?:Mr|Mrs|Ms|Miss|Dr|Prof|Cllr|Rev)\.?\s+" + _NAME + r")"),
    # name right before or after contact details: "Jane Smith, 07700 900000" / "touch: Jane Smith, jane@x"
    re.compile(r"(?:^|[.!?:;,]\s+|\n)(" + _NAME2 + r")(?=,?\s*(?:\(|on |tel|phone|email|\+?\d{3}|[\w.]+@|\d{1,4} ))"),
    # trailing signature: a capitalised 2-3 word name alone at the end of the response
    re.compile(r"(?:[.!?]\s+|\n|,\s+|\d\s+)(" + _NAME2 + r")\.?\s*$"),
]
# Capitalised words that start sentences or greetings, not names: pronouns, courtesies, days and months.
_NOT_NAMES = frozenset(
    """
the this that these those i we you they he she it my our your their please thanks thank yours kind best
regards dear mr mrs ms dr monday tuesday wednesday thursday friday saturday sunday january february march
april may june july august september october november december yes no not
""".split()
)

ABUSIVE_WORDS = [
    r"f+u+c+k\w*",
    r"f\*+k\w*",
    r"f\*+\w*",
    r"sh[i1]te?s?",
    r"shit\w*",
    r"bullshit",
    r"bastard\w*",
    r"b\*+stard\w*",
    r"arse(?:s|hole\w*)?",
    r"ass(?:hole\w*|es)?",
    r"dickhead\w*",
    r"dick",
    r"twat\w*",
    r"wanker\w*",
    r"wank\w*",
    r"cunt\w*",
    r"c\*+t\w*",
    r"prick\w*",
    r"bollocks",
    r"bellend\w*",
    r"tosser\w*",
    r"pillock\w*",
    r"idiot\w*",
    r"moron\w*",
    r"cretin\w*",
    r"imbecile\w*",
    r"scum\w*",
    r"scumbag\w*",
    r"retard\w*",
    r"piss(?:ed|ing)?(?: off)?",
    r"crap",
    r"bitch\w*",
    r"slag\w*",
    r"dimwit\w*",
    r"numpty",
    r"numpties",
    r"halfwit\w*",
    r"nincompoop\w*",
    r"knobhead\w*",
    r"knob",
    r"git",
    r"shithead\w*",
    r"dumbass\w*",
    r"[a-z]\*{2,}[a-z]*",
    r"[a-z]+\*+[a-z]+",
]
ABUSIVE_RE = re.compile(r"(?<![\w*])(?:" + "|".join(ABUSIVE_WORDS) + r")(?![\w*])", re.I)
# direct insults: "you <adjective>? <insult noun>", "go to hell", threats
INSULT_RE = re.compile(
    r"\b(?:you|you're|youre|you are|bunch of|pack of|load of)\s+(?:\w+\s+){0,2}?"
    r"(?:clowns?|fools?|liars?|lying|thieves|crooks?|parasites?|muppets?|losers?|useless|spineless|"
    r"incompetent|corrupt|pathetic)\b|\b(?:go to hell|drop dead|rot in hell|kill yourself|i hope you die)\b",
    re.I,
)


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int, str]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e, _ in spans)


def _pii_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for m in EMAIL_RE.finditer(text):
        spans.append((m.start(), m.end(), "email"))
    for m in PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 10 <= len(digits) <= 13 and not _overlaps((m.start(), m.end()), spans):
            spans.append((m.start(), m.end(), "phone"))
    for m in POSTCODE_RE.finditer(text):
        if not _overlaps((m.start(), m.end()), spans):
            spans.append((m.start(), m.end(), "postcode"))
    for m in ADDRESS_RE.finditer(text):
        if not _overlaps((m.start(), m.end()), spans):
            spans.append((m.start(), m.end(), "address"))
    for pat in NAME_PATTERNS:
        for m in pat.finditer(text):
            s, e = m.span(1)
            name = m.group(1)
            first = re.split(r"[ .-]", name)[0].lower()
            if first in _NOT_NAMES and not re.match(r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Cllr|Rev)\b", name):
                continue
            if not _overlaps((s, e), spans):
                spans.append((s, e, "name"))
    spans.sort()
    return spans


def _abusive_spans(text: str) -> list[tuple[int, int, str]]:
    spans = [(m.start(), m.end(), "abusive") for m in ABUSIVE_RE.finditer(text)]
    spans += [(m.start(), m.end(), "abusive") for m in INSULT_RE.finditer(text) if not _overlaps(m.span(), spans)]
    spans.sort()
    return spans


_QUICK_PII = re.compile(
    r"@|\d|\b(?:[Mm]y name|I'm|I’m|I am|This is|Mr|Mrs|Ms|Miss|Dr|Prof|Cllr|Rev|[Ss]igned|"
    r"[Rr]egards|[Ss]incerely|[Yy]ours|[Tt]hanks|[Tt]hank you|[Nn]ame:|[Ff]rom:)\b|"
    r"[A-Z][a-z]+ [A-Z][a-z]+\.?\s*$"
)


def detect_flags(text: str) -> dict:
    """Flag personal data and abusive language.

    Returns ``{"pii": bool, "abusive": bool, "pii_spans": [(start, end, kind)], "abusive_spans": [...]}``
    where kind is one of email, phone, postcode, address, name (and "abusive" for abusive spans).
    """
    text = text or ""
    pii = _pii_spans(text) if _QUICK_PII.search(text) else []
    ab = _abusive_spans(text)
    return {"pii": bool(pii), "abusive": bool(ab), "pii_spans": pii, "abusive_spans": ab}


_REPL = {
    "email": "[email]",
    "phone": "[phone]",
    "postcode": "[postcode]",
    "name": "[name]",
    "address": "[address]",
    "abusive": "[removed]",
}


def redact(text: str, pii: bool = True, abusive: bool = True) -> str:
    """Replace flagged spans with ``[email]``, ``[phone]``, ``[postcode]``, ``[name]``, ``[address]``,
    ``[removed]``."""
    f = detect_flags(text)
    spans = (f["pii_spans"] if pii else []) + (f["abusive_spans"] if abusive else [])
    spans.sort()
    out, pos = [], 0
    for s, e, kind in spans:
        if s < pos:  # overlapping: extend
            continue
        out.append(text[pos:s])
        out.append(_REPL.get(kind, "[removed]"))
        pos = e
    out.append(text[pos:])
    return "".join(out)
