"""Which parts of a multi-part question an answer leaves unanswered.

"Who signed the U.S.-Malaysia MOU, and where?" answered "President Trump signed the MOU [1]"
is half an answer: the reader asked where. A part counts as answered when some sentence of the
answer holds what its question word asks for (a place for "where", a date for "when", a figure
for "how much") and, when the part has words of its own that no other part has ("what did MP
commit to invest" against "what did the Department of Defense award"), shares one of them (one
of its own names, when it has names of its own).
The engine spends its one extra generation on the first unanswered part (`Engine._brief`).

A sentence that only restates its question ("The 2026 proclamation says U.S. rare earth oxides
are exported for refining", asked what the 2024 export figures show) answers no part, whatever
its kind: `adds_to_question` wants a word or a figure the question does not have (a yes/no part
is exempt: its answer restates it).

Deliberately lexical: "what does Niron make" answered with "Niron produces ..." is taken as
unanswered (the extra sentence is then dropped as a repeat), never the other way round.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.numbers import extract_quantities, unsupported_quantities
from rag.question import HAS_KIND, answer_kind, answers_kind, question_parts
from rag.support import content_words, present, stem
from rag.verify import Verification
from ree.text import MARKER_RE, MONTH_NAMES, YEAR_RE, split_sentences

#: Words that frame a part rather than say what it is about (question words are stopwords
#: already): the kind of answer asked for, which the answer gives by an instance ("in what year"
#: by a year, "which outlet" by a newspaper's name, "for how long" by a duration).
_FRAME = frozenset(
    stem(w)
    for w in (
        "time",
        "year",
        "date",
        "day",
        "city",
        "country",
        "place",
        "amount",
        "number",
        "long",
        "soon",
        "outlet",
        "company",
        "agency",
        "firm",
        "organization",
        "official",
        "person",
    )
)
#: Words that frame an answer without adding to it: the source's verbs ("the USGS figures show
#: that ...") and the verbs of a place ("is located in").
_SCAFFOLD = frozenset(
    stem(w)
    for w in ("show", "states", "indicates", "figures", "data", "table", "located", "situated")
)
_MONTHS = frozenset(stem(m.lower()) for m in MONTH_NAMES)
#: A part that opens with an auxiliary asks yes or no ("do the White House documents agree?").
_YES_NO = re.compile(
    r"^(?:and\s+|but\s+)?(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b",
    re.I,
)
#: Share of a new sentence's content words that an earlier sentence already has, from which on
#: the new one repeats it (over the new one's words: "The plant is located in Texas" must not
#: make "The plant is in Fort Worth, Texas" a repeat).
REPEAT_OVERLAP = 0.7


def unanswered_parts(question: str, answer: str) -> list[str]:
    """The parts of `question` that no sentence of `answer` addresses ([] for one-part ones)."""
    parts = question_parts(question)
    if len(parts) < 2:
        return []
    sentences = [s for s in split_sentences(MARKER_RE.sub(" ", answer)) if s.strip()]
    return [p for p in parts if not any(answers_part(question, p, s) for s in sentences)]


def asks_yes_no(question: str) -> bool:
    """Whether `question` (or a part of it) asks yes or no."""
    return bool(_YES_NO.match(question.strip()))


def adds_to_question(sentence: str, question: str) -> bool:
    """Whether `sentence` says something `question` does not: a content word (other than the
    source's and a place's framing verbs) or a figure of its own."""
    text = MARKER_RE.sub(" ", sentence)
    asked = content_words(question)
    if any(not present(w, asked) and w not in _SCAFFOLD for w in content_words(text)):
        return True
    known = extract_quantities(question)
    return any(q not in known for q in extract_quantities(text))


def answers_part(question: str, part: str, text: str) -> bool:
    """Whether `text` holds what `part` of `question` asks for: something beyond the question's
    words, its kind (a place for "where", a name not in the question for "who") and, if the part
    has words no other part has, one of them."""
    if not asks_yes_no(part) and not adds_to_question(text, question):
        return False
    kind = answer_kind(part)
    if kind in ("figure", "money"):
        if not answers_kind(part, text):  # a year is no answer to "how much"
            return False
    elif (pattern := HAS_KIND.get(kind)) and not pattern.search(text):
        return False
    if kind == "name" and not _new_name(text, question):
        return False
    other_parts = [p for p in question_parts(question) if p != part]
    other_years = set().union(*map(_years, other_parts))
    own_years = _years(part) - other_years
    if own_years and other_years and not own_years & _years(text):
        return False  # parts told apart by their years: the 2024 price does not answer for 2022
    own = _words(part) - set().union(*map(_words, other_parts))
    # parts told apart by names (each has names the others lack) are answered by naming
    # theirs: the USGS figure for China's reserves shares "world reserves" with the part on "the
    # SCMP's estimate of Bayan Obo's share of world reserves", but not "SCMP" nor "Bayan Obo"
    own_names = own & _names(part)
    if own_names and any(_names(p) - _names(part) for p in other_parts):
        own = own_names
    return not own or bool(own & _words(text))


def _new_name(text: str, question: str) -> bool:
    """`text` names someone the question does not ("The United States signed" names nobody new
    when the question asks who signed the U.S.-Japan framework)."""
    asked = content_words(question)
    return any(
        name and w not in _MONTHS and not present(w, asked)
        for w, name in content_words(text).items()
    )


def with_part(answer: Verification, extra: Verification, question: str = "") -> Verification:
    """`answer` with the cited sentences of `extra` (the answer to a missing part) that it does
    not already say appended; the claims of both kept, for citations and the record."""
    text = answer.text.rstrip()
    for sentence in split_sentences(extra.text):
        if MARKER_RE.search(sentence) and not repeats(sentence, text, question):
            text = f"{text} {sentence.strip()}"
    return replace(
        answer,
        text=text,
        claims=[*answer.claims, *extra.claims],
        invalid_markers=answer.invalid_markers + extra.invalid_markers,
        removed=answer.removed + extra.removed,
        repaired=answer.repaired + extra.repaired,
    )


def repeats(sentence: str, text: str, question: str = "") -> bool:
    """Whether `sentence` says nothing that a sentence of `text` does not already say. Words of
    the `question` are every answer's frame and do not count ("the Department of Commerce issues
    the licenses" is new next to "the Act governs the licenses"). A figure or year that neither
    gives is new whatever the words ("... will increase from 7.5% to 25% in 2026" next to "...
    increased from 7.5% to 25% in 2024")."""
    frame = set(content_words(question))
    plain = MARKER_RE.sub(" ", sentence)
    new = set(content_words(plain)) - frame
    if not new:
        return True
    if unsupported_quantities(plain, f"{text}\n{question}"):
        return False
    for old in split_sentences(MARKER_RE.sub(" ", text)):
        seen = set(content_words(old)) - frame
        if seen and len(new & seen) / len(new) >= REPEAT_OVERLAP:
            return True
    return False


def _years(text: str) -> set[str]:
    return set(YEAR_RE.findall(text))


def _names(text: str) -> set[str]:
    """The `_words` of `text` that look like names (capitalised: "SCMP", "Bayan", "Obo")."""
    return {
        w.rstrip("e")
        for w, name in content_words(text).items()
        if name and w not in _FRAME and w not in _MONTHS
    }


def _words(text: str) -> set[str]:
    """Stemmed content words, a final "e" dropped ("mine" and "mined" both give "min")."""
    return {w.rstrip("e") for w in content_words(text) if w not in _FRAME}
