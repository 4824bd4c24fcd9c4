"""Stance toward "the proposal": zero-shot cue rules, optionally blended with a model learnt from labels.

The zero-shot cues are generic English for reacting to *a proposal* (a closure, a ban, a plan, a change):
explicit stance words ("I support", "I object"), evaluations ("sensible", "nonsense", "short-sighted"),
calls to carry out or stop the proposed action ("close it", "ban them", "don't close", "keep it open",
"save our ..."), uncertainty ("not sure", "both sides") and questions. Negation in the three words before a
cue flips it. Nothing here refers to any particular consultation's subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from .text import normalise, split_analyser

STANCES = ("oppose", "support", "neutral")
_OPP, _SUP, _NEU = 0, 1, 2

# Generic verbs/nouns for the action a proposal usually carries out (change to the status quo).
ACT = (
    r"(?:close|closed|closing|closure|shut(?: down| it down)?|shutting|ban|banned|banning|scrap|scrapped|"
    r"scrapping|remove|removed|removing|axe|axed|sell(?: off| it off)?|sold(?: off)?|selling|merge|merged|"
    r"abolish|abolished|prohibit|prohibited|restrict|restricted|outlaw|outlawed|phase(?:d)? out|"
    r"get rid of|go|gone|stop them|end it)"
)
ACT_NOUN = (
    r"(?:closure|closures|closing|closings|ban|bans|cuts|sale|plan|plans|proposal|proposals|changes|"
    r"decision|scheme|policy|idea|move)"
)
TARGET_RE = re.compile(
    r"\b(?:this|it|that|proposal|proposals|plan|plans|idea|decision|scheme|policy|move|"
    r"closure|closures|closing|close|shut|ban|banning|change|changes|cuts|sale)\b"
)
MODAL = r"(?:should|must|ought to|needs? to|has to|have to|had to|may as well|might as well|can|could|would)"
NEGATOR_RE = re.compile(r"\b(?:not|no|never|nobody|none|neither|nor|hardly|without)\b")

# (regex, kind, weight). kind: sup/opp/neu (fixed polarity), esup/eopp (evaluative: weaker without a target),
# start_sup/start_opp (only at the start of the response).
_CUES: list[tuple[str, str, float]] = [
    # --- neutral / uncertain (listed first so "no comment" beats the "no" answer cue)
    (r"no (?:strong )?(?:comment|view|views|opinion|preference|strong feelings)", "neu", 1.5),
    (
        r"(?:not sure|unsure|not certain|do not know|no idea|undecided|on the fence|torn|in two minds|"
        r"can see both sides|both sides|mixed (?:feelings|views)|either way|pros and cons|it depends|"
        r"depends on|hard to say|difficult to say|not saying|middle ground|we are split|no position)",
        "neu",
        1.3,
    ),
    (r"(?:do not|not) (?:really )?(?:mind|care)(?: either way)?", "neu", 0.8),
    # --- oppose: explicit
    (
        r"(?:i )?(?:\w+ )?(?:support|supports|in favour of|in favor of|want|wants|agree with|vote for|"
        r"back|backing) "
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
    (
        r"(?:oppose|opposed|opposing|object|objection|objections|disagree|disagreed|against|reject)",
        "opp",
        1.0,
    ),
    (r"(?:no way|hands off|over my dead body|think again|rethink|reconsider|u-turn)", "opp", 1.3),
    (
        r"(?:stop|halt|reverse|fight|resist|oppose|opposed to|object to|against|no to|say no to|scrap|drop|"
        r"abandon|withdraw|rethink|reconsider|block) (?:the |this |these |any |all |your |such )?"
        r"(?:proposed |planned |ridiculous |stupid |crazy )?" + ACT_NOUN,
        "opp",
        1.8,
    ),
    (r"(?:keep|keeping|kept) (?:\w+ ){0,3}?(?:open|going|running|as it is|where it is)", "opp", 1.8),
    (r"(?:keep|keeping) (?:it|our|them|this|these|that|my)\b", "opp", 1.0),
    (r"(?:save|saving) (?:our|the|this|my|these|them)\b(?! money| cash)", "opp", 1.2),
    (r"(?:stay|stays|staying|remain|remains|remaining|kept|left) open", "opp", 1.6),
    (r"(?:do not|please do not|never|not|no|stop|without) " + ACT, "opp", 1.6),
    (MODAL + r" not (?:be |have been |of been |ever be )?" + ACT, "opp", 1.8),
    (
        r"(?:will|would|could|going to|set to) (?:\w+ ){0,2}?"
        r"(?:suffer|disappear|die|struggle|be lost|be worse|"
        r"be left|hurt|harm|devastate|kill|destroy|ruin|lose)",
        "opp",
        0.8,
    ),
    (
        r"(?:less safe|unsafe|more dangerous|more vulnerable|left behind|abandoned|"
        r"never get it back|cut off|isolated)",
        "opp",
        0.8,
    ),
    (
        r"(?:is|are|was|were|it is|still) (?:a |an )?(?:vital|essential|invaluable|a lifeline|lifeline|"
        r"much needed|needed|important|necessary)",
        "opp",
        0.6,
    ),
    (
        r"(?:we|they|people|i|residents|everyone) (?:still |really |desperately )?(?:need|needs|rely on|"
        r"depend on|use) (?:it|this|them|our|the|a|that)\b",
        "opp",
        0.6,
    ),
    (r"(?:need|want|needs) more\b", "opp", 0.5),
    (
        r"(?:bad|terrible|awful|stupid|silly|ridiculous|poor|dreadful|crazy|mad|daft|misguided|foolish|"
        r"wrong|flawed|disastrous) (?:idea|move|decision|plan|proposal|call|choice|policy)",
        "opp",
        1.8,
    ),
    (
        r"(?:makes no sense|does not make (?:any )?sense|no sense|not make sense|false economy|"
        r"short[- ]?sighted|"
        r"penny[- ]pinching|ill[- ]conceived|cost[- ]cutting)",
        "opp",
        1.5,
    ),
    (
        r"(?:nonsense|ridiculous|absurd|madness|insane|crazy|ludicrous|farcical|farce|disgrace|disgraceful|"
        r"shameful|shame|scandal|scandalous|outrageous|appalling|reckless|irresponsible|unacceptable|unfair|"
        r"unjust|disaster|disastrous|catastrophic|betrayal|excessive|draconian|heavy[- ]handed|overreach|"
        r"nanny state|pointless|unworkable|counterproductive|mistake|wrong|stupid|idiotic|"
        r"joke|shocking|senseless|mad|bonkers|insulting|disgusted|furious|outraged|horrified|dismayed|"
        r"appalled|sad|saddened|worried|concerned|fear|afraid|dangerous|danger|risky|slippery slope|"
        r"where does it end|too far|overkill|extreme|unnecessary|won't work|will not work|not work|"
        r"not (?:the )?(?:answer|solution))",
        "eopp",
        0.9,
    ),
    # --- support: explicit
    (
        r"i (?:would )?(?:fully |strongly |totally |completely |wholeheartedly |also |do |therefore |"
        r"reluctantly |very much |broadly |generally |definitely )*"
        r"(?:support|agree|back|endorse|welcome|approve|accept)",
        "sup",
        2.0,
    ),
    (
        r"(?:support|supports|supported|supportive of|agree|agreed|in favour|in favor|all for|welcome|"
        r"welcomed|"
        r"approve|endorse|for it)",
        "sup",
        0.9,
    ),
    (
        r"(?:go ahead|go for it|get on with it|do it|fine by me|fine with (?:me|it|this|that)|no objection|"
        r"no objections|no problem with|not a problem|about time|long overdue|overdue|fair enough|"
        r"for the best|good riddance|let it go|the way forward|right thing|right decision|right call|"
        r"right choice|right move|common sense|makes? (?:perfect |a lot of |good |complete |total )?sense|"
        r"good thing|no brainer|no-brainer|be glad|(?:am|are) happy|happy (?:with|for|to see|about))",
        "sup",
        1.5,
    ),
    (
        r"(?:good|great|excellent|sensible|brilliant|smart|wise|sound|reasonable|positive|necessary|welcome|"
        r"long overdue) (?:idea|move|decision|plan|proposal|call|step|change|choice|policy)",
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
        r"(?:hardly anyone|hardly anybody|barely anyone|nobody uses|no one uses|hardly used|rarely used|"
        r"under-?used|relic|outdated|obsolete|out of date|waste of (?:money|space|resources|a good)|"
        r"hard to justify|can not justify|not justify|not worth (?:it|keeping)|no longer needed|not needed|"
        r"unnecessary expense|have to adapt|will adapt|manage fine|survived fine|survive without|"
        r"(?:got|get) used to it)",
        "sup",
        0.8,
    ),
    (
        r"(?:understand (?:why|the need|the reasons|it)|reluctantly|realistic|inevitable|has to give|"
        r"needs to change|has to change|time for change|has to stop|must stop|needs to stop|needs to end)",
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
        r"(?:should|must|ought to|needs? to|has to|have to|had to|may as well|might as well) "
        r"(?:just |definitely |absolutely |all |simply |really |then )?"
        r"(?:be |have been |of been |be completely |"
        r"be totally )?" + ACT,
        "sup",
        1.6,
    ),
    (r"(?:let it|let them|happy for (?:it|them|the \w+) to|allow (?:it|them) to) " + ACT, "sup", 1.5),
    # --- answers at the very start of a response
    (
        r"(?:yes|yep|yeah|absolutely|definitely|agreed|of course|certainly|100%)(?= |[,.!]|$)",
        "start_sup",
        1.6,
    ),
    (r"(?:no|nope|absolutely not|definitely not|certainly not|never)(?=[,.!]| |$)", "start_opp", 1.6),
]

# Generic evaluative vocabulary (no topic words). Used only relative to the proposal's *object*.
POS_WORDS = frozenset(
    """
good great excellent brilliant wonderful fantastic helpful useful valuable vital essential important needed
invaluable lifeline reassuring reassurance safe safer friendly kind caring reliable convenient accessible
landmark heart community love loved enjoy enjoyable fun exciting benefit benefits beneficial support supports
fund funds funding afford affordable thrive thriving survive viable jobs employ employs tradition culture
""".split()
)
NEG_WORDS = frozenset(
    """
bad terrible awful horrible dreadful appalling harmful harm harms damaging damage dangerous danger toxic
predatory manipulative exploit exploits exploitative exploiting insidious addictive addiction addicted ruin
ruined ruining ruins destroy destroyed destroying destruction devastating devastated misery suffering prey
target targeting targets tricks trap trapped hook hooked lure pushing bombard bombarded bombarding
relentless constant excessive overwhelming aggressive glamorise glamorous normalise normalises normalising
normalisation normalizes normalizing normalization wasteful waste useless pointless empty unused relic
outdated obsolete shut closed never rarely barely hardly nobody problem problems disgusting sick sickening
""".split()
)
_WORD_RE = re.compile(r"[a-z]+")
_PROPOSAL_STOP = frozenset(
    """
proposal proposals propose proposed respondent respondents response responses theme themes codebook question
questions consultation carry several none position agree agrees agreed disagree disagrees accept accepts
used use using approach approaches alternative alternatives view views mixed against accepts favours
favour wants kept
open keep clear off topic think impact would what which should could while protecting whether during
completely totally fully also have has been being they their there these those from into with without about
""".split()
)


_BROAD_FIELDS = frozenset(
    {
        "@process",
        "@presence",
        "@government",
        "@freedom",
        "@community",
        "@numbers",
        "@support",
        "@money",
        "@phone",
        "@reporting",
    }
)


def _proposal_terms(proposal: str | None) -> frozenset[str]:
    """Content stems (and semantic fields) naming the *object* of the proposal, e.g. "station", "advert"."""
    if not proposal:
        return frozenset()
    from .lexicon import expand
    from .text import STOPWORDS, stem

    words = [
        w
        for w in _WORD_RE.findall(proposal.lower())
        if len(w) > 2 and w not in STOPWORDS and w not in _PROPOSAL_STOP
    ]
    act = re.compile(ACT + "$")
    stems = [stem(w) for w in words if not act.match(w) and w not in POS_WORDS and w not in NEG_WORDS]
    fields = [f for f in expand(stems[:4]) if f.startswith("@") and f not in _BROAD_FIELDS]
    return frozenset(stems) | frozenset(fields)


_COMBINED = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(f"(?P<c{i}>{p})" for i, (p, _, _) in enumerate(_CUES)) + r")(?![a-z0-9])"
)
_IMPERATIVE = re.compile(
    r"(?:^|[.!?;:]\s*|\b(?:just|please|so|then|simply|and)\s)"
    + ACT
    + r"(?= it| them| the| this| that| down| all| these| those| off|[.!,]|$)"
)
_SENT_SPLIT = re.compile(r"[^.!?\n]+[.!?\n]*")
_CONTRAST = re.compile(r"\b(?:but|however|although|though|yet|whereas|that said|having said that)\b")


def _object_sentiment(sent: str, obj: frozenset[str]) -> float:
    """Net sentiment (+ positive) of a sentence that talks about the proposal's object, else 0."""
    from .lexicon import expand
    from .text import stem

    words = _WORD_RE.findall(sent)
    if not words:
        return 0.0
    stems = expand([stem(w) for w in words])
    if not any(x in obj for x in stems):
        return 0.0
    pos = neg = 0.0
    for i, w in enumerate(words):
        pol = 1.0 if w in POS_WORDS else -1.0 if w in NEG_WORDS else 0.0
        if pol and any(x in ("not", "no", "never", "without") for x in words[max(0, i - 3) : i]):
            pol = -pol
        if pol > 0:
            pos += pol
        elif pol < 0:
            neg -= pol
    return pos - neg


def _cue_scores(text: str, obj: frozenset[str] = frozenset()) -> tuple[float, float, float, float]:
    """Return (oppose, support, neutral, n_questions) evidence for one response.

    ``obj``: stems naming the proposal's object (what would be closed/banned); positive talk about it counts
    as opposition, negative talk about it as support.
    """
    t = normalise(text).strip()
    if not t:
        return 0.0, 0.0, 1.0, 0.0
    opp = sup = neu = 0.0
    n_q = 0.0
    sentences = _SENT_SPLIT.findall(t) or [t]
    first = True
    n_sent = len(sentences)
    for si, sent in enumerate(sentences):
        s = sent.strip()
        is_q = s.endswith("?")
        if is_q:
            n_q += 1
        qf = 0.45 if is_q else 1.0
        # later sentences carry a little more weight (conclusions), first sentence also (topic sentence)
        pos_w = 1.15 if (si == n_sent - 1 and n_sent > 1) or si == 0 else 1.0
        cm = _CONTRAST.search(s)
        cpos = cm.start() if cm else -1
        words = s.split()
        short = len(words) <= 4
        has_target_sent = bool(TARGET_RE.search(s))
        matched_spans: list[tuple[int, int]] = []
        for m in _COMBINED.finditer(s):
            idx = int(m.lastgroup[1:])
            _, kind, w = _CUES[idx]
            if kind.startswith("start_"):
                if not (first and m.start() == 0):
                    continue
                kind = kind[6:]
            matched_spans.append((m.start(), m.end()))
            cw = 1.0
            if cpos >= 0:
                cw = 0.75 if m.start() < cpos else 1.3
            if kind in ("esup", "eopp"):
                if not (short or has_target_sent):
                    w *= 0.45
                kind = kind[1:]
            # negation in the few words before the cue (same clause) flips sup/opp
            pre = s[max(0, m.start() - 30) : m.start()]
            pre = re.split(r"[,;:]|\bbut\b|\band\b", pre)[-1]
            pre_words = pre.split()[-3:]
            negated = any(NEGATOR_RE.fullmatch(x) for x in pre_words)
            if negated and kind in ("sup", "opp"):
                kind = "opp" if kind == "sup" else "sup"
                w *= 0.9
            val = w * cw * qf * pos_w
            if kind == "opp":
                opp += val
            elif kind == "sup":
                sup += val
            elif kind == "neu":
                neu += w
        for m in _IMPERATIVE.finditer(s):
            st = m.start()
            if any(a <= st < b or a < m.end() <= b for a, b in matched_spans):
                continue
            pre = s[max(0, st - 12) : st]
            if NEGATOR_RE.search(pre):
                continue
            sup += 1.6 * qf
        acts = has_action(s)
        if acts and _CONSEQUENCE_RE.search(s):
            opp += 0.6 * qf
        elif obj and not acts:
            senti = _object_sentiment(s, obj)
            if senti > 0:
                opp += 0.5 * min(senti, 2.0) * qf
            elif senti < 0:
                sup += 0.5 * min(-senti, 2.0) * qf
        first = False
    return opp, sup, neu, n_q


_CONSEQUENCE_RE = re.compile(
    r"\b(?:worse|suffer|suffers|lose|lost|losing|loss|never get|harm|hurt|damage|damaging|devastat\w*|kill|"
    r"isolated|stranded|struggle|struggling|chaos|disaster|unsafe|less safe|rise|rising|increase|"
    r"nowhere|no one|nobody to|left with|will not happen|gone for good|for ever|forever)\b"
)
_ACTION_RE = re.compile(r"\b" + ACT + r"\b")


def has_action(sentence: str) -> bool:
    return bool(_ACTION_RE.search(sentence))


def zero_shot_scores(texts: Sequence[str], proposal: str | None = None) -> np.ndarray:
    """Raw evidence matrix (n, 4): oppose, support, neutral, questions."""
    obj = _proposal_terms(proposal)
    return np.array([_cue_scores(t, obj) for t in texts], dtype=float).reshape(len(texts), 4)


NEUTRAL_BASE = 0.5


def _zero_shot_proba(ev: np.ndarray) -> np.ndarray:
    opp, sup, neu, nq = ev[:, 0], ev[:, 1], ev[:, 2], ev[:, 3]
    mixed = np.minimum(opp, sup)
    neutral = NEUTRAL_BASE + neu + 0.35 * np.minimum(nq, 3) + 0.5 * mixed
    logits = np.stack([opp - 0.5 * mixed, sup - 0.5 * mixed, neutral], axis=1) * 1.4
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def _ngram_docs(texts: Sequence[str]) -> list[str]:
    from .text import analyse_for_model

    out = []
    for t in texts:
        toks = analyse_for_model(t).split()
        bi = [a + "_" + b for a, b in zip(toks, toks[1:], strict=False)]
        out.append(" ".join(["__bias__"] + toks + bi))
    return out


class StanceModel:
    """Stance toward the proposal: ``oppose`` / ``support`` / ``neutral``.

    ``proposal`` (optional): a sentence describing what is proposed, e.g. the consultation question or the
    codebook description. Its content words name the proposal's object, so that praise of the object
    ("the counter is a lifeline") counts against the proposal and criticism of it ("these ads are
    predatory") for it. Untrained it uses the zero-shot cues. After :meth:`fit` a logistic regression over
    negation-marked
    word n-grams plus the cue evidence is blended with the cue prior; the blend weight grows with the
    amount of training data (``n / (n + prior_strength)``).
    """

    labels = STANCES

    def __init__(self, proposal: str | None = None, prior_strength: float = 20.0, C: float = 2.0):
        self.proposal = proposal
        self.prior_strength = prior_strength
        self.C = C
        self._vec = None
        self._clf = None
        self._classes: list[str] = []
        self._single: str | None = None
        self.n_train = 0

    # -- features
    def _features(self, texts: Sequence[str], ev: np.ndarray, fit: bool = False):
        docs = _ngram_docs(texts)
        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._vec = TfidfVectorizer(
                analyzer=split_analyser, sublinear_tf=True, min_df=1, dtype=np.float32
            )
            X = self._vec.fit_transform(docs)
        else:
            X = self._vec.transform(docs)
        zp = _zero_shot_proba(ev)
        dense = np.column_stack([np.log1p(ev[:, :3]), np.minimum(ev[:, 3], 3) / 3.0, zp]).astype(np.float32)
        return sparse.hstack([X, sparse.csr_matrix(dense * 0.8)], format="csr")

    def fit(self, texts: Sequence[str], stances: Sequence[str], weights: Sequence[float] | None = None):
        from sklearn.linear_model import LogisticRegression

        texts = list(texts)
        y = [s if s in STANCES else "neutral" for s in stances]
        self.n_train = len(texts)
        self._single = None
        if len(set(y)) < 2:
            # one class only (e.g. every coded response agreed): nothing to discriminate, so learn the prior
            self._clf = None
            self._single = y[0] if y else None
            return self
        ev = zero_shot_scores(texts, self.proposal)
        X = self._features(texts, ev, fit=True)
        sw = None if weights is None else np.asarray(weights, dtype=float)
        clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        clf.fit(X, y, sample_weight=sw)
        self._clf = clf
        self._classes = list(clf.classes_)
        return self

    def predict_proba(self, texts: Sequence[str], batch_size: int = 4096) -> np.ndarray:
        """(n, 3) probabilities in the order of :attr:`labels`."""
        texts = list(texts)
        if len(texts) > batch_size:  # batches keep the per-text normalisation caches warm
            parts = [self._predict_proba(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
            return np.vstack(parts)
        return self._predict_proba(texts)

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        ev = zero_shot_scores(texts, self.proposal)
        p0 = _zero_shot_proba(ev)
        if self._clf is None:
            if getattr(self, "_single", None) and self.n_train:
                a = self.n_train / (self.n_train + self.prior_strength)
                onehot = np.zeros_like(p0)
                onehot[:, STANCES.index(self._single)] = 1.0
                return a * onehot + (1 - a) * p0
            return p0
        X = self._features(texts, ev)
        pl = np.zeros_like(p0)
        pc = self._clf.predict_proba(X)
        for j, c in enumerate(self._classes):
            pl[:, STANCES.index(c)] = pc[:, j]
        a = self.n_train / (self.n_train + self.prior_strength)
        return a * pl + (1 - a) * p0

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        p = self.predict_proba(texts)
        idx = p.argmax(axis=1)
        return [(STANCES[i], float(round(p[k, i], 4))) for k, i in enumerate(idx)]


def explain(text: str, proposal: str | None = None) -> dict[str, float]:
    """Debug helper: the raw cue evidence for one text."""
    o, s, n, q = _cue_scores(text, _proposal_terms(proposal))
    return {
        "oppose": o,
        "support": s,
        "neutral": n,
        "questions": q,
        "p_oppose": float(_zero_shot_proba(np.array([[o, s, n, q]]))[0, 0]),
    }
