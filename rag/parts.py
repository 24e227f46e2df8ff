"""Which parts of a multi-part question an answer leaves unanswered.

"Who signed the U.S.-Malaysia MOU, and where?" answered "President Trump signed the MOU [1]"
is half an answer: the reader asked where. A part counts as answered when some sentence of the
answer holds what its question word asks for (a place for "where", a date for "when", a figure
for "how much") and, when the part has words of its own that no other part has ("what did MP
commit to invest" against "what did the Department of Defense award"), shares one of them.
The engine spends its one extra generation on the first unanswered part (`Engine._brief`).

Deliberately lexical: "what does Niron make" answered with "Niron produces ..." is taken as
unanswered (the extra sentence is then dropped as a repeat), never the other way round.
"""

from __future__ import annotations

from dataclasses import replace

from rag.question import HAS_KIND, answer_kind, question_parts
from rag.support import content_words
from rag.verify import Verification
from ree.text import MARKER_RE, split_sentences

#: Words that frame a part rather than say what it is about (question words are stopwords
#: already; for "in what year" the year itself is what `HAS_KIND` looks for).
_FRAME = frozenset(("time", "year", "date", "day", "city", "country", "place", "amount", "number"))
#: Content words two sentences share, over the smaller one's, above which one repeats the other.
REPEAT_OVERLAP = 0.7


def unanswered_parts(question: str, answer: str) -> list[str]:
    """The parts of `question` that no sentence of `answer` addresses ([] for one-part ones)."""
    parts = question_parts(question)
    if len(parts) < 2:
        return []
    sentences = [s for s in split_sentences(MARKER_RE.sub(" ", answer)) if s.strip()]
    return [p for p in parts if not any(answers_part(question, p, s) for s in sentences)]


def answers_part(question: str, part: str, text: str) -> bool:
    """Whether `text` holds what `part` of `question` asks for: its kind (a place for "where")
    and, if the part has words no other part has, one of them."""
    pattern = HAS_KIND.get(answer_kind(part))
    if pattern and not pattern.search(text):
        return False
    others = set().union(*(_words(p) for p in question_parts(question) if p != part))
    own = _words(part) - others
    return not own or bool(own & _words(text))


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
    the licenses" is new next to "the Act governs the licenses")."""
    frame = set(content_words(question))
    new = set(content_words(MARKER_RE.sub(" ", sentence))) - frame
    if not new:
        return True
    for old in split_sentences(MARKER_RE.sub(" ", text)):
        seen = set(content_words(old)) - frame
        if seen and len(new & seen) / min(len(new), len(seen)) >= REPEAT_OVERLAP:
            return True
    return False


def _words(text: str) -> set[str]:
    """Stemmed content words, a final "e" dropped ("mine" and "mined" both give "min")."""
    return {w.rstrip("e") for w in content_words(text) if w not in _FRAME}
