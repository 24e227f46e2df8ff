"""What a question asks for: its parts, and the constraints an answer must respect.

Two jobs that evidence selection, verification and the quoted fallback share:

- `question_parts`: "Who signed the U.S.-Japan framework, and where?" asks two things; the
  evidence must hold a sentence for each before it holds a second one for either. Parts are split
  at "?", ";" and at ", and"/"and" (or a comma) before a question word; a short part ("where")
  borrows nothing here, callers score it with the whole question as context.
- `question_constraints`: the years, dates and identifiers ("October 9, 2025", "2024", "Section
  232", "42 U.S.C. 13344") and the names ("MP Materials", "Japan") a question fixes. An answer
  sentence may restate them freely (they are the question's frame), but its cited passage, or
  that passage's document (title, date, file name), must match them: otherwise the sentence may be
  about another year or another list (April's element list answering a question about the
  controls of 9 October 2025).

Deliberately not handled: nested or conditional questions, and constraints written as relative
dates ("last year").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rag.numbers import extract_quantities
from ree.text import MARKER_RE, MONTH_NAMES, YEAR_RE

_QUESTION_WORD = r"(?:what|which|who|whom|whose|where|when|why|how|is|are|was|were|did|does|do)"
_LEAD = r"(?:(?:in|from|for|to|at|by|on|since|until)\s+)?"
_SPLIT_RE = re.compile(
    rf"\?\s+|;\s+|,?\s+and\s+{_LEAD}(?={_QUESTION_WORD}\b)|,\s+{_LEAD}(?={_QUESTION_WORD}\b)",
    re.IGNORECASE,
)
_HAS_QUESTION_WORD = re.compile(rf"\b{_QUESTION_WORD}\b", re.IGNORECASE)
#: "how does A compare with B", "how did A differ from B"; "A, compared with B", "A versus B".
_COMPARE_RE = re.compile(
    r"^(?P<premise>.*?)\bhow (?:does|do|did|has|have|is|are|was|were) (?P<a>.+?) "
    r"(?:compare|differ|stack up|contrast) (?:with|to|from|against) (?P<b>.+)$",
    re.IGNORECASE,
)
_VERSUS_RE = re.compile(
    r"^(?P<premise>)(?P<a>.+?),? (?:compared (?:with|to)|versus|vs\.?|relative to) (?P<b>.+)$",
    re.IGNORECASE,
)
_YEAR_SIDE = re.compile(r"^(?:19|20)\d\d\b")
_ANAPHORIC_SIDES = frozenset({"that", "this", "it", "these", "those"})
#: A side that points back at an earlier part ("that output", "its reserves").
_ANAPHORIC_LEAD = re.compile(r"^(?:that|this|these|those|its|their|it)\b", re.IGNORECASE)
_MEASURE_RE = re.compile(
    r"\b(?:prices?|shares?|production|output|reserves?|rates?|benchmarks?|targets?|capacity|"
    r"exports?|imports?|awards?|tariffs?|investments?|costs?|estimates?|figures?|data|floors?|"
    r"amounts?|totals?|numbers?|percent\w*)\b",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_RES = (
    # October 9, 2025 / Oct. 9 2025
    re.compile(
        rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b",
        re.I,
    ),
    # 9 October 2025
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH})\.?,?\s+(?P<year>\d{{4}})\b",
        re.I,
    ),
    # 2025-10-09
    re.compile(r"\b(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b"),
    # October 2025
    re.compile(rf"\b(?P<month>{_MONTH})\.?,?\s+(?P<year>\d{{4}})\b", re.I),
)
_YEAR_RE = re.compile(
    r"(?<![\d,.$])(?:fy\s?|fiscal\s+(?:year\s+)?)?((?:18|19|20)\d{2})(?!\d|,\d)", re.I
)
_IDENT_RES = (
    re.compile(r"\b\d+\s+U\.?\s?S\.?\s?C\.?\s+§*\s*(\d+[a-z]?)\b", re.I),  # 42 U.S.C. 13344
    re.compile(r"§+\s*(\d+[a-z]?)\b"),  # § 13344
    re.compile(r"\bsections?\s+(\d+[a-z]?)\b", re.I),  # Section 232
    re.compile(r"\b(?:e\.?o\.?|executive\s+order)\s+(?:no\.?\s*)?(\d{4,5})\b", re.I),  # EO 14017
    re.compile(r"\b(?:public\s+law|pub\.?\s*l\.?)\s+(\d+-\d+)\b", re.I),
    re.compile(r"\bds\s?(\d{2,4})\b", re.I),  # USGS Data Series 140
)
# Capitalised words that do not make a name on their own.
_NOT_NAMES = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "where",
        "when",
        "why",
        "how",
        "is",
        "are",
        "was",
        "were",
        "did",
        "does",
        "do",
        "the",
        "a",
        "an",
        "in",
        "on",
        "of",
        "for",
        "and",
        "or",
        "to",
        "by",
        "from",
        "under",
        "with",
        "according",
        "according",
        "to",
        "per",
        "its",
        "their",
        "this",
        "that",
        "these",
        "those",
        "if",
        "as",
        "at",
        "than",
        "about",
        "after",
        "before",
        "between",
        "during",
        "into",
        "over",
        "since",
        "until",
    ]
)
_NAME_RE = re.compile(r"\b[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|of|de|du)\b)*")
#: Words that name a kind of document or identifier, not an entity ("Section 232" is an identifier).
_GENERIC_NAMES = frozenset(
    [
        "section",
        "sections",
        "executive",
        "order",
        "orders",
        "u.s.c",
        "code",
        "proclamation",
        "fact",
        "sheet",
        "act",
        "law",
        "public",
        "secretary",
        "department",
    ]
)


# Where a question names its source rather than its subject: "according to USGS Mineral Commodity
# Summaries 2025", "per DS140", "in the USGS table".
_ATTRIBUTION = re.compile(
    r"\b(?:according to|per|as reported by|from)\s+(?:the\s+)?[^,;?]+"
    r"|\bin the\s+(?:[\w.()-]+\s+){0,4}(?:data|statistics|table|series|summar(?:y|ies)|report)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateConstraint:
    year: int
    month: int | None = None
    day: int | None = None

    def words(self) -> list[str]:
        """Ways a document may write this date (lower case), most specific first. A date with a
        day is met only by that day; "October 2025" by any mention of that month."""
        if self.month is None:
            return [str(self.year)]
        name = MONTH_NAMES[self.month - 1]
        if self.day is None:
            return [f"{name} {self.year}", f"{self.year}-{self.month:02d}"]
        return [
            f"{name} {self.day}, {self.year}",
            f"{name} {self.day} {self.year}",
            f"{self.day} {name} {self.year}",
            f"{self.year}-{self.month:02d}-{self.day:02d}",
        ]


@dataclass(frozen=True)
class Constraints:
    """What a question fixes: dates (with month), bare years, identifiers, names."""

    dates: tuple[DateConstraint, ...] = ()
    years: tuple[int, ...] = ()
    identifiers: tuple[str, ...] = ()
    names: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.dates or self.years or self.identifiers or self.names)


def question_parts(question: str) -> list[str]:
    """The things a question asks, in order; a one-part question gives itself.

    A piece without a question word ("According to USGS", "In the November 2025 China deal")
    is a lead-in, not a part: it joins the part after it."""
    pieces = [p.strip(" ,?") for p in _SPLIT_RE.split(question.strip())]
    parts: list[str] = []
    lead = ""
    for piece in (p for p in pieces if p):
        if not _HAS_QUESTION_WORD.search(piece) and len(piece.split()) > 1:
            lead = f"{lead} {piece},".strip()
            continue
        parts.append(f"{lead} {piece}".strip() if lead else piece)
        lead = ""
    if lead:
        parts = [*parts[:-1], f"{parts[-1]}, {lead.rstrip(',')}"] if parts else [lead.rstrip(",")]
    return [side for part in parts for side in comparison_sides(part)] or [question.strip()]


def comparison_sides(part: str) -> list[str]:
    """The two things a comparison asks for, each as a part of its own; any other part as is.

    "How does the NdPr price floor compare with the 2024 neodymium oxide price?" asks two
    figures: "how much is the NdPr price floor" and "how much is the 2024 neodymium oxide
    price". A side that is only a year borrows the other side ("the price in 2024, compared with
    2022" -> "... the price in 2022"); a side that is only "that" gives way to the premise before
    it ("If Bayan Obo supplies half of world output, how does that compare with ...")."""
    m = _COMPARE_RE.search(part) or _VERSUS_RE.search(part)
    if not m:
        return [part]
    premise, a, b = (m.group(g).strip(" ,") for g in ("premise", "a", "b"))
    if _ANAPHORIC_LEAD.match(b):  # "how do its reserves compare with that output": one thing
        return [part]
    if _YEAR_SIDE.match(b) and (year := YEAR_RE.search(a)):
        b = f"{a[: year.start()]}{b[:4]}{a[year.end() :]}{b[4:]}"
    if a.lower() in _ANAPHORIC_SIDES:
        return [premise, _side(b)] if premise else [part]
    return [f"{premise}, {_side(a)}".strip(", ") if premise else _side(a), _side(b)]


def _side(text: str) -> str:
    """One side of a comparison as a part: "how much is" a measure, "what about" anything else;
    a side that is a question already ("how many people worked ...") stays one."""
    if re.match(rf"{_QUESTION_WORD}\b", text, re.I):
        return text
    lead = "how much is" if _MEASURE_RE.search(text) else "what about"
    return f"{lead} {text}"


@functools.lru_cache(maxsize=1024)  # read again at every verification of a streaming draft
def question_constraints(question: str) -> Constraints:
    """The dates, years, identifiers and names `question` fixes (see the module docstring).

    In "how does A compare with B", a kind of constraint that only one side has binds only the
    sentences about that side ("the EU's 2030 benchmark" against "the current recycling rate"):
    it is left out, as no sentence can be told to be about one side. The premise before the
    comparison binds as any question does."""
    m = _COMPARE_RE.search(question.strip().rstrip("?"))
    if not m:
        return _constraints_of(question)
    texts = [m.group(g) for g in ("premise", "a", "b")]
    if texts[1].strip().lower() in _ANAPHORIC_SIDES:  # "how does that compare": the premise
        texts = ["", texts[0], texts[2]]
    premise, a, b = (_constraints_of(t) for t in texts)
    kinds = ("dates", "years", "identifiers", "names")
    both = {
        k: getattr(a, k) + getattr(b, k) if getattr(a, k) and getattr(b, k) else () for k in kinds
    }
    return Constraints(**{k: tuple(dict.fromkeys(getattr(premise, k) + both[k])) for k in kinds})


def _dated_spans(text: str) -> tuple[list[DateConstraint], list[tuple[int, int]]]:
    """The dates with a month that `text` writes, and where."""
    dates: list[DateConstraint] = []
    covered: list[tuple[int, int]] = []
    for pattern in _DATE_RES:
        for m in pattern.finditer(text):
            if any(a <= m.start() < b for a, b in covered):
                continue
            covered.append((m.start(), m.end()))
            dates.append(_date(m))
    return dates, covered


def _constraints_of(question: str) -> Constraints:
    dates, covered = _dated_spans(question)
    years = []
    for m in _YEAR_RE.finditer(question):
        if any(a <= m.start() < b for a, b in covered):
            continue
        year = int(m.group(1))
        if year not in years:
            years.append(year)
    identifiers = []
    for pattern in _IDENT_RES:
        for m in pattern.finditer(question):
            if m.group(1) not in identifiers:
                identifiers.append(m.group(1))
    names = _names(_ATTRIBUTION.sub(" ", question))  # "according to USGS" names a source
    return Constraints(tuple(dates), tuple(years), tuple(identifiers), tuple(names))


def _date(m: re.Match[str]) -> DateConstraint:
    groups = m.groupdict()
    month = int(groups["mon"]) if groups.get("mon") else _month_number(groups["month"])
    day = int(groups["day"]) if groups.get("day") else None
    return DateConstraint(int(groups["year"]), month, day)


def _month_number(text: str) -> int:
    text = text.lower().rstrip(".")
    return next(i for i, name in enumerate(MONTH_NAMES, start=1) if name.startswith(text[:3]))


def _names(question: str) -> list[str]:
    """Capitalised phrases that are not question words, months or kinds of document.

    The question's first word is capitalised anyway and counts only when it is an acronym or
    the start of a longer name ("MP Materials' plant ...")."""
    names: list[str] = []
    for m in _NAME_RE.finditer(question):
        words = [re.sub(r"['’]s$", "", w.strip(".,'’")) for w in m.group(0).split()]
        if m.start() == 0 and len(words) == 1 and not words[0].isupper():
            continue
        for run in _split_at_months(words):  # "Biden's February 2021 order" names Biden
            while run and (run[0].lower() in _NOT_NAMES or run[0].lower() in _GENERIC_NAMES):
                run = run[1:]
            while run and (run[-1].lower() in _NOT_NAMES or run[-1].lower() in _GENERIC_NAMES):
                run = run[:-1]
            name = " ".join(run)
            if name and not any(ch.isdigit() for ch in name) and name not in names:
                names.append(name)
    return names


def _split_at_months(words: list[str]) -> list[list[str]]:
    """A capitalised run cut at its month names, which are dates, not parts of a name."""
    runs: list[list[str]] = [[]]
    for word in words:
        if re.fullmatch(_MONTH, word, re.I):
            runs.append([])
        else:
            runs[-1].append(word)
    return [run for run in runs if run]


def unmet_constraint(constraints: Constraints, passage: str, document: str = "") -> str:
    """The first constraint of the question that a passage does not match, as a short phrase;
    "" when every kind is met. `document` is the passage's document (title, date, file name).

    Each kind binds once: a question about "2022 and 2024" is met by a passage of either year,
    one naming "MP Materials" and "Lynas" by a passage naming either. A date with a day is met by
    that day, a month ("October 2025") by that month, in the passage or the document's date. A
    bare year is met by the passage when the passage names years at all (a table row for 2023
    does not answer for 2025 because the report is dated 2025), else by the document.
    """
    text = _flat(passage)
    both = f"{text} {_flat(document)}"
    if constraints.dates and not any(_date_in(d, both) for d in constraints.dates):
        return f"the question is about {constraints.dates[0].words()[0]}"
    if constraints.years:
        years_in = text if YEAR_RE.search(text) else both
        if not any(re.search(rf"(?<!\d){y}(?!\d)", years_in) for y in constraints.years):
            return f"the question is about {constraints.years[0]}"
    if constraints.identifiers and not any(
        re.search(rf"(?<![\d]){re.escape(i.lower())}(?![\d])", both)
        for i in constraints.identifiers
    ):
        return f"the question is about {constraints.identifiers[0]}"
    names = subject_names(constraints.names)
    if names and not any(_name_in(n, both) for n in names):
        return f"the question is about {names[0]}"
    return ""


def other_date(constraints: Constraints, sentence: str, claim: str, document: str = "") -> str:
    """The date the sentence a claim rests on gives instead of the question's, as a short
    phrase; "" when it gives none, or one the question or the claim names.

    The passage-level check lets a passage that mentions the asked date anywhere support any
    claim: April's element list ("On 4 April 2025 ... seven elements") answered "which elements
    did China add on 9 October 2025?" because the passage's next sentence named 9 October. A
    sentence stating another date is about another event, unless the claim itself gives that
    date ("the 9 October controls take effect on 8 November 2025") or the question names the
    document by its own date ("the 1 November 2025 fact sheet" for a sentence on October 30).
    """
    if not constraints.dates:
        return ""
    stated = _dates_in(sentence)
    if not stated:
        return ""
    named = [*constraints.dates, *_dates_in(claim)]
    if any(_same_day(s, n) for s in stated for n in named):
        return ""
    if any(_same_day(d, a) for d in _dates_in(document) for a in constraints.dates):
        return ""
    return f"its sentence is about {stated[0].words()[0]}"


def _dates_in(text: str) -> list[DateConstraint]:
    return _dated_spans(text)[0]


def _same_day(a: DateConstraint, b: DateConstraint) -> bool:
    """Whether two dates can be the same day (a month without a day matches its every day)."""
    return (
        a.year == b.year
        and (a.month is None or b.month is None or a.month == b.month)
        and (a.day is None or b.day is None or a.day == b.day)
    )


def subject_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names a question is about: its names that are not institutions, governments or
    officials acting or reporting ("What did the DoD award MP Materials?" is about MP Materials).
    A question naming only those ("What did U.S. policy target?") binds no name: the actor is
    the frame of the question, and a government's own documents rarely repeat its name."""
    from rag.lexicon import lexicon

    actors = lexicon().actor_names
    return tuple(n for n in names if not set(_NAME_TOKEN.findall(_fold_names(n.lower()))) <= actors)


def _flat(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _date_in(date: DateConstraint, text: str) -> bool:
    if any(form in text for form in date.words()):
        return True
    if date.day is None and date.month is not None:  # "October 2025" met by "October 9, 2025"
        name = MONTH_NAMES[date.month - 1]
        return bool(
            re.search(rf"\b{name} \d{{1,2}},? {date.year}|\b\d{{1,2}} {name},? {date.year}", text)
        )
    if date.day is not None and str(date.year) in text:
        # "On October 9, China ..." in a 2025 text: the day written without a year (and not
        # followed by another year)
        name = MONTH_NAMES[date.month - 1]
        no_year = r"(?!\d)(?!,?\s*(?:1[89]|20)\d{2})"
        return bool(
            re.search(rf"\b{name} {date.day}{no_year}", text)
            or re.search(rf"\b{date.day} {name}{no_year}", text)
        )
    return False


_NAME_TOKEN = re.compile(r"[a-z0-9]+")


def names_in(constraints: Constraints, text: str) -> str:
    """The subject names of `constraints` that `text` (a whole document) mentions, one per line:
    what a passage's document contributes to the name check of `unmet_constraint` beyond its
    title. A speaker's remarks ("we have a dry tailings process") are about the company the
    transcript names three paragraphs earlier."""
    return "\n".join(n for n in subject_names(constraints.names) if _name_in(n, text.lower()))


def _name_in(name: str, text: str) -> bool:
    """Every word of the name (acronyms with or without dots: "U.S." = "US") occurs in `text`."""
    words = [w for w in _NAME_TOKEN.findall(_fold_names(name.lower())) if w not in _NOT_NAMES]
    flat = _fold_names(text)
    found = sum(bool(re.search(rf"\b{re.escape(w)}", flat)) for w in words)
    # a long name ("U.S.-Australia Critical Minerals Supply Security Response Group") is met by
    # most of its words; a short one by all
    return bool(words) and found >= (len(words) if len(words) <= 2 else 0.6 * len(words))


_COUNTRY_ALIASES = ((re.compile(r"\bunited states(?: of america)?\b|\bu\.s\.a?\.?|\busa\b"), "us"),)


@functools.lru_cache(maxsize=4096)  # every claim is checked against the same passages
def _fold_names(text: str) -> str:
    """The lexicon's aliases applied ("electric-vehicle" = "EV", "Pentagon" = "DoD"), then
    "United States", "U.S.", "USA" -> "us" and other dots dropped ("D.O.E." = "doe")."""
    from rag.lexicon import lexicon

    text = text.lower()
    for pattern, repl in (*lexicon().aliases, *_COUNTRY_ALIASES):
        text = pattern.sub(repl, text)
    return text.replace(".", "")


_KINDS = (
    (re.compile(r"\b(?:how long|how soon)\b", re.I), "duration"),
    (re.compile(r"\b(?:when|what year|which year|what date)\b", re.I), "date"),
    (
        re.compile(
            r"\bwhat (?:dollar |\$ ?)?(?:amount|sum)\b[^?]*\b(?:financ\w*|fund\w*|invest\w*|"
            r"award\w*|loan\w*|grant\w*|money|dollars?)\b|\bwhat (?:dollar|\$) ?(?:amount|sum)\b|"
            r"\bhow much\b[^?]*\b(?:spend\w*|spent|invest\w*|cost\w*|pay\w*|paid|award\w*|"
            r"fund\w*|financ\w*|loan\w*|grant\w*|worth|rais\w*|money|dollars?)\b",
            re.I,
        ),
        "money",
    ),
    (
        re.compile(
            r"\b(?:how (?:much|many|large|big|fast)|what (?:share|percent\w*|price|value|amount|"
            r"tonnage|number)|by how much|what (?:is|was|are|were) (?:the |its |their )?"
            r"(?:[\w.'’-]+ ){0,5}(?:price|share|percentage|amount|value|number|tonnage|capacity|total"
            r"|production|output|reserve|export|import|reliance|consumption)s?"
            r"|what (?:[\w-]+ ){0,3}(?:reserves|production|output|exports|imports) (?:does|did|do)\b)\b",
            re.I,
        ),
        "figure",
    ),
    (re.compile(r"\b(?:where|which (?:city|country|state|region))\b", re.I), "place"),
    (re.compile(r"\b(?:who|whom|which (?:company|companies|agency|firm))\b", re.I), "name"),
)
_CURRENCY = re.compile(r"[$€£¥]|\b(?:dollars?|usd|euros?|yuan|rmb|yen)\b", re.I)
HAS_KIND = {
    "date": re.compile(
        r"\b(?:1[89]|20)\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d",
        re.I,
    ),
    # "within 180 days", "for 10 years", "a ten-year floor", or a date ("until 2035")
    "duration": re.compile(
        r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)"
        r"[\s-]+(?:days?|weeks?|months?|years?)\b|\b(?:1[89]|20)\d{2}\b",
        re.I,
    ),
    "money": _CURRENCY,
    "figure": re.compile(r"\d"),
    "place": re.compile(r"\b(?:in|at|near|from|to)\s+(?:the\s+)?[A-Z][a-z]+"),
    "name": re.compile(r"\b[A-Z][a-z]+\.?\s+(?:[A-Z]\.\s+)?[A-Z][a-z]+|\b[A-Z]{2,}\b"),
}


def answer_kind(question: str) -> str:
    """What a question (part) asks for: "duration", "date", "money", "figure", "place", "name"
    or ""."""
    for pattern, kind in _KINDS:
        if pattern.search(question):
            return kind
    return ""


def answers_kind(question: str, answer: str) -> bool:
    """Whether `answer` holds what the question word asks for: a sum of money for "how much
    did X invest", a figure for "how much", a date or year for "when" (other questions: always). A brief answer without it does not answer."""
    kind = answer_kind(question)
    text = MARKER_RE.sub(" ", answer)  # "[2]" is not a figure
    if kind == "money":  # a sum of money, or a figure under a currency heading ("$/kg")
        quantities = [q for q in extract_quantities(text) if q.unit != "year"]
        return any(q.unit == "money" for q in quantities) or bool(
            quantities and _CURRENCY.search(text)
        )
    if kind == "figure":
        return any(q.unit != "year" for q in extract_quantities(text))
    if kind in ("date", "duration"):
        return bool(HAS_KIND[kind].search(text))
    return True
