"""Score how well one passage supports one claim, cheaply and without an LLM.

The verifier asks this for every (claim, passage) pair of an answer, so the scorer must be fast,
deterministic and explainable: it returns the score, the passage sentence it would quote as
evidence and the components the score was built from.

Components:
- lexical: weighted share of the claim's content words (lowercased, stopwords removed, light
  suffix stemming, aliases such as "U.S." = "United States", "Chinese" = "China", "MOFCOM" =
  China's commerce ministry, "global" = "world", "temperatures" = "heat", accents dropped, element
  symbols spelled out by `rag.elements`: "Dy" = "dysprosium") found anywhere in the passage, a
  word also matching through a derivational base ("producer"/"production" meet at "produc");
  name-like (capitalised) words count double;
- numeric: every figure in the claim must appear in the passage (`rag.numbers`) - a hard veto,
  the score is 0 if one is missing;
- embedding: cosine between the claim and the passage or its best-matching sentence, when the
  caller supplies vectors (the caller owns the model: pass an `embed` callable to
  `SupportScorer`, nothing here loads one);
- penalties, each halving the score: a name-like word or element name of the claim absent from
  the passage ("MP Materials" against a Lynas passage, "holmium" against a list without it); a
  negation the evidence sentence does not share; an opposite in the evidence ("fell" vs "rose",
  "scarce" vs "surplus", "the sources agree" vs "a different figure", "cost" vs "loan");
  evidence that is a forecast or plan ("expected to", "could") stated by the claim as fact - for
  a claim with figures, judged on the clauses holding them; a superlative the passage lacks
  ("largest" where it says "second-largest"); a world figure ("Global mine production rose to
  390,000 t") given to a named country or company ("scope").

score = 0.5 * lexical + 0.5 * cosine (lexical alone without vectors), times the penalties.
A claim opening with "It ..." may be scored with `context` (the sentence it refers to): the
context counts for words and meaning only, never for figures or the penalty rules.

`SUPPORT_THRESHOLD` = 0.70, calibrated on the labelled pairs of `tests/data/` with
`python -m rag.calibrate_support` (the figures and how they moved are in the README,
"Verification"). Word lists (stopwords, negations, opposites, hedges, aliases) are data, in
`rag/lexicon.yaml`.

Deliberately not handled: entailment beyond words, similarity and the rules above. Swapped roles
between names both present in the passage ("terbium" for "dysprosium"), relations ("second-largest
producer" where the passage says reserves), tense ("won the arbitration" vs "launched") and
contradictions without a listed antonym ("increase" vs "stop") get through.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.claims import strip_markers
from rag.elements import ELEMENT_NAMES, spell_out_symbols
from rag.lexicon import lexicon
from rag.numbers import Quantity, extract_quantities, unsupported_quantities
from rag.records import check_records, is_record, misread_in_prose, parse_records, strip_notes
from ree.runtime.memo import EmbeddingMemo
from ree.text import YEAR_RE, split_sentences, stem

Embed = Callable[[list[str]], np.ndarray]

SUPPORT_THRESHOLD = 0.70
LEXICAL_WEIGHT = 0.5
#: The word coverage given to a claim whose every figure is read from an agreeing table cell
#: (right row and column, `rag.records`): records share few words with a sentence about them.
RECORD_BACKED = 1.0


_LEXICON = lexicon()
_STOPWORDS = _LEXICON.stopwords
_NEGATIONS = _LEXICON.negations
_HEDGES = _LEXICON.hedges
_NAME_WORDS = _LEXICON.name_words
_QUALIFIER_RE = re.compile(
    r"\b(?:(second|third|fourth|fifth|2nd|3rd|4th|5th)[\s-]+)?"
    r"(largest|biggest|smallest|highest|lowest|first|sole|leading|top|record|ever|all-time"
    r"|unprecedented)\b|\bthe (only)\b",
    re.IGNORECASE,
)
PENALTY = 0.5  # per distinct reason a match looks wrong
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
    penalties: tuple[str, ...] = ()  # "name", "negation", "opposite", "hedge", "qualifier"
    unmet: str = ""  # a constraint of the question the passage does not match (set by verify)
    wrong_cells: tuple[str, ...] = ()  # figures read from another row or column of a table

    @property
    def base(self) -> float:
        """The words-and-meaning blend before penalties and the figure veto."""
        if self.cosine is None:
            return self.lexical
        return LEXICAL_WEIGHT * self.lexical + (1 - LEXICAL_WEIGHT) * self.cosine

    @property
    def numeric_ok(self) -> bool:
        return not self.missing_numbers

    def supports(self, threshold: float = SUPPORT_THRESHOLD) -> bool:
        return self.numeric_ok and not self.unmet and self.score >= threshold

    def components(self) -> dict[str, float | None]:
        return {"score": self.score, "lexical": round(self.lexical, 4), "cosine": self.cosine}


_OPPOSITE_STEMS = tuple(
    (frozenset(map(stem, a)), frozenset(map(stem, b))) for a, b in _LEXICON.opposites
)


def content_words(text: str) -> dict[str, bool]:
    """Stemmed content words of `text` -> whether the word looks like a name (capitalised)."""
    return dict(_content_words(text))


@functools.lru_cache(maxsize=4096)  # passages are re-read for every claim of an answer
def _content_words(text: str) -> tuple[tuple[str, bool], ...]:
    folded = _fold(text)
    for pattern, repl in _LEXICON.aliases:
        folded = pattern.sub(repl, folded)
    folded = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), folded)
    words: dict[str, bool] = {}
    for token in _TOKEN_RE.findall(folded):
        for part in token.split("-"):
            lower = part.lower().strip("'’")
            if len(lower) < 2 or lower in _STOPWORDS or lower in _NEGATIONS:
                continue
            name_like = part[:1].isupper() or lower in _NAME_WORDS
            key = stem(lower)
            words[key] = words.get(key, False) or name_like
    return tuple(words.items())


#: An acronym written with dots ("M.P. Materials", "E.U."), read as the one word it is ("MP");
#: "U.S." is an alias of the lexicon, folded before this.
_DOTTED_ACRONYM = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}")


def _fold(text: str) -> str:
    """Element symbols spelled out ("Dy" -> "dysprosium"), accents dropped ("Sillamäe")."""
    text = spell_out_symbols(text)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_DERIVATIONAL = ("ation", "tion", "ion", "ment", "ers", "er", "or")


@functools.lru_cache(maxsize=8192)
def word_bases(word: str) -> frozenset[str]:
    """A stem and its derivational bases, so "producer", "production" and "produce" meet at
    "produc". Bases shorter than five letters are dropped ("station" must not meet "state")."""
    bases = {word}
    for suffix in _DERIVATIONAL:
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            base = word[: -len(suffix)]
            bases.add(base[:-1] if base.endswith("e") else base)
    return frozenset(bases)


@functools.lru_cache(maxsize=1024)
def _bases_of(passage_words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(b for w in passage_words for b in word_bases(w))


def present(word: str, passage_words: dict[str, bool]) -> bool:
    """`word` (a stem) or one of its derivational bases occurs among the passage's stems."""
    return word in passage_words or bool(word_bases(word) & _bases_of(tuple(passage_words)))


def _stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z]+", text.lower().replace("’", "'"))}


#: "not later than 1 year", "no less than 10%", "not to exceed $5 million": a bound on a date or
#: an amount (the wording of statutes and orders), not a negated statement.
_BOUND_PHRASE = re.compile(
    r"\b(?:not|no)\s+(?:later|earlier|sooner|less|more|fewer|greater|lower|higher)\s+than\b"
    r"|\bnot\s+to\s+exceed\b"
)


def is_negated(text: str) -> bool:
    lowered = _BOUND_PHRASE.sub(" ", text.lower().replace("’", "'"))
    return bool(set(re.findall(r"[a-z]+", lowered)) & _NEGATIONS) or "n't" in lowered


def has_opposite(claim: str, evidence: str) -> bool:
    """The evidence says the opposite: claim "rose", evidence "fell" (and not "rose")."""
    c, e = _stems(claim), _stems(evidence)
    for a, b in _OPPOSITE_STEMS:
        if (c & a and e & b and not e & a) or (c & b and e & a and not e & b):
            return True
    return False


def is_hedged(text: str) -> bool:
    """A forecast, plan or possibility ("expected to", "could", "plans", "is to be
    commissioned"); "May" is a month."""
    return bool(_hedge_words(text)) or bool(_IS_TO_RE.search(text))


def _hedge_words(text: str) -> set[str]:
    return {
        w.lower() for w in re.findall(r"[A-Za-z]+", text) if w.lower() in _HEDGES and w != "May"
    }


#: "The 10X facility is to be commissioned in 2028", "is set to open", "are due to start".
_IS_TO_RE = re.compile(r"\b(?:is|are)\s+(?:set\s+|due\s+)?to\s+(?:be\s+)?[a-z]+", re.IGNORECASE)


def _scheduled(clause: str, claim: str) -> bool:
    """A decided, dated change, not a possibility: "The tariff rate will increase from 25% to
    100% in 2024" backs "the action raised the rate from 25% to 100% in 2024". Only "will", and
    a year the claim states too."""
    years = set(YEAR_RE.findall(clause))
    return _hedge_words(clause) == {"will"} and bool(years & set(YEAR_RE.findall(claim)))


def qualifiers(text: str) -> set[str]:
    """Superlatives with their ordinal: {"second largest", "first", "only"}."""
    found = set()
    for m in _QUALIFIER_RE.finditer(text):
        word = (m.group(2) or m.group(3)).lower()
        found.add(f"{m.group(1).lower()} {word}" if m.group(1) else word)
    return found


def passage_sentences(passage: str) -> list[str]:
    """The passage's sentences (lines first, then sentence splitting), markers removed."""
    return list(_passage_sentences(passage))


@functools.lru_cache(maxsize=1024)
def _passage_sentences(passage: str) -> tuple[str, ...]:
    sentences: list[str] = []
    for line in passage.splitlines():
        line = re.sub(r"^\s*(?:#{1,6}|[-*+•]|\d{1,2}[.)])\s+", "", line)
        if is_record(line.strip()):
            sentences.extend(record_pieces(line.strip()))
        else:
            sentences.extend(strip_markers(s) for s in split_sentences(line))
    return tuple(s for s in sentences if s) or (passage.strip(),)


def record_pieces(record: str) -> list[str]:
    """A table record as the sentences a claim is matched with: the whole record, then each cell
    with its row label ("Lutetium: discovered_by = Georges Urbain"). A claim about one cell of a
    twenty-column row ("Georges Urbain discovered lutetium") is close in meaning to that cell, not
    to the whole row, so the cell is what its embedding is compared with and what is quoted."""
    cells = parse_records(record)
    if len(cells) < 2:
        return [record]
    return [record, *(c.line for c in cells)]


@dataclass(frozen=True)
class Frame:
    """What a claim may restate without the passage repeating it: the question's words and
    figures. `Frame.of(question)` builds one; `Frame()` is no frame (every word is checked)."""

    words: dict[str, bool] = field(default_factory=dict)  # the question's content words (stems)
    quantities: tuple[Quantity, ...] = ()
    text: str = ""

    @classmethod
    def of(cls, question: str) -> Frame:
        return cls(content_words(question), tuple(extract_quantities(question)), question)


NO_FRAME = Frame()


def score_support(
    claim: str,
    passage: str,
    *,
    claim_vec: np.ndarray | None = None,
    passage_vec: np.ndarray | None = None,
    sentence_vecs: np.ndarray | None = None,
    context: str = "",
    frame: Frame = NO_FRAME,
    document: str = "",
) -> SupportScore:
    """Score `passage` as support for `claim`. Vectors must be L2-normalised.

    `sentence_vecs` rows align with `passage_sentences(passage)`; the cosine used is the best of
    the whole passage and its sentences. `context` (the sentence an "It ..." claim refers to)
    joins the claim for words and meaning - `claim_vec` is then the vector of
    `with_context(claim, context)` - but never for figures, negation or the other rules.

    `frame` (the question) and `document` (the passage's document: title, date, file name) make
    the check about what the claim adds: words the claim restates from the question are not
    checked unless nothing else is left (a yes/no answer restating the question is then checked
    whole), words of the document's title and name count as the passage's, and a figure the
    question gave (a year, a section number) may be matched by the document instead of the
    passage text ("the May 2024 fact sheet" cited by a passage of that fact sheet).
    """
    claim = strip_notes(strip_attribution(strip_markers(claim)))  # "(note 12)" is not a figure
    sentences = passage_sentences(passage)
    claim_words = content_words(with_context(claim, context))
    passage_words = content_words(f"{passage}\n{document}" if document else passage)
    checked = _added_words(claim_words, frame)
    lexical = word_coverage(checked, passage_words)
    sentence_lex = [word_coverage(checked, content_words(s)) for s in sentences]

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

    # the evidence to quote: best word/meaning match, preferring sentences holding the figures
    claim_figures = extract_quantities(claim)
    sentence_num = [
        1 - len(unsupported_quantities(claim, s)) / len(claim_figures) if claim_figures else 0.0
        for s in sentences
    ]
    best = max(
        range(len(sentences)), key=lambda i: sentence_lex[i] + sentence_cos[i] + sentence_num[i]
    )
    evidence = sentences[best]
    figures_text = strip_notes(passage)
    records = check_records(claim, passage, f"{frame.text} {context}")
    prose = "\n".join(ln for ln in figures_text.split("\n") if not is_record(ln))
    # a figure that only matches cells of another row or column is a misread, unless the
    # passage's prose states it too
    wrong = {raw: why for raw, why in records.wrong.items() if unsupported_quantities(raw, prose)}
    backed = {q.raw for q in records.backed}
    wrong.update(
        {raw: why for raw, why in misread_in_prose(claim, prose).items() if raw not in backed}
    )
    missing = [
        q
        for q in unsupported_quantities(claim, figures_text)
        if not given_by_question(q, frame, document)
    ]
    missing += [q for q in claim_figures if q.raw in wrong and q not in missing]
    missing_numbers = tuple(missing)
    wrong_cells = tuple(wrong.values())
    figures = [q for q in claim_figures if q.unit != "year"]
    if records.backed and not wrong and all(q in records.backed for q in figures):
        lexical = max(lexical, RECORD_BACKED)  # right row, right column: the cell says it
    elif not missing and _only_figures_added(claim, claim_words, frame, figures, sentences):
        lexical = max(lexical, RECORD_BACKED)  # the question's frame and the passage's figure
    # element names count as names however written ("Dy", "dysprosium"): a swapped element is a
    # wrong fact, but they weigh as ordinary words so that two right elements do not carry a claim
    missing_names = tuple(
        w
        for w, name in checked.items()
        if (name or w in ELEMENT_NAMES) and not present(w, passage_words)
    )
    checks = {
        "name": bool(missing_names),
        # a table cell saying "not available" or "zero" is not a negated statement
        "negation": not is_record(evidence) and is_negated(claim) != is_negated(evidence),
        "opposite": has_opposite(claim, evidence),
        "hedge": bool(claim_figures)
        and not is_hedged(claim)
        and _hedged_evidence(claim, evidence, sentences),
        "qualifier": bool(
            qualifiers(claim) - qualifiers(passage) - qualifiers(document) - qualifiers(frame.text)
        ),
        "scope": _world_figure_as_local(claim, claim_words, sentences),
    }
    penalties = tuple(reason for reason, failed in checks.items() if failed)

    base = lexical if cosine is None else LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * cosine
    score = 0.0 if missing_numbers else base * PENALTY ** len(penalties)
    return SupportScore(
        score=round(max(0.0, min(1.0, score)), 4),
        best_sentence=evidence,
        lexical=lexical,
        cosine=None if cosine is None else round(cosine, 4),
        missing_numbers=missing_numbers,
        missing_names=missing_names,
        penalties=penalties,
        wrong_cells=wrong_cells,
    )


def _added_words(claim_words: dict[str, bool], frame: Frame) -> dict[str, bool]:
    """The claim's words that the question did not already say (all of them if none is left)."""
    if not frame.words:
        return claim_words
    added = {
        w: name
        for w, name in claim_words.items()
        if not present(w, dict.fromkeys(frame.words, False))
    }
    return added or claim_words


#: Words an answer uses to frame a figure ("the authorized amount ... is $25,400,000").
_ANSWER_WORDS = frozenset(("amount", "figure", "number", "sum", "quantity"))


def _only_figures_added(
    claim: str,
    claim_words: dict[str, bool],
    frame: Frame,
    figures: list[Quantity],
    sentences: list[str],
) -> bool:
    """Whether all the claim adds to the question is its figures, stated together with the
    claim's years in one passage sentence ("(C) $25,400,000 for fiscal year 2024;" answering
    how much the law authorizes for fiscal year 2024). The words are the question's, so word
    coverage has nothing to measure; the sentence holding figure and year is the support."""
    figures = [q for q in figures if q not in frame.quantities]  # the answer's, not the question's
    if not frame.words or not figures:
        return False
    added = [w for w in claim_words if w not in _ANSWER_WORDS and not present(w, frame.words)]
    if added:
        return False
    years = [q for q in extract_quantities(claim) if q.unit == "year"]
    return any(
        all(_holds(s, q) for q in figures) and all(_holds(s, y) for y in years) for s in sentences
    )


def given_by_question(quantity: Quantity, frame: Frame, document: str) -> bool:
    """A figure of the question (a year, a section number) that the passage's document carries
    in its title, date or file name: the claim restates the question's frame, not a new fact."""
    if not document or quantity not in frame.quantities:
        return False
    if quantity.unit == "id":
        digits = re.sub(r"\D", "", str(int(quantity.value)))
        return bool(re.search(rf"(?<!\d){digits}(?!\d)", document))
    return _holds(document, quantity)


_ATTRIBUTION_RES = (
    # "According to the September 2024 White House fact sheet, Mountain Pass is ..."
    re.compile(r"^\s*according to [^,]{2,100},\s*", re.I),
    # "... in 1984 according to the USGS historical statistics (DS140) was 25,300 t"
    re.compile(
        r",?\s*\baccording to (?:the )?[^,;]{2,100}?"
        r"(?=\s+(?:was|were|is|are|has|have|had|will|would)\b|\s*[,;]|\s*$)",
        re.I,
    ),
    # "... in the USGS data", "... from the 2025 fact sheet"
    re.compile(
        r",?\s*\b(?:in|from) the (?:[\w.()-]+ ){0,5}"
        r"(?:data|statistics|fact sheet|report|summaries|summary)\b",
        re.I,
    ),
)


def strip_attribution(claim: str) -> str:
    """The claim without the source it names ("according to the USGS data", "in the 2024 fact
    sheet"): the small model restates the question's attribution, and those names ("White
    House", "USGS") are rarely in the passage text, so they read as missing names and sink a
    correct sentence. The citation already says where a fact comes from; the fact is what is
    checked. If too little is left, the claim is kept whole."""
    stripped = claim
    for pattern in _ATTRIBUTION_RES:
        stripped = pattern.sub("", stripped)
    stripped = stripped.strip()
    if len(content_words(stripped)) < 3:
        return claim
    return stripped[:1].upper() + stripped[1:]


def with_context(claim: str, context: str) -> str:
    """The text whose words and vector stand for `claim` when it needs `context`."""
    claim = strip_markers(claim)
    return f"{strip_markers(context).rstrip('.')}. {claim}" if context else claim


def _hedged_evidence(claim: str, evidence: str, sentences: list[str]) -> bool:
    """The evidence is a forecast or plan: every clause holding one of the claim's figures is
    hedged ("capacity could later rise to 5,000 t" read as "is 5,000 t"), or the best sentence is
    hedged and holds none of them. Clauses, not sentences: in "a capacity of 2,000 t, with a
    possible expansion to 5,000 t" only the 5,000 t is a possibility."""
    quantities = extract_quantities(claim)
    for quantity in quantities:
        holders = [c for s in sentences for c in _clauses(s) if _holds(c, quantity)]
        if holders and all(is_hedged(_reported(c)) and not _scheduled(c, claim) for c in holders):
            return True
    return is_hedged(_reported(evidence)) and not any(_holds(evidence, q) for q in quantities)


#: "President Biden will announce that the Department has awarded ...": the hedge is on the
#: announcement, what follows "that" is stated as done.
_ANNOUNCED_RE = re.compile(
    r"^.*?\b(?:will|would|is expected to|plans? to|is to)\s+"
    r"(?:announce|say|report|confirm|unveil|note|highlight)\w*\s+that\s+",
    re.IGNORECASE,
)


def _reported(clause: str) -> str:
    """The clause without a hedged announcement frame before its "that"."""
    return _ANNOUNCED_RE.sub("", clause, count=1)


_CLAUSE_RE = re.compile(
    r";|,\s+(?=(?:with|while|whereas|but|and|which|although|though|before|after)\b)"
    r"|\s+(?=(?:but|while|whereas)\s)"
)
_WORLD_RE = re.compile(r"\b(?:global(?:ly)?|world(?:wide|'s|’s)?)\b", re.IGNORECASE)


def _clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSE_RE.split(sentence) if c.strip()]


def _holds(text: str, quantity: Quantity) -> bool:
    return not unsupported_quantities(quantity.raw, text)


def _world_figure_as_local(claim: str, claim_words: dict[str, bool], sentences: list[str]) -> bool:
    """A world total given to one country or company: "Global mine production rose to 390,000 t"
    read as "China's production rose to 390,000 t". True when the claim names something, says
    nothing of the world, and every mention of one of its absolute figures in the passage has
    "global"/"world" right before it in the same phrase (shares and years are left alone)."""
    first = re.match(r"\W*([A-Za-z]+)", claim)
    opener = stem(first.group(1)) if first else ""  # capitalised only as the first word
    named = any(name and (w != opener or w in _NAME_WORDS) for w, name in claim_words.items())
    if _WORLD_RE.search(claim) or not named:
        return False
    for quantity in extract_quantities(claim):
        if quantity.unit in ("percent", "year"):
            continue
        lead_ins = [lead for s in sentences for lead in _lead_ins(s, quantity)]
        if lead_ins and all(_WORLD_RE.search(lead) for lead in lead_ins):
            return True
    return False


def _lead_ins(sentence: str, quantity: Quantity) -> list[str]:
    """For each mention of `quantity` in `sentence`, the words before it back to a comma/colon."""
    leads = []
    for mention in extract_quantities(sentence, number_words=True):
        at = sentence.find(mention.raw) if mention.raw else -1
        if at >= 0 and not unsupported_quantities(quantity.raw, mention.raw):
            leads.append(re.split(r"[,;:(–—]", sentence[:at])[-1])
    return leads


def word_coverage(claim_words: dict[str, bool], passage_words: dict[str, bool]) -> float:
    """Share of claim words present, name-like words counting double. No words -> 0."""
    total = sum(2 if name else 1 for name in claim_words.values())
    if total == 0:
        return 0.0
    hit = sum(2 if name else 1 for w, name in claim_words.items() if present(w, passage_words))
    return hit / total


class SupportScorer:
    """Scores claims against passages; vectors come from one `EmbeddingMemo` (each distinct text
    is embedded once however many claims are checked against it)."""

    def __init__(self, embed: Embed | EmbeddingMemo | None = None) -> None:
        self._memo = EmbeddingMemo.wrap(embed)

    def prepare(self, claims: Sequence[str], passages: Sequence[str]) -> None:
        """Embed, in one batch, every claim, passage and passage sentence not seen yet."""
        if self._memo is None:
            return
        texts: list[str] = [strip_markers(c) for c in claims]
        for p in passages:
            texts.append(p)
            texts.extend(passage_sentences(p))
        self._memo(texts)

    def score(
        self,
        claim: str,
        passage: str,
        context: str = "",
        *,
        frame: Frame = NO_FRAME,
        document: str = "",
    ) -> SupportScore:
        """`score_support` with vectors from the memo (see there for the arguments)."""
        if self._memo is None:
            return score_support(claim, passage, context=context, frame=frame, document=document)
        subject = with_context(claim, context)
        sentences = passage_sentences(passage)
        vectors = self._memo([subject, passage, *sentences])
        return score_support(
            claim,
            passage,
            claim_vec=vectors[0],
            passage_vec=vectors[1],
            sentence_vecs=vectors[2:],
            context=context,
            frame=frame,
            document=document,
        )
