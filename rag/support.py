"""Score how well one passage supports one claim, cheaply and without an LLM.

The verifier asks this for every (claim, passage) pair of an answer, so the scorer must be fast,
deterministic and explainable: it returns the score, the passage sentence it would quote as
evidence and the components the score was built from.

Components:
- lexical: weighted share of the claim's content words (lowercased, stopwords removed, light
  suffix stemming, a few aliases such as "U.S." = "United States") found anywhere in the passage;
- numeric: every figure in the claim must appear in the passage (`rag.numbers`) - a hard veto,
  the score is 0 if one is missing;
- embedding: cosine between the claim and the passage or its best-matching sentence, when the
  caller supplies vectors (the caller owns the model: pass an `embed` callable to
  `SupportScorer`, nothing here loads one);
- penalties: a name-like word of the claim ("Lynas", "NdPr", "Japan") absent from the passage, or
  a negation the best sentence does not share ("has not restricted" vs "banned"), halves the score.

score = 0.5 * lexical + 0.5 * cosine (lexical alone without vectors), times the penalties.

`SUPPORT_THRESHOLD` was calibrated with all-MiniLM-L6-v2 on tests/data/support_labelled.jsonl
(96 hand-labelled rare-earth pairs, 48 supported) by `python -m rag.calibrate_support`: at 0.60
precision is 0.93 and recall 0.83 (F1 0.88). These are in-sample figures on a small set.
Lexical-only scoring (no embedder) measured precision 0.95 / recall 0.75 at the same threshold.

Deliberately not handled: entailment beyond word overlap and similarity. Swapped roles between
names both present in the passage ("terbium" for "dysprosium"), modality ("plans to" vs "has")
and antonyms ("surplus" vs "scarce") get through when the words match; the numeric veto and the
name penalty catch the errors the small model makes most (wrong figures, wrong company).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.claims import split_sentences, strip_markers
from rag.numbers import Quantity, unsupported_quantities

Embed = Callable[[list[str]], np.ndarray]

SUPPORT_THRESHOLD = 0.60
LEXICAL_WEIGHT = 0.5
NAME_PENALTY = 0.5
NEGATION_PENALTY = 0.5

_STOPWORDS = frozenset(
    """a about above across after again against all almost along also although am among an and
    any are around as at be because been before being below between both but by can could did do
    does doing down during each either else etc ever every few for from further had has have
    having he her here hers him his how however i if in into is it its itself just least less
    like many may might more most much must my near nearly next of off on once one only onto or
    other our out over own per rather roughly same she should since so some such than that the
    their them then there these they this those through thus to too under until up upon us very
    via was we were what when where whether which while who whom whose why will with within would
    yet you your according accounted approximately currently reportedly said says also
    document documents passage passages source sources report reported""".split()
)
_NEGATIONS = frozenset("not no never none neither nor without cannot nothing".split())
# Multi-word names and demonyms folded onto one token before stemming.
_ALIASES = (
    (r"\bu\.\s?s\.(?:\s?a\.)?|\bunited states(?: of america)?\b|\bamerican?\b|\busa\b", " usa "),
    (r"\bdepartment of defen[cs]e\b|\bpentagon\b|\bdod\b", " dod "),
    (r"\bchinese\b|\bprc\b", " china "),
    (r"\baustralian\b", " australia "),
    (r"\bjapanese\b", " japan "),
    (r"\beuropean union\b", " eu "),
    (r"\bvietnamese\b", " vietnam "),
    (r"\belectric vehicles?\b", " ev "),
    (r"\bmetric tons?\b|\btonnes?\b|\btons?\b", " tonne "),
)
# words only: "FY2024", "Nd2Fe14B", "Q3" are left to the numeric check
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z](?:[A-Za-z'’-]*[A-Za-z])?(?![A-Za-z0-9])")


@dataclass(frozen=True)
class SupportScore:
    """How well a passage supports a claim, and why."""

    score: float  # in [0, 1]
    best_sentence: str  # the passage sentence to quote as evidence
    lexical: float  # weighted share of the claim's content words found in the passage
    cosine: float | None  # None when no vectors were given
    missing_numbers: tuple[Quantity, ...] = ()
    missing_names: tuple[str, ...] = ()
    negation_mismatch: bool = False
    components: dict[str, float] = field(default_factory=dict)

    @property
    def numeric_ok(self) -> bool:
        return not self.missing_numbers

    def supports(self, threshold: float = SUPPORT_THRESHOLD) -> bool:
        return self.numeric_ok and self.score >= threshold


def stem(word: str) -> str:
    """Light suffix stripping so "prices"/"price", "produced"/"produce" compare equal."""
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s?$", "", w)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and re.search(r"(?:ss|x|z|ch|sh)es$", w):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


def content_words(text: str) -> dict[str, bool]:
    """Stemmed content words of `text` -> whether the word looks like a name (capitalised)."""
    folded = text
    for pattern, repl in _ALIASES:
        folded = re.sub(pattern, repl, folded, flags=re.IGNORECASE)
    words: dict[str, bool] = {}
    for token in _TOKEN_RE.findall(folded):
        for part in token.split("-"):
            lower = part.lower().strip("'’")
            if len(lower) < 2 or lower in _STOPWORDS or lower in _NEGATIONS:
                continue
            name_like = part[:1].isupper() or lower in {"usa", "dod", "china", "eu", "ev"}
            key = stem(lower)
            words[key] = words.get(key, False) or name_like
    return words


def is_negated(text: str) -> bool:
    lowered = text.lower().replace("’", "'")
    return bool(set(re.findall(r"[a-z]+", lowered)) & _NEGATIONS) or "n't" in lowered


def passage_sentences(passage: str) -> list[str]:
    """The passage's sentences (lines first, then sentence splitting), markers removed."""
    sentences: list[str] = []
    for line in passage.splitlines():
        line = re.sub(r"^\s*(?:#{1,6}|[-*+•]|\d{1,2}[.)])\s+", "", line)
        sentences.extend(strip_markers(s) for s in split_sentences(line))
    return [s for s in sentences if s] or [passage.strip()]


def score_support(
    claim: str,
    passage: str,
    *,
    claim_vec: np.ndarray | None = None,
    passage_vec: np.ndarray | None = None,
    sentence_vecs: np.ndarray | None = None,
) -> SupportScore:
    """Score `passage` as support for `claim`. Vectors must be L2-normalised.

    `sentence_vecs` rows align with `passage_sentences(passage)`; the cosine used is the best of
    the whole passage and its sentences.
    """
    claim = strip_markers(claim)
    sentences = passage_sentences(passage)
    claim_words = content_words(claim)
    passage_words = content_words(passage)
    lexical = _coverage(claim_words, passage_words)
    sentence_lex = [_coverage(claim_words, content_words(s)) for s in sentences]

    cosine: float | None = None
    sentence_cos = [0.0] * len(sentences)
    if claim_vec is not None:
        candidates: list[float] = []
        if passage_vec is not None:
            candidates.append(float(np.dot(claim_vec, passage_vec)))
        if sentence_vecs is not None and len(sentence_vecs) == len(sentences):
            sentence_cos = [float(x) for x in np.asarray(sentence_vecs) @ claim_vec]
            candidates.extend(sentence_cos)
        if candidates:
            cosine = max(0.0, min(1.0, max(candidates)))

    best = max(range(len(sentences)), key=lambda i: sentence_lex[i] + sentence_cos[i])
    best_sentence = sentences[best]
    missing_numbers = tuple(unsupported_quantities(claim, passage))
    missing_names = tuple(w for w, name in claim_words.items() if name and w not in passage_words)
    negation_mismatch = is_negated(claim) != is_negated(best_sentence)

    base = lexical if cosine is None else LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * cosine
    score = base
    if missing_names:
        score *= NAME_PENALTY
    if negation_mismatch:
        score *= NEGATION_PENALTY
    if missing_numbers:
        score = 0.0
    components = {"lexical": lexical, "base": base}
    if cosine is not None:
        components["cosine"] = cosine
    return SupportScore(
        score=round(max(0.0, min(1.0, score)), 4),
        best_sentence=best_sentence,
        lexical=lexical,
        cosine=cosine,
        missing_numbers=missing_numbers,
        missing_names=missing_names,
        negation_mismatch=negation_mismatch,
        components=components,
    )


def _coverage(claim_words: dict[str, bool], passage_words: dict[str, bool]) -> float:
    """Share of claim words present, name-like words counting double. No words -> 0."""
    total = sum(2 if name else 1 for name in claim_words.values())
    if total == 0:
        return 0.0
    hit = sum(2 if name else 1 for w, name in claim_words.items() if w in passage_words)
    return hit / total


class SupportScorer:
    """Scores claims against passages, embedding each distinct text once per instance."""

    def __init__(self, embed: Embed | None = None) -> None:
        self._embed = embed
        self._vectors: dict[str, np.ndarray] = {}

    def prepare(self, claims: Sequence[str], passages: Sequence[str]) -> None:
        """Embed, in one batch, every claim, passage and passage sentence not seen yet."""
        if self._embed is None:
            return
        texts: list[str] = [strip_markers(c) for c in claims]
        for p in passages:
            texts.append(p)
            texts.extend(passage_sentences(p))
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if todo:
            vectors = np.asarray(self._embed(todo), dtype=np.float32)
            self._vectors.update(zip(todo, vectors, strict=True))

    def score(self, claim: str, passage: str) -> SupportScore:
        if self._embed is None:
            return score_support(claim, passage)
        self.prepare([claim], [passage])
        sentences = passage_sentences(passage)
        return score_support(
            claim,
            passage,
            claim_vec=self._vectors[strip_markers(claim)],
            passage_vec=self._vectors[passage],
            sentence_vecs=np.stack([self._vectors[s] for s in sentences]),
        )
