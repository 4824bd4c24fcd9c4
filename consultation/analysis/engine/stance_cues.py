"""The general grammar of agreeing and objecting, as cue tables, and the evidence they give for one text.

Everything here is ordinary English for reacting to *a proposal*: "I support", "I object", "please don't",
"keep it", "this will make things worse", "not sure", questions, negation and contrast. The proposal's own
action ("close", "ban", "merge") is not listed: it is read from the consultation's description at run time
(:func:`proposal_actions`), so that "please don't <action> it" works for any consultation without the engine
knowing any consultation's subject.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .constants import (
    CONTRAST_AFTER,
    CONTRAST_BEFORE,
    EVALUATIVE_WITHOUT_TARGET,
    IMPERATIVE_WEIGHT,
    NEGATED_CUE_WEIGHT,
    OBJECT_SENTIMENT_CAP,
    OBJECT_SENTIMENT_WEIGHT,
    QUESTION_WEIGHT,
    TOPIC_SENTENCE_WEIGHT,
)
from .text import STOPWORDS, normalise, stem

# Verbs of change any proposal may carry out; the consultation's own verb is added from its description.
GENERIC_ACTIONS = ("scrap", "remove", "axe", "abolish", "phase out", "get rid of", "do away with")
# Nouns for "the proposal itself", whatever it is about.
PROPOSAL_NOUNS = r"(?:plan|plans|proposal|proposals|changes?|decision|scheme|policy|idea|move|this|it|that)"
MODAL = r"(?:should|must|ought to|needs? to|has to|have to|had to|may as well|might as well)"
NEGATOR_RE = re.compile(r"\b(?:not|no|never|nobody|none|neither|nor|hardly|without)\b")
CONTRAST_RE = re.compile(r"\b(?:but|however|although|though|yet|whereas|that said|having said that)\b")
SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?\n]*")
WORD_RE = re.compile(r"[a-z]+")

# (pattern, kind, weight). kind: sup/opp/neu, esup/eopp (evaluations: weaker when the sentence names no
# target), start_sup/start_opp (a bare yes/no that opens the response). {act} is the proposal's action.
CUES: list[tuple[str, str, float]] = [
    # uncertainty first, so "no comment" is not read as the answer "no"
    (r"no (?:strong )?(?:comment|view|views|opinion|preference|strong feelings)", "neu", 1.5),
    (
        r"(?:not sure|unsure|not certain|do not know|no idea|undecided|on the fence|torn|in two minds|"
        r"can see both sides|both sides|mixed (?:feelings|views)|either way|pros and cons|it depends|"
        r"depends on|hard to say|difficult to say|middle ground|no position)",
        "neu",
        1.3,
    ),
    (r"(?:do not|not) (?:really )?(?:mind|care)(?: either way)?", "neu", 0.8),
    # objecting, explicitly
    (
        r"(?:i )?(?:\w+ )?(?:support|supports|in favour of|in favor of|want|wants|agree with|vote for|back|backing) "
        r"(?:keeping|saving|retaining|preserving)",
        "opp",
        2.0,
    ),
    (
        r"i (?:do|would|could|can|will|really|just|simply|certainly|definitely)? ?(?:not|never) (?:\w+ )?"
        r"(?:support|agree|accept|back|endorse|welcome|approve|want)",
        "opp",
        2.0,
    ),
    (
        r"i (?:would )?(?:strongly |totally |completely |fully |firmly |must |also |do |very much )*"
        r"(?:oppose|object|disagree|reject|am against|am opposed|protest)",
        "opp",
        2.0,
    ),
    (r"(?:oppose|opposed|opposing|object|objection|objections|disagree|disagreed|against|reject)", "opp", 1.0),
    (r"(?:no way|hands off|over my dead body|think again|rethink|reconsider|u-turn)", "opp", 1.3),
    (
        r"(?:stop|halt|reverse|fight|resist|oppose|object to|against|no to|say no to|scrap|drop|abandon|"
        r"withdraw|rethink|reconsider|block) (?:the |this |these |any |all |your |such )?(?:proposed |planned )?"
        + PROPOSAL_NOUNS,
        "opp",
        1.8,
    ),
    # keeping things as they are: the usual way to object to any change
    (
        r"(?:keep|keeping|kept) (?:\w+ ){0,3}?(?:open|going|running|as it is|as they are|where it is|the way it is)",
        "opp",
        1.8,
    ),
    (r"(?:stay|stays|staying) (?:open|as it is|as they are|the same)", "opp", 1.6),
    (r"please keep", "opp", 1.2),
    (r"(?:keep|keeping) (?:it|our|them|this|these|that|my)\b", "opp", 1.0),
    (r"(?:save|saving) (?:our|the|this|my|these|them)\b", "opp", 1.2),
    (r"(?:leave|leave it|leave them) (?:alone|as it is|as they are)", "opp", 1.6),
    (r"(?:do not|please do not|never|not|no|stop|without) {act}", "opp", 1.6),
    (MODAL + r" not (?:be |have been |ever be )?{act}", "opp", 1.8),
    (
        r"(?:will|would|could|going to|set to) (?:\w+ ){0,2}?(?:suffer|disappear|die|struggle|be lost|be worse|"
        r"make (?:\w+ ){0,3}?worse|be left|hurt|devastate|lose)",
        "opp",
        0.8,
    ),
    (r"(?:left behind|abandoned|gone for good|never get (?:it|them) back|worse off)", "opp", 0.8),
    (
        r"(?:is|are|was|were|it is|still) (?:a |an )?(?:vital|essential|invaluable|much needed|needed|"
        r"important|necessary)",
        "opp",
        0.6,
    ),
    (
        r"(?:we|they|people|i|everyone) (?:still |really |desperately )?(?:need|needs|rely on|depend on|use) "
        r"(?:it|this|them|our|the|a|that)\b",
        "opp",
        0.6,
    ),
    (
        r"(?:bad|terrible|awful|stupid|silly|ridiculous|poor|dreadful|crazy|mad|daft|misguided|foolish|wrong|"
        r"flawed|disastrous) (?:idea|move|decision|plan|proposal|call|policy)",
        "opp",
        1.8,
    ),
    (
        r"(?:makes no sense|does not make (?:any )?sense|no sense|not make sense|false economy|short[- ]?sighted|"
        r"ill[- ]conceived)",
        "opp",
        1.5,
    ),
    (
        r"(?:nonsense|ridiculous|absurd|madness|insane|crazy|ludicrous|farce|disgrace|disgraceful|shameful|"
        r"shame|scandal|scandalous|outrageous|appalling|reckless|irresponsible|unacceptable|unfair|unjust|"
        r"disaster|disastrous|catastrophic|betrayal|excessive|draconian|heavy[- ]handed|overreach|pointless|"
        r"unworkable|counterproductive|mistake|wrong|stupid|idiotic|joke|shocking|senseless|insulting|"
        r"disgusted|furious|outraged|horrified|dismayed|appalled|saddened|worried|concerned|slippery slope|"
        r"too far|overkill|unnecessary|will not work|not work|not (?:the )?(?:answer|solution))",
        "eopp",
        0.9,
    ),
    # agreeing, explicitly
    (
        r"i (?:would )?(?:fully |strongly |totally |completely |wholeheartedly |also |do |therefore |"
        r"reluctantly |very much |broadly |generally |definitely )*(?:support|agree|back|endorse|welcome|"
        r"approve|accept)",
        "sup",
        2.0,
    ),
    (
        r"(?:support|supports|supported|supportive of|agree|agreed|in favour|in favor|all for|welcome|"
        r"welcomed|approve|endorse|for it)",
        "sup",
        0.9,
    ),
    (
        r"(?:go ahead|go for it|get on with it|do it|fine by me|fine with (?:me|it|this|that)|no objection|"
        r"no objections|no problem with|not a problem|about time|long overdue|overdue|fair enough|for the best|"
        r"the way forward|right thing|right decision|right call|right move|common sense|"
        r"makes? (?:perfect |a lot of |good |complete |total )?sense|good thing|no brainer|no-brainer|"
        r"(?:am|are) happy|happy (?:with|for|to see|about))",
        "sup",
        1.5,
    ),
    (
        r"(?:good|great|excellent|sensible|brilliant|wise|sound|reasonable|positive|necessary|welcome) "
        r"(?:idea|move|decision|plan|proposal|call|step|change|policy)",
        "sup",
        1.8,
    ),
    (
        r"(?:will not|would not|nobody will|no one will|not) (?:really )?(?:be missed|miss it|notice|"
        r"make (?:any|much) difference)",
        "sup",
        1.0,
    ),
    (
        r"(?:waste of (?:space|resources|time)|hard to justify|can not justify|not justify|"
        r"not worth (?:it|keeping)|no longer needed|not needed|have to adapt|will adapt|manage fine|"
        r"(?:got|get) used to it)",
        "sup",
        0.8,
    ),
    (
        r"(?:understand (?:why|the need|the reasons|it)|reluctantly|realistic|inevitable|needs to change|"
        r"has to change|time for change|has to stop|must stop|needs to stop|needs to end)",
        "sup",
        0.7,
    ),
    (
        r"(?:sensible|reasonable|sound|fine|good|great|excellent|brilliant|wise|welcome|positive|pragmatic|"
        r"justified|right|correct|logical|progress|efficient|overdue|agreed|fair)",
        "esup",
        0.9,
    ),
    (
        MODAL + r" (?:just |definitely |absolutely |all |simply |really |then )?(?:be |have been |"
        r"be completely |be totally )?{act}",
        "sup",
        1.6,
    ),
    (r"(?:let it|let them|happy for (?:it|them) to|allow (?:it|them) to) {act}", "sup", 1.5),
    # a bare answer opening the response
    (r"(?:yes|yep|yeah|absolutely|definitely|agreed|of course|certainly|100%)(?= |[,.!]|$)", "start_sup", 1.6),
    (r"(?:no|nope|absolutely not|definitely not|certainly not|never)(?=[,.!]| |$)", "start_opp", 1.6),
]

# General evaluative words, read only in sentences about the proposal's object: praising the thing a
# proposal would remove is objecting; condemning it is agreeing.
POSITIVE_WORDS = frozenset(
    """good great excellent brilliant wonderful fantastic helpful useful valuable vital essential important
    needed invaluable reliable convenient love loved enjoy benefit benefits beneficial""".split()
)
NEGATIVE_WORDS = frozenset(
    """bad terrible awful horrible dreadful appalling damaging dangerous toxic devastating misery
    wasteful useless pointless disgusting""".split()
)
# Words of a consultation's question that say how it is asked, not what it is about.
QUESTION_WORDS = frozenset(
    """proposal proposals propose proposed respondent respondents response responses theme themes question
    questions agree agrees disagree accept accepts favours favour think would should
    could what which whether while during completely totally fully about plan plans""".split()
)
_CONSEQUENCE_RE = re.compile(
    r"\b(?:worse|suffer|suffers|lose|lost|losing|hurt|damage|damaging|devastat\w*|struggle|"
    r"struggling|chaos|disaster|nowhere|left with|gone for good|for ever|forever)\b"
)
# "to close", "be banned", "(closing the ...)": the verb a proposal's description uses for its action.
_ACTION_IN_PROPOSAL = re.compile(
    r"\b(?:to|be|being|been|were|was|is|are)\s+(?:completely\s+|fully\s+|partly\s+|permanently\s+)?([a-z]{3,})"
    r"|\(\s*([a-z]{3,}ing)\b"
)
_NOT_ACTIONS = frozenset("have make take give keep use used using able allowed about against more".split())


def proposal_actions(proposal: str | None) -> tuple[str, ...]:
    """Stems of the verbs the proposal's text uses for what it would do ("to close" -> "clos")."""
    found: list[str] = []
    for m in _ACTION_IN_PROPOSAL.finditer(normalise(proposal or "")):
        word = m.group(1) or m.group(2)
        if word in STOPWORDS or word in QUESTION_WORDS or word in _NOT_ACTIONS:
            continue
        if m.group(1) and not (word.endswith("ed") or m.group(0).startswith("to")):
            continue
        s = stem(word)
        if len(s) >= 3 and s not in found:
            found.append(s)
    return tuple(found[:3])


@lru_cache(maxsize=64)
def _compiled(actions: tuple[str, ...]):
    """The cue regexes with {act} bound to this proposal's action verbs (any inflection of their stems)."""
    inflected = [rf"{re.escape(s)}[a-z]*" for s in actions] + [re.escape(a) for a in GENERIC_ACTIONS]
    act = r"(?:" + "|".join(inflected) + r")"
    combined = re.compile(
        r"(?<![a-z0-9])(?:"
        + "|".join(f"(?P<c{i}>{p.replace('{act}', act)})" for i, (p, _, _) in enumerate(CUES))
        + r")(?![a-z0-9])"
    )
    imperative = re.compile(
        r"(?:^|[.!?;:]\s*|\b(?:just|please|so|then|simply|and)\s)"
        + act
        + r"(?= it| them| the| this| that| down| all| these| those| off|[.!,]|$)"
    )
    return combined, imperative, re.compile(r"\b" + act + r"\b")


def proposal_object(proposal: str | None) -> frozenset[str]:
    """Content stems naming what the proposal is about (e.g. "library", "pier"), from its own text."""
    if not proposal:
        return frozenset()
    actions = set(proposal_actions(proposal))
    words = [w for w in WORD_RE.findall(proposal.lower()) if len(w) > 2 and w not in STOPWORDS]
    stems = [
        stem(w)
        for w in words
        if w not in QUESTION_WORDS and w not in POSITIVE_WORDS and w not in NEGATIVE_WORDS and stem(w) not in actions
    ]
    return frozenset(stems)


def _object_sentiment(sentence: str, obj: frozenset[str]) -> float:
    """Net praise (+) or condemnation (-) in a sentence that names the proposal's object; 0 otherwise."""
    words = WORD_RE.findall(sentence)
    if not words or not any(stem(w) in obj for w in words):
        return 0.0
    net = 0.0
    for i, w in enumerate(words):
        polarity = 1.0 if w in POSITIVE_WORDS else -1.0 if w in NEGATIVE_WORDS else 0.0
        if polarity and any(x in ("not", "no", "never", "without") for x in words[max(0, i - 3) : i]):
            polarity = -polarity
        net += polarity
    return net


def cue_evidence(text: str, actions: tuple[str, ...] = (), obj: frozenset[str] = frozenset()) -> tuple:
    """(oppose, support, neutral, questions) evidence for one response."""
    t = normalise(text).strip()
    if not t:
        return 0.0, 0.0, 1.0, 0.0
    combined, imperative, action_re = _compiled(actions)
    opp = sup = neu = questions = 0.0
    sentences = SENTENCE_RE.findall(t) or [t]
    last = len(sentences) - 1
    for index, sentence in enumerate(sentences):
        s = sentence.strip()
        is_question = s.endswith("?")
        questions += is_question
        qf = QUESTION_WEIGHT if is_question else 1.0
        position = TOPIC_SENTENCE_WEIGHT if index == 0 or (index == last and last > 0) else 1.0
        contrast = CONTRAST_RE.search(s)
        contrast_at = contrast.start() if contrast else -1
        short = len(s.split()) <= 4
        has_target = bool(re.search(r"\b" + PROPOSAL_NOUNS + r"\b", s)) or bool(action_re.search(s))
        spans: list[tuple[int, int]] = []
        for m in combined.finditer(s):
            _, kind, weight = CUES[int(m.lastgroup[1:])]
            if kind.startswith("start_"):
                if not (index == 0 and m.start() == 0):
                    continue
                kind = kind[6:]
            spans.append((m.start(), m.end()))
            if kind in ("esup", "eopp"):
                weight *= 1.0 if (short or has_target) else EVALUATIVE_WITHOUT_TARGET
                kind = kind[1:]
            if contrast_at >= 0:
                weight *= CONTRAST_BEFORE if m.start() < contrast_at else CONTRAST_AFTER
            # a negator in the same clause, up to three words before the cue, flips it
            before = re.split(r"[,;:]|\bbut\b|\band\b", s[max(0, m.start() - 30) : m.start()])[-1]
            if kind in ("sup", "opp") and any(NEGATOR_RE.fullmatch(x) for x in before.split()[-3:]):
                kind = "opp" if kind == "sup" else "sup"
                weight *= NEGATED_CUE_WEIGHT
            if kind == "opp":
                opp += weight * qf * position
            elif kind == "sup":
                sup += weight * qf * position
            else:
                neu += weight
        for m in imperative.finditer(s):
            if any(a <= m.start() < b or a < m.end() <= b for a, b in spans):
                continue
            if NEGATOR_RE.search(s[max(0, m.start() - 12) : m.start()]):
                continue
            sup += IMPERATIVE_WEIGHT * qf
        acts = bool(action_re.search(s))
        if acts and _CONSEQUENCE_RE.search(s):
            opp += OBJECT_SENTIMENT_WEIGHT * qf
        elif obj and not acts:
            net = _object_sentiment(s, obj)
            if net > 0:
                opp += OBJECT_SENTIMENT_WEIGHT * min(net, OBJECT_SENTIMENT_CAP) * qf
            elif net < 0:
                sup += OBJECT_SENTIMENT_WEIGHT * min(-net, OBJECT_SENTIMENT_CAP) * qf
    return opp, sup, neu, questions
