"""The engine's word lists hold general English only: no topic word of our evaluation sets.

Topic words are read from ../shared/data (skipped, with the reason, when it is missing): every content word of
the codebooks' theme labels and descriptions and of the consultations' questions. The engine may keep the
grammar of agreeing and objecting, so the few words the issue names as that grammar are allowed.
"""

import ast
import json
import re
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from consultation.analysis.engine.text import stem
from tests.conftest import shared_path

ENGINE_DIR = Path(__file__).resolve().parents[2] / "consultation" / "analysis" / "engine"
CODEBOOKS = (("codebook.json",), ("gambling_xs", "codebook_part1.json"), ("gambling_xs", "codebook_part2.json"))
# The grammar of taking a position (the issue lets the engine keep it), and words that say how a codebook is
# written rather than what it is about.
STANCE_GRAMMAR = {"support", "oppose", "against", "agree", "agrees", "disagree", "accept", "accepts", "favour"}
CODEBOOK_FORM = {
    "proposal", "proposals", "response", "responses", "respondent", "theme", "themes", "codebook", "question",
    "suggestions", "arguments", "emphasis", "emphasizing", "focus", "ideas", "approaches", "carry", "several",
    "converted", "synthetic", "evaluation", "licence", "given", "listed", "covered", "discusses", "topic",
    "provide", "substantive", "answer", "apply", "reason", "does", "only", "none", "rather", "like",
}  # fmt: skip
# Everyday words of argument that every consultation uses, whatever it is about.
EVERYDAY = {
    "need", "needs", "needed", "keep", "keeping", "save", "saving", "think", "view", "views", "feelings",
    "strong", "strongly", "complete", "completely", "opposed", "opposing", "decision", "change", "changes",
    "concerned", "worried", "problem", "solution", "people", "person", "time", "times", "used", "using", "clear",
}  # fmt: skip
# Words that introduce someone's contact details, which the personal-data detector must know.
CONTACT_DETAILS = {"phone", "called"}


def _codebook_text(data: dict) -> str:
    parts = [data.get("description", "")]
    for key, value in (data.get("themes") or {}).items():
        parts.append(key.replace("_", " "))
        parts.append(value if isinstance(value, str) else f"{value.get('label', '')} {value.get('description', '')}")
    return " ".join(parts)


def topic_words() -> set[str]:
    words: set[str] = set()
    for parts in CODEBOOKS:
        data = json.loads(shared_path("data", *parts).read_text(encoding="utf-8"))
        text = _codebook_text(data).lower()
        words |= {w for w in re.findall(r"[a-z]+", text) if len(w) >= 4}
    allowed = STANCE_GRAMMAR | CODEBOOK_FORM | EVERYDAY | CONTACT_DETAILS
    allowed_stems = {stem(w) for w in allowed}
    return {w for w in words - ENGLISH_STOP_WORDS - allowed if stem(w) not in allowed_stems}


def engine_words() -> dict[str, set[str]]:
    """Every lower-case word in the string constants engine modules define at module level.

    Docstrings and ``__all__`` are not word lists; capitalised words (street types such as "Close" in the
    address pattern) match proper nouns, not vocabulary.
    """
    found: dict[str, set[str]] = {}
    for path in sorted(ENGINE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                continue
            for leaf in ast.walk(node):
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                    for word in re.findall(r"(?<![A-Za-z])[a-z]+", leaf.value):
                        if len(word) >= 4:
                            found.setdefault(word, set()).add(path.name)
    return found


def test_engine_word_lists_hold_no_topic_word_of_the_evaluation_sets():
    topics = topic_words()
    topic_stems = {stem(w): w for w in topics}
    assert {"station", "gambling", "advertisements", "travel", "addiction"} <= topics  # the list is real
    clashes = {
        word: sorted(files) for word, files in engine_words().items() if word in topics or stem(word) in topic_stems
    }
    assert not clashes, f"topic words of the evaluation sets in the engine's word lists: {clashes}"


def test_the_vocabulary_check_finds_a_planted_topic_word(tmp_path):
    # the check itself must be able to fail: a word list holding "gambling" is caught
    planted = {"gambling": {"planted.py"}}
    assert any(stem(w) in {stem(t) for t in topic_words()} for w in planted)
