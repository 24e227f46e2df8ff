"""One sentence splitter for the whole product: chunking, evidence, verification and eval.

Documents and model answers both need it, and they must agree: a sentence the evidence step keeps
whole is the unit the verifier quotes. Periods in decimals ("1.5"), known abbreviations ("U.S.",
"e.g.", "Sec. 232"), single initials ("J. Smith") and inline list numbers ("are: 1. Recovering")
do not end sentences; citation markers written after a period ("... the U.S. [2] Next") stay
with the sentence before them.

Deliberately not handled: sentences without final punctuation inside one line (headings, table
cells) are one piece; callers split lines first where lines matter.
"""

from __future__ import annotations

import re

_LABEL = r"(?:Sources?|Src|Source\s+No\.?|S|Doc(?:ument)?|Passage|Ref)"
_REF = rf"(?:{_LABEL}\s*)?\d{{1,3}}"
_REFS = rf"{_REF}(?:\s*(?:[-–—,;&]|and)\s*{_REF})*"

#: Any citation marker the small model produces ("[2]", "[1, 3]", "【2】", "(Source 2)"). The
#: claim parser pulls them out; `rag.numbers` blanks them so "[3]" is never read as a quantity.
MARKER_RE = re.compile(
    rf"\[\s*{_REFS}\s*\]"  # [2] [1, 3] [1-3] [S2] [Source 2]
    rf"|【\s*{_REFS}\s*】"  # full-width brackets
    rf"|\(\s*{_LABEL}\s*{_REFS}\s*\)",  # (Source 2) - a bare "(2)" is not a marker
    re.IGNORECASE,
)
# Words after which a period does not end a sentence (compared lowercased, without the period).
_ABBREVIATION_TEXT = """u.s u.k u.n e.u e.g i.e a.k.a etc vs v dr mr mrs ms prof st inc ltd co corp
plc dept est approx fig figs no nos vol jan feb mar apr jun jul aug sep sept oct nov dec al p.a
sec secs pub"""  # legal citations: "Sec. 232", "Pub. L. 117-58"
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
_BOUNDARY_RE = re.compile(
    r"[.!?…]+[\"'”’)\]]*"  # final punctuation and closing quotes/brackets
    r"(?P<markers>(?:\s*(?i:" + MARKER_RE.pattern + r"))*)"  # markers written after the period
    r"(?=\s+[\"'“‘(\[*_A-Z0-9]|\s*$)"  # next sentence starts upper-case, or text ends
)


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences; markers after a period stay with the sentence before.

    A boundary is [.!?] (plus closing quotes or brackets and any markers) followed by whitespace
    and an upper-case letter, digit, quote, bracket or emphasis. Periods in decimals ("1.5"),
    known abbreviations ("U.S.", "e.g.", "Dr.") and single initials ("J. Smith") do not end
    sentences; "No." only counts as an abbreviation before a digit ("No. 3"). Markers right after
    the period ("... the U.S. [2] Next") always end the sentence.
    """
    text = text.strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        if not m.group("markers") and not _ends_sentence(text, m.start(), m.end()):
            continue
        piece = text[start : m.end()].strip()
        if piece:
            sentences.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        if sentences and MARKER_RE.fullmatch(tail):
            sentences[-1] += " " + tail
        else:
            sentences.append(tail)
    return sentences


def _ends_sentence(text: str, punct_at: int, end: int) -> bool:
    if text[punct_at] != ".":
        return True
    written = re.search(r"(\S*)$", text[:punct_at]).group(1).lstrip("(\"'“")
    word = written.lower()
    if not word:
        return True
    if word in ("no", "nos"):
        return not text[end:].lstrip()[:1].isdigit()
    if word in _ABBREVIATIONS:
        return False
    if re.fullmatch(r"\d{1,2}", written) and _ENUM_LEAD_RE.search(text[: punct_at - len(written)]):
        return False  # "... three strands: 1. Recovering ...": a list number, not a full stop
    # an initial like "J." (upper-case only: "390,000 t." ends a sentence) or an unlisted "U.S"
    return not (re.fullmatch(r"[A-Z]", written) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


# Where a number followed by "." is a list label: at the start, after a colon or after a sentence.
_ENUM_LEAD_RE = re.compile(r"(?:^|[:.!?\]]|[:.!?]\s*\[\d+\])\s*$")


_FOOTNOTE_MARK = re.compile(r"\^\d+\b")


def without_lead(unit: str) -> str:
    """A document unit as a sentence of its own: without the evidence's gap mark, its list
    marker, its "Label:" lead ("- Equity: DoD agreed ...") and a PDF's footnote markers
    ("China,^9 70%")."""
    text = re.sub(r"^\s*(?:\.\.\.|…)\s*", "", unit.strip())
    text = re.sub(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+", "", text)
    text = re.sub(r"^\*{0,2}[^:*]{1,40}:\*{0,2}\s+(?=[A-Z])", "", text)
    return _FOOTNOTE_MARK.sub("", text)
