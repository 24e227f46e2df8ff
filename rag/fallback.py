"""The quoted fallback: when no drafted sentence survives verification, quote the documents.

The small model often garbles an answer that one of its passages states verbatim (a table record,
a sentence of a fact sheet). Refusing then would tell an analyst that a figure sitting in the
USGS table is not in the library. So, after the second chance has failed too, the engine quotes
the single unit of the evidence that best answers the question, marked as a quote
("The documents say: "..." [1]"), instead of refusing.

A quote must still answer *this* question, or it is a refusal in disguise: it and its passage
must match every kind of constraint the question fixes (its dates, years, identifiers, names;
`rag.question`: a 2023 table row's passage does not answer for 2025), it must hold every element
and subject name of the question its document's title does not (the dysprosium row does not
answer for praseodymium; governments and agencies are not subjects),
hold what the question word asks for (a sum of money for "how much did X invest", a figure for
"how much", a date for "when"; a record whose cells for the asked measure are blank, "reserves =
not available", gives nothing), not be a table's notes record (units and footnotes), share enough of
the question's content words (`MIN_COVERAGE`) and be close enough in meaning (`MIN_COSINE`).
Questions the documents do not answer (a year the table does not have) fail those tests and are
still refused. The same quote, narrowed to the units that answer one part (`accept`), completes
an answer whose part the model could not answer (`Engine._quoted_part`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.elements import ELEMENT_NAMES
from rag.evidence import Passage, document_context, split_units
from rag.question import (
    Constraints,
    answers_kind,
    question_constraints,
    subject_names,
    unmet_constraint,
)
from rag.records import (
    blank_for,
    is_generic_word,
    is_notes_record,
    is_record,
    measures_of,
    parse_records,
    record_line,
)
from rag.support import content_words, present, word_coverage
from ree.text import YEAR_RE

#: Least share of the question's content words (stemmed; names count double) the quote must
#: contain, leaving out the words its document's title already holds.
MIN_COVERAGE = 0.5
#: Least cosine between the question and the quoted unit.
MIN_COSINE = 0.5
#: Least share of a table cell's row-label and column-header words the question must name for
#: the cell to be quoted without the rest of its row ("Lanthanum: FY 2025 potential acquisitions = 1,100 t" for "How
#: much lanthanum was listed as a potential ... acquisition for FY 2025?").
NAMED_CELL_SHARE = 0.6
#: Quotes longer than this many words are not shown (a run-on line is not an answer).
MAX_WORDS = 80


@dataclass(frozen=True)
class Quote:
    n: int  # the passage it comes from
    text: str
    score: float


def _misses_a_date(constraints: Constraints, text: str, context: str) -> bool:
    """Whether a quote misses a constraint; for a quote, *every* date binds. A written sentence
    may meet one of a question's dates, but a quote of the October 2025 controls does not answer
    "did China reinstate its October 2025 controls when the suspension ended in November 2026?"
    """
    if unmet_constraint(constraints, text, context):
        return True
    return any(unmet_constraint(Constraints(dates=(d,)), text, context) for d in constraints.dates)


def best_quote(
    question: str,
    passages: list[Passage],
    embed: Callable[[list[str]], np.ndarray] | None,
    accept: Callable[[str], bool] | None = None,
) -> Quote | None:
    """The evidence unit that best answers `question` and passes every check, or None;
    `accept` narrows the candidates further (to those answering one part of the question)."""
    constraints = question_constraints(question)
    question_words = content_words(question)
    subject_words = content_words(" ".join(subject_names(constraints.names)))
    candidates: list[tuple[int, str, float]] = []
    for p in passages:
        context = document_context(p.hit)
        if unmet_constraint(constraints, p.text, context):  # the passage is about another year
            continue
        title_words = content_words(context)
        wanted = {w: n for w, n in question_words.items() if not present(w, title_words)}
        names = [w for w in wanted if w in ELEMENT_NAMES or present(w, subject_words)]
        for unit, _line in split_units(p.text):
            text = unit.removeprefix("... ").strip()
            if not text or len(text.split()) > MAX_WORDS or is_notes_record(text):
                continue
            if not answers_kind(question, text) or blank_for(text, question):
                continue
            if is_record(text) and lacks_measure(text, question):
                continue
            if _misses_a_date(constraints, text, context) or _row_of_another_year(
                text, constraints
            ):
                continue
            # the document's title answers for the words it holds ("the supplier newsletter");
            # the quote itself must hold the rest (what the newsletter said about *prices*), and
            # the element and subject names among them
            unit_words = content_words(text)
            if not all(present(w, unit_words) for w in names):
                continue
            part = named_part(text, question, names)
            cells = (
                [part]
                if part
                and answers_kind(question, part)
                and not blank_for(part, question)
                and not _misses_a_date(constraints, part, context)
                else []
            )
            coverage = word_coverage(wanted, unit_words) if wanted else 0.0
            # the cells the question names answer for their row's words: they score at least
            # as high as the row and come first (a tie goes to them), and the row stays a
            # candidate in case they are too far from the question in meaning
            for piece in cells:
                own = word_coverage(wanted, content_words(piece)) if wanted else 0.0
                candidates.append((p.n, piece, max(own, coverage)))
            if coverage >= MIN_COVERAGE:
                candidates.append((p.n, text, coverage))
    if accept is not None:
        candidates = [c for c in candidates if accept(c[1])]
    if not candidates:
        return None
    cosines = _cosines(question, [c[1] for c in candidates], embed)
    scored = [
        Quote(n, text, coverage + cos)
        for (n, text, coverage), cos in zip(candidates, cosines, strict=True)
        if cos >= MIN_COSINE or embed is None
    ]
    return max(scored, key=lambda q: q.score, default=None)


def named_part(record: str, question: str, names: list[str]) -> str:
    """The cells of a table record whose row and column the question names, as one record
    under the row's label ("" when none). A twelve-column stockpile row shares few of the
    question's words as a whole ("National Defense Stockpile" is the table's caption, not in the
    row), but the cell whose row label and header the question spells out is the answer; a
    question naming two of its columns ("between 2023 and 2024", "US and world production in
    1973") gets both. Every element and subject name of the question (`names`) must be in the
    part, and every measure it asks for in the part's labels or headers: "the value of imports"
    is not answered by a tonnage of imports."""
    if not is_record(record):
        return ""
    question_words = content_words(question)
    asked_measures = measures_of(question)
    asked_years = set(YEAR_RE.findall(question))
    cells = []
    all_cells = parse_records(record)
    for cell in all_cells:
        years = set(YEAR_RE.findall(cell.header))
        if asked_years and years and not years & asked_years:
            continue  # the 2020 column of a question about 2024
        words = [w for w in content_words(f"{cell.label} {cell.header}") if not is_generic_word(w)]
        # a measure the question names in other words names the cell's too ("how many people
        # worked" names the "Employment" row)
        named = sum(
            present(w, question_words) or bool(measures_of(w) & asked_measures) for w in words
        )
        if words and named >= NAMED_CELL_SHARE * len(words):
            cells.append(cell)
    if not cells or len({c.label for c in cells}) > 1:
        return ""
    if _CHANGE.search(question) and _year_columns(cells) < min(2, _year_columns(all_cells)):
        return ""  # "how fast did it grow in 2024?" needs the 2023 column too
    part = record_line(cells)
    part_words = content_words(part)
    if not all(present(w, part_words) for w in names) or lacks_measure(part, question):
        return ""
    return part


#: A question about a change over time ("how fast did it grow", "how did it change").
_CHANGE = re.compile(
    r"(?i)\b(?:grow|grew|growth|rise|rose|fall|fell|drop|dropped|declin\w*|chang\w*|increas\w*"
    r"|decreas\w*|compar\w*|trend)\b"
)


def _year_columns(cells: list) -> int:
    return sum(bool(YEAR_RE.search(c.header)) for c in cells)


def lacks_measure(record: str, question: str) -> bool:
    """Whether `record` is from a table of measures (its labels and headers name some) but not
    the one the question asks for: the import reliance row does not answer "what was the value
    of imports?". A table that names no measure (a timeline of export controls: date, measure,
    elements, issuer) is not held to the question's measure words."""
    named = measures_of(" ".join(f"{c.label} {c.header}" for c in parse_records(record)))
    return bool(named) and bool(measures_of(question) - named)


def _row_of_another_year(text: str, constraints: Constraints) -> bool:
    """A table record whose row label names only years the question does not ask about: "2023,
    Greenland: ... source = USGS Mineral Commodity Summaries 2025" does not answer for 2025
    (the year in its source cell met the passage-level check)."""
    if not is_record(text):
        return False
    asked = {str(y) for y in constraints.years} | {str(d.year) for d in constraints.dates}
    label_years = set(YEAR_RE.findall(text.split(":", 1)[0]))
    return bool(asked and label_years and not label_years & asked)


def _cosines(
    question: str, texts: list[str], embed: Callable[[list[str]], np.ndarray] | None
) -> list[float]:
    if embed is None:
        return [0.0] * len(texts)
    vectors = np.asarray(embed([question, *texts]), dtype=np.float32)
    return [float(v @ vectors[0]) for v in vectors[1:]]
