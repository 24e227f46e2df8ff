"""Check a claim's figures against table records cell by cell: right row, right column.

Ingest turns every table row into a record in which each cell carries its row label and column
header ("Australia: mine production 2023 (estimated) = 16,000 t (note 12); mine production 2024
(estimated) = 13,000 t (note 12); reserves = 5,700,000 t (note 13)"). Finding "13,000" somewhere in
such a line proves little: the small model reads the wrong column ("Australia's reserves are
13,000 t"), the wrong row, or the wrong year. So each figure of a claim is looked up among the
cells whose value it matches, and a cell backs the figure only when

- its row agrees: a distinctive word of the row label ("Australia", "Neodymium oxide", "1984")
  is in the claim or the question;
- its column agrees: a year in the header ("2024") is one the claim or question names, when
  they name any; and what the header and label measure ("reserves", "exports", "apparent
  consumption", "price") is not a different measure from the one the claim states
  ("produced", "mined");
- a value in tonnes is not stated as money, nor a price as a tonnage.

`check_records` reports, per figure, whether an agreeing cell backs it, or whether it matches only
cells of another row or column (a wrong reading, which verification treats like a missing figure).
Figures that no cell holds are left to the ordinary checks (they may be in the passage's prose).
Footnote markers ("(note 12)") are never figures.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.lexicon import lexicon
from rag.numbers import Quantity, extract_quantities, holds_quantity
from ree.text import YEAR_RE, stem

#: A table record line: "row label: column = value; column = value" (see ingest's tables).
RECORD_LINE = re.compile(r"^[^\n=]{1,160}?:\s[^\n]*?\S\s=\s\S")
_RECORD_PARTS = re.compile(r"^(?P<label>[^\n=]{1,200}?):\s(?P<cells>[^\n]*?\S\s=\s\S[^\n]*)$")
_NOTE = re.compile(r"\s*\((?:notes?|footnotes?)\s[^)]*\)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
#: What ingest writes for a table's "no number" codes (W, NA, XX, —; `ingest.loaders.tables`).
NO_VALUE = frozenset(("withheld", "not available", "not applicable", "not reported", ""))
_MASS = re.compile(r"^\s*(?:t|tons?|tonnes?|metric tons?|kg|kilograms?|mt|kt)\b", re.IGNORECASE)
#: Words too common in table labels and headers to identify a row ("total", "estimated").
_GENERIC_WORDS = """total rounded estimated estimate average other others and the of in for from
with rare earth earths oxide equivalent reo metric tons ton note notes percent value per dollars
kilograms kilogram pounds minimum maximum purity grade annual number"""
_GENERIC = frozenset(stem(w) for w in _GENERIC_WORDS.split())  # compared with stemmed words


@dataclass(frozen=True)
class Cell:
    """One cell of a record: its row label, column header and value as written."""

    label: str
    header: str
    value: str

    @property
    def entry(self) -> str:
        """The cell without its row label: "discovered_by = Georges Urbain"."""
        return f"{self.header} = {self.value}"

    @property
    def line(self) -> str:
        """The cell as a one-cell record: "Lutetium: discovered_by = Georges Urbain"."""
        return record_line([self])

    @property
    def quantities(self) -> list[Quantity]:
        return extract_quantities(_NOTE.sub("", self.value))


@dataclass
class RecordCheck:
    """The outcome for one claim: figures backed by agreeing cells, and figures that only
    matched cells of another row or column (with why)."""

    backed: list[Quantity] = field(default_factory=list)
    wrong: dict[str, str] = field(default_factory=dict)  # figure as written -> reason

    @property
    def has_records(self) -> bool:
        return bool(self.backed or self.wrong)


def record_line(cells: Sequence[Cell]) -> str:
    """Cells of one row as a record line under the first cell's row label:
    "Lutetium: symbol = Lu; discovered_by = Georges Urbain"."""
    return f"{cells[0].label}: " + "; ".join(c.entry for c in cells)


def is_record(line: str) -> bool:
    """Whether `line` is a table record ("row label: column = value; ...")."""
    return " = " in line and ": " in line and bool(RECORD_LINE.match(line))


def record_label(line: str) -> str:
    """The row label of a record line ("Europium" of "Europium: symbol = Eu; ..."); "" for a
    line that is not a record."""
    line = line.strip().removeprefix("... ")
    return line.partition(": ")[0].strip() if is_record(line) else ""


def is_generic_word(word: str) -> bool:
    """Whether a (stemmed) word is too common in table labels and headers to name a row or a
    column ("total", "estimated", "metric")."""
    return stem(word) in _GENERIC


def is_notes_record(line: str) -> bool:
    """Whether `line` is a table's notes record ("<caption>, notes: t = metric tons; note 12 =
    ..."): units and footnotes, never an answer by itself."""
    label = line.strip().removeprefix("... ").partition(": ")[0]
    return is_record(line.strip()) and label.lower().endswith((", notes", ", note"))


def parse_records(passage: str) -> list[Cell]:
    """The cells of every record line in `passage` (other lines are ignored)."""
    return list(_parse_records(passage))


@functools.lru_cache(maxsize=1024)  # the verifier reads the same passages for every claim
def _parse_records(passage: str) -> tuple[Cell, ...]:
    cells: list[Cell] = []
    for line in passage.split("\n"):
        if not is_record(line.strip()):
            continue
        m = _RECORD_PARTS.match(line.strip())
        if not m:
            continue
        label, rest = m.group("label"), m.group("cells")
        # nested labels: "Imports for consumption: Compounds and metals: 2020 = ..."
        while True:
            head, sep, tail = rest.partition(": ")
            if sep and "=" not in head and "=" in tail:
                label, rest = f"{label}: {head}", tail
            else:
                break
        for part in rest.split("; "):
            header, sep, value = part.partition(" = ")
            if sep:
                cells.append(Cell(label.strip(), header.strip(), value.strip()))
    return tuple(cells)


def blank_for(record: str, question: str) -> bool:
    """Whether `record` gives no figure where `question` asks for one: every cell measuring
    what the question measures ("reserves") is blank ("reserves = not available", "withheld").
    The Nigeria row does not answer "what reserves does USGS estimate for Nigeria?"."""
    asked = _measures(set(_words(question)))
    if not asked:
        return False
    cells = [c for c in parse_records(record) if _measures(set(_words(c.header))) & asked]
    return bool(cells) and all(_NOTE.sub("", c.value).strip().lower() in NO_VALUE for c in cells)


def strip_notes(text: str) -> str:
    """`text` without footnote markers, so "(note 12)" never backs a figure 12."""
    return _NOTE.sub("", text)


def check_records(claim: str, passage: str, frame: str = "") -> RecordCheck:
    """How the record cells of `passage` back the figures of `claim` (see the module notes).

    `frame` is the question (and any context sentence): the row or year the claim leaves
    implicit ("13,000 t in 2024" answering "How much did Australia mine?") may come from it."""
    cells = parse_records(passage)
    result = RecordCheck()
    if not cells:
        return result
    claim_words = _words(f"{claim} {frame}")
    claim_years = set(YEAR_RE.findall(f"{claim} {frame}"))
    # the measure the claim itself states ("exports were 7,600 t"); the question's only when the
    # claim names none (a multi-part question may name several: "exports ... mine production")
    measures = _measures(_words(claim)) or _measures(claim_words)
    for quantity in extract_quantities(claim):
        if quantity.unit == "year":
            continue
        holders = [c for c in cells if _holds(c, quantity)]
        if not holders:
            continue
        reasons = [
            _disagreement(c, claim, quantity, claim_words, claim_years, measures) for c in holders
        ]
        if any(not r for r in reasons):
            result.backed.append(quantity)
        else:
            result.wrong[quantity.raw] = reasons[0]
    return result


def misread_in_prose(claim: str, prose: str) -> dict[str, str]:
    """The figures of `claim` that the prose states only as another measure: "China's share of
    world mine output is 44,000,000 t" read from "China's reserves are 44,000,000 t REO; China's
    2024 mine production was 270,000 t". A figure counts as the measure its clause (a sentence
    or a part between semicolons) names, when the clause names one and the claim states one; a
    clause naming none, or both, says nothing against it. Figure -> why."""
    measures = _measures(_words(claim))
    if not measures:
        return {}
    clauses = [c for c in _CLAUSE.split(strip_notes(prose)) if c.strip()]
    wrong: dict[str, str] = {}
    for quantity in extract_quantities(claim):
        if quantity.unit == "year":
            continue
        holding = [c for c in clauses if holds_quantity(quantity, c)]
        named = [_measures(_words(c)) for c in holding]
        if holding and all(m and not m & measures for m in named):
            wrong[quantity.raw] = (
                f"{quantity.raw} is {' and '.join(sorted(named[0]))} in the passage, "
                "not what the claim states"
            )
    return wrong


#: Where a clause of prose ends: a sentence end, a semicolon, a line break or a table bar.
_CLAUSE = re.compile(r"(?<=[.;])\s+|\n+|\s\|\s")


def _holds(cell: Cell, quantity: Quantity) -> bool:
    """Whether the cell states the claim's figure, bound included ("more than 95%": its raw
    text "95%" alone matched no cell that writes "more than 95%", so a claim giving the 2023
    cell's "more than 95%" for 2024 escaped the column check)."""
    return holds_quantity(quantity, _NOTE.sub("", cell.value))


def _disagreement(
    cell: Cell,
    claim: str,
    quantity: Quantity,
    claim_words: set[str],
    claim_years: set[str],
    measures: set[str],
) -> str:
    """Why `cell` cannot be the cell the claim reads, or "" when it can."""
    label_years = set(YEAR_RE.findall(cell.label))
    label_words = _words(cell.label) - _GENERIC
    distinctive = {w for w in label_words if w not in measures_of_words()}
    if label_years:
        if claim_years and not label_years & claim_years:
            return f"{quantity.raw} is in the row for {cell.label}"
    elif distinctive and not distinctive & claim_words:
        return f"{quantity.raw} is in the row '{cell.label}'"
    header_years = set(YEAR_RE.findall(cell.header))
    if header_years and claim_years and not header_years & claim_years:
        return f"{quantity.raw} is in the column '{cell.header}'"
    cell_words = _words(f"{cell.label} {cell.header}")
    if "world" in _words(claim) and "world" not in cell_words:
        return f"{quantity.raw} is '{cell.header}' of '{cell.label}', not a world figure"
    cell_measures = _measures(cell_words) or _measures(_words(_clause_holding(cell, quantity)))
    if measures and cell_measures and not measures & cell_measures:
        return f"{quantity.raw} is '{cell.header}' of '{cell.label}', not what the claim states"
    if _money_as_mass(claim, quantity, cell):
        return f"{quantity.raw} is a tonnage, stated as money"
    return ""


def _clause_holding(cell: Cell, quantity: Quantity) -> str:
    """The clause of a prose cell (a footnote) that holds the figure: "Total domestic production
    ... was 1,920 tons and 7,600 tons" says what 7,600 measures when its header ("note 3") does
    not. A plain value ("13,000 t") gives itself."""
    for clause in re.split(r"(?<=[.;])\s+", _NOTE.sub("", cell.value)):
        if holds_quantity(quantity, clause):
            return clause
    return ""


def _money_as_mass(claim: str, quantity: Quantity, cell: Cell) -> bool:
    """A tonnage cell read as a value or a price ("the value of imports was 10,700 t")."""
    after = re.sub(r"^[^\d]*[\d,.]+", "", _NOTE.sub("", cell.value))
    if not _MASS.match(after):
        return False
    return quantity.unit == "money" or bool(_words(claim) & _measure_stems().get("price", set()))


@functools.lru_cache(maxsize=8192)
def _words(text: str) -> frozenset[str]:
    """Stems of the words of `text`, after the lexicon's aliases ("global" = "world")."""
    for pattern, repl in lexicon().aliases:
        text = pattern.sub(repl, text)
    return frozenset(stem(w.lower()) for w in _WORD.findall(text))


def measures_of(text: str) -> set[str]:
    """The measures `text` names ("value of imports" -> {"price", "imports"})."""
    return _measures(set(_words(text)))


def _measures(words: set[str]) -> set[str]:
    """The measures named by `words` ("production", "reserves", "exports", ...)."""
    return {name for name, stems in _measure_stems().items() if words & stems}


@functools.cache
def measures_of_words() -> frozenset[str]:
    """Every stem that names a measure (they do not identify a row)."""
    return frozenset(w for stems in _measure_stems().values() for w in stems)


@functools.cache
def _measure_stems() -> dict[str, frozenset[str]]:
    return {name: frozenset(stem(w) for w in words) for name, words in lexicon().measures.items()}
