"""Text normalisation shared by the engine: tokenising, light stemming, negation marking.

Pure Python + stdlib; everything here is generic English, nothing consultation-specific.
"""

from __future__ import annotations

import re
from functools import lru_cache

_FIXED = {
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wont": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "i'm": "i am",
    "im": "i am",
}
_CONTRACTION_RE = re.compile(
    r"\b(?:(can't|cant|cannot|won't|wont|shan't|ain't|i'm|im)"
    r"|(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need|might)n'?t"
    r"|(it|that|there|what|he|she)'s|(you|we|they)'re|(i|you|we|they)'ve"
    r"|(i|you|we|they|he|she|it)'ll|(i|you|we|they|he|she|it)'d)\b"
)
_EXPAND = {3: " is", 4: " are", 5: " have", 6: " will", 7: " would"}


def _contraction(m: re.Match) -> str:
    if m.group(1):
        return _FIXED[m.group(1)]
    if m.group(2):
        return m.group(2) + " not"
    for g, tail in _EXPAND.items():
        if m.group(g):
            return m.group(g) + tail
    return m.group(0)


TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[.!?;:,()]|£")

NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "without",
        "hardly",
        "barely",
        "cannot",
    }
)
CLAUSE_BREAK = frozenset(
    {
        ".",
        "!",
        "?",
        ";",
        ":",
        ",",
        "(",
        ")",
        "but",
        "however",
        "although",
        "though",
        "whereas",
        "yet",
        "while",
    }
)

STOPWORDS = frozenset(
    """
a about above after again all also am an and any are as at be because been before being below between both
by could did do does doing down during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself just me more most my myself of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves e g eg etc ie s t d ll re ve m o y us get got
""".split()
)


def normalise(text: str) -> str:
    """Lower-case, unify quotes and expand contractions (so negations become the token ``not``)."""
    return _normalise(text or "")


@lru_cache(maxsize=16384)
def _normalise(text: str) -> str:
    t = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    return _CONTRACTION_RE.sub(_contraction, t)


def tokens(text: str) -> list[str]:
    """Tokens including clause punctuation, after :func:`normalise`."""
    return TOKEN_RE.findall(normalise(text))


_SUFFIXES = (
    ("ational", "ate"),
    ("isation", "ise"),
    ("ization", "ise"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("iveness", "ive"),
    ("ments", ""),
    ("ment", ""),
    ("ities", "ity"),
    ("ings", ""),
    ("ing", ""),
    ("ied", "y"),
    ("ies", "y"),
    ("edly", ""),
    ("ed", ""),
    ("ly", ""),
    ("sses", "ss"),
    ("ers", "er"),
    ("es", "e"),
    ("s", ""),
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately light suffix stripper (closure/closing/closed -> clos, cuts -> cut)."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    stripped = False
    for suf, rep in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            if suf == "s" and (w.endswith("ss") or w.endswith("us") or w.endswith("is")):
                return w
            w = w[: -len(suf)] + rep
            stripped = suf in ("ing", "ings", "ed", "edly", "er", "ers")
            break
    # closure/closing/closed/close -> clos ; ure/e endings
    for suf in ("ure", "e"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            break
    if stripped and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "sz":
        w = w[:-1]
    return w


def content_stems(text: str) -> list[str]:
    """Stems of non-stopword alphabetic tokens."""
    return list(_content_stems(text or ""))


@lru_cache(maxsize=8192)
def _content_stems(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokens(text) if t.isalpha() and t not in STOPWORDS and len(t) > 1)


def negation_marked(toks: list[str], window: int = 3) -> list[str]:
    """Prefix ``NOT_`` to up to ``window`` word tokens following a negator, stopping at clause breaks."""
    out: list[str] = []
    left = 0
    for t in toks:
        if t in CLAUSE_BREAK:
            left = 0
            out.append(t)
            continue
        if t in NEGATORS:
            left = window
            out.append(t)
            continue
        if left > 0:
            out.append("NOT_" + t)
            left -= 1
        else:
            out.append(t)
    return out


def analyse_for_model(text: str) -> str:
    """Space-joined stemmed, negation-marked tokens (for sklearn vectorisers with a split analyser)."""
    return _analyse_for_model(text or "")


@lru_cache(maxsize=65536)  # stance and themes both read every text: analyse it once
def _analyse_for_model(text: str) -> str:
    toks = tokens(text)
    marked = negation_marked(toks)
    out = []
    for t in marked:
        if t in ".!;:,()":
            continue
        if t.startswith("NOT_"):
            out.append("NOT_" + stem(t[4:]))
        else:
            out.append(stem(t))
    return " ".join(out)


def split_analyser(doc: str) -> list[str]:
    return doc.split()
