"""Read the figures in a sentence the same way however they are written.

Analysts act on numbers, and the small model rewrites them: "25,300" becomes "25300", "44 million"
becomes "44,000,000", "87%" becomes "87 per cent". The verifier needs to know whether a claim's
figures appear in the passage it cites, and the eval harness needs to compare must-include strings
against answers; both go through this module so they agree on what counts as the same number.

Choices (deliberate, tested):
- Units are coarse: "percent", "money" (currency-agnostic: "$1.65 billion" matches
  "A$1.65 billion"), "year" (a bare 4-digit integer 1800-2100) or "" for everything else. Tonnes,
  kilograms etc. stay "" except that "kt"/"Mt" scale the value ("390 kt" = 390,000).
- Thousands separators are commas and thin/narrow/no-break spaces; a plain space is not one
  ("in 2024 300 t" is two numbers). A comma followed by other than exactly three digits is not one.
- "m"/"k"/"b" suffixes scale only after a currency ("$35M"); elsewhere only words do ("44 million",
  "1.2 bn", "3 thousand"), since "5 m" may be metres.
- Ranges "60-70%", "60 to 70 percent", "$1-2 billion" give both ends: the left end borrows the
  right end's unit and scale when it has none, the right end borrows the left end's currency.
  "fell 52% to $253.4 million" (percent against money) and "in 2023 to 13,000 t" (a year
  against a figure) are two figures, not a range.
- Not quantities: citation markers ("[3]", "[S2]"), ordinals ("3rd"), list numbers at line start
  ("1. "), digits glued to letters ("Q3", "Nd2Fe14B", "COVID-19"), and the day/month of a date
  ("2025-04-15", "15 April 2025" both give only the year 2025). "FY2024" and "mid-2025" are years.
- Legal and document identifiers are not amounts: "42 U.S.C. 13344", "§ 13344", "Section 232",
  "EO 14154" / "Executive Order 14154", "Public Law 117-58", "H.R. 4346", "Regulation (EU)
  2024/1252" give one Quantity of unit "id" whose value is the section/order/law number (the
  "42" title is not a figure). An identifier matches only an identifier with the same number, so
  "Section 232" is not backed by "232 tonnes", and "42 U.S.C. 13344" is backed by "§ 13344";
  the kind of identifier is not compared. They are left as written by `normalize_numbers`.
- Signs are ignored ("-5%" and "fell 5%" agree).
- Number words "one".."twelve" are read only on the passage side of `unsupported_quantities` (so a
  claim's "2 mines" is backed by a passage's "two mines") and never rewritten by
  `normalize_numbers`: in a claim, "one of the largest" is not a figure worth vetoing.
- Rounding tolerance: a claim figure matches a passage figure within half a unit of the claim's
  last written digit ("70%" covers 69.5-70.5, "1.2 million" covers 1.15-1.25 million), but never
  looser than rounding the passage figure to two significant figures ("A$2 billion" does not
  match "A$1.65 billion", "A$1.7 billion" does). There is no blanket relative slack, so "25,300"
  does not match "25,320". Years must match exactly.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ree.text import MARKER_RE

Unit = str  # "percent" | "money" | "year" | "id" | ""
Bound = str  # "lower" (more than), "upper" (up to), "approx" (about) or "" (exact)

#: Words just before a figure that make it a bound or an estimate rather than the value itself.
_BOUNDS = (
    (
        "lower",
        re.compile(
            r"\b(?:more than|over|above|at least|exceeding|in excess of|upwards of|>)(?:\s+an?)?\s*$"
        ),
    ),
    (
        "upper",
        re.compile(
            r"\b(?:up to|less than|fewer than|under|below|at most|no more than|<)(?:\s+an?)?\s*$"
        ),
    ),
    (
        "approx",
        re.compile(
            r"\b(?:about|around|approximately|roughly|some|nearly|almost|circa|~)(?:\s+an?)?\s*$"
        ),
    ),
)


@dataclass(frozen=True)
class Quantity:
    """A figure as a value plus a coarse unit; `raw` is the text it was read from."""

    value: float
    unit: Unit
    raw: str = field(default="", compare=False)
    step: float = field(default=1.0, compare=False)  # size of the last written digit
    bound: Bound = field(default="", compare=False)  # "more than 40%" -> "lower"


_SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "mln": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
    "tr": 10**12,
}
_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve"
_WORDS = {w: i for i, w in enumerate(_NUMBER_WORDS.split(), start=1)}

# case-insensitive: the eval harness casefolds before normalising ("a$1.65 billion")
_CUR = r"(?i:(?:US|AU|A|CA|C|HK|NZ|S)?\$|€|£|¥|(?:USD|AUD|CAD|EUR|GBP|RMB|CNY|JPY)\s?)"
_CUR_AFTER = (
    r"\s?(?i:U\.?S\.?\s+dollars?|dollars?|euros?|yuan|yen|USD|AUD|CAD|EUR|GBP|RMB|CNY|JPY)\b"
)
_NUM = (
    r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:[\u2009\u202f\u00a0]\d{3})+(?!\d)|\d+)(?:\.\d+)?"
    r"|\.\d+"
)


def _side(tag: str) -> str:
    """Regex for one figure: currency, number, scale, percent, trailing currency."""
    # "m"/"k"/"b" scale only after a currency; the right end of a range may use the left's: "$1-2m"
    guard = r"(?(cur)|(?(cur_b)|(?!)))" if tag else r"(?(cur)|(?!))"
    money_scale = rf"{guard}(?P<mscale{tag}>\s?(?i:tr|[kmb])\b)"
    return (
        rf"(?P<cur{tag}>{_CUR})?"
        rf"(?P<num{tag}>{_NUM})(?!\d)(?!(?:st|nd|rd|th)\b)"
        rf"(?:(?P<scale{tag}>\s?(?i:thousand|million|billion|trillion|mn|mln|bn|tn)\b)"
        rf"|{money_scale}"
        rf"|(?P<tscale{tag}>\s?[kM])(?=t(?:pa)?\b|t/))?"
        rf"(?P<pct{tag}>\s?(?:%|(?i:per\s?cent|pct|percentage\s+points?)\b))?"
        rf"(?P<cur2{tag}>{_CUR_AFTER})?"
    )


_FIGURE_RE = re.compile(
    # not glued to a word ("Q3", "CO2"), nor hyphenated to one ("COVID-19") unless a year ("mid-2025")
    r"(?<![\w.$€£¥])(?<!\d,)(?:(?<![A-Za-z]-)|(?=\d{4}(?![\d,.])))"
    + _side("")
    + r"(?:(?P<sep>\s?[-–—]\s?|\s+to\s+)"
    + _side("_b")
    + r")?"
)
_MONTH = (  # "May" only capitalised: "12 may rise" is not a date
    r"(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May)\.?"
)
_DATE_RE = re.compile(  # only the year of these is read
    r"(?<![\w.])(?P<year>\d{4})[-/](?:0?[1-9]|1[0-2])(?:[-/](?:0?[1-9]|[12]\d|3[01]))?(?![\d-])"
    r"|(?<![\w.])(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])/(?P<year2>\d{4})(?!\d)"
    r"|(?<![\w.])(?i:FY|CY)\s?(?P<year3>\d{4})(?!\d)"  # fiscal/calendar year "FY2024"
)
_IDENTIFIER_RE = re.compile(  # the number of each is its group "n"
    r"(?<![\w.])(?:"
    r"\d{1,2}\s*(?:U\.?\s?S\.?\s?C\.?(?:\s?A\.?)?|C\.?F\.?R\.?)\s*(?:§+\s*)?"  # 42 U.S.C. 13344
    r"|§+\s*|(?i:sections?|sec\.)\s*"  # § 13344, Section 232
    r"|(?:E\.\s?O\.|EO|(?i:executive\s+order))\s*(?:\((?:E\.?O\.?)\)\s*)?(?i:no\.?\s*)?"
    r"|(?i:public\s+law|pub\.\s?l\.|p\.\s?l\.)\s*(?i:no\.?\s*)?(?=\d{2,3}[-–]\d)"
    r"|H\.\s?R\.\s*"
    r"|(?i:regulation|directive|decision)\s*(?:\((?:EU|EC|EEC)\)\s*)?(?i:no\.?\s*)?(?=\d+/\d)"
    r")(?P<n>\d+(?:\.\d+|[-–/]\d+)?)(?!\d|[,.]\d)"
)
_MONTH_BEFORE_RE = re.compile(rf"\b{_MONTH}\s+$")
_MONTH_AFTER_RE = re.compile(rf"^\s+(?:of\s+)?{_MONTH}(?:\b|\s)")
_LIST_NUMBER_RE = re.compile(r"^[.)]\s")
_WORD_RE = re.compile(
    r"(?i)\b(?P<word>" + "|".join(_WORDS) + r")\b"
    r"(?:\s+(?P<scale>thousand|million|billion)\b)?"
    r"(?P<pct>\s+(?:percent|per\s+cent)\b)?"
)


@dataclass
class _Mention:
    start: int
    end: int
    quantities: list[Quantity]
    canonical: str | None  # replacement text for normalize_numbers; None = leave as written


_BARE_WORD_RE = re.compile(r"(?i)\b(?:" + "|".join(_WORDS) + r")\b")


def number_words_as_digits(text: str) -> str:
    """`text` with "one".."twelve" written as digits ("ten years" -> "10 years"): for comparing
    what two texts say, where the number word and the digit state the same figure."""
    return _BARE_WORD_RE.sub(lambda m: str(_WORDS[m.group(0).lower()]), text)


def extract_quantities(text: str, *, number_words: bool = False) -> list[Quantity]:
    """Every figure in `text`, in order. `number_words` also reads "one".."twelve"."""
    return list(_extract(text, number_words))


@functools.lru_cache(maxsize=4096)  # the verifier reads the same passages for every claim
def _extract(text: str, number_words: bool) -> tuple[Quantity, ...]:
    found = [
        replace(q, bound=_bound_before(text, m.start)) for m in _scan(text) for q in m.quantities
    ]
    if number_words:
        for m in _WORD_RE.finditer(_blank_markers(text)):
            scale = _SCALES[m.group("scale").lower()] if m.group("scale") else 1
            unit = "percent" if m.group("pct") else ""
            value = _WORDS[m.group("word").lower()] * scale
            found.append(Quantity(float(value), unit, m.group(0), float(scale)))
    return tuple(found)


def normalize_numbers(text: str) -> str:
    """`text` with each figure rewritten canonically: "25,300"->"25300", "87%"->"87 percent".

    Scale words fold into the number ("44 million" -> "44000000", "$35M" -> "$35000000"), trailing
    zeros after a decimal point go ("1.50" -> "1.5"), percent forms become " percent", and
    "390 kt" becomes "390000 t". Years, dates, markers and all other text stay as written.
    """
    out: list[str] = []
    last = 0
    for m in _scan(text):
        if m.canonical is None:
            continue
        out.append(text[last : m.start])
        out.append(m.canonical)
        last = m.end
    out.append(text[last:])
    return "".join(out)


def unsupported_quantities(claim: str, passage: str) -> list[Quantity]:
    """The claim's figures that the passage does not contain (see module notes on tolerance),
    or contains only as another kind of bound ("40%" where the passage says "more than 40%")."""
    available = extract_quantities(passage, number_words=True)
    missing: list[Quantity] = []
    for q in extract_quantities(claim):
        if q not in missing and not _among(q, available):
            missing.append(q)
    return missing


def holds_quantity(quantity: Quantity, text: str) -> bool:
    """Whether `text` states `quantity`, its bound included: "more than 95%" is in "2021 =
    more than 95%", and so is a plain "95%" only where the text says it plainly."""
    return _among(quantity, extract_quantities(text, number_words=True))


def _among(quantity: Quantity, available: list[Quantity]) -> bool:
    return any(_matches(quantity, p) and _bounds_agree(quantity.bound, p.bound) for p in available)


def _bound_before(text: str, start: int) -> Bound:
    """Whether the words just before a figure make it a bound or an estimate."""
    before = text[max(0, start - 24) : start].lower()
    return next((name for name, pattern in _BOUNDS if pattern.search(before)), "")


def _bounds_agree(claim: Bound, passage: Bound) -> bool:
    """An exact or approximate figure may be restated with or without "about"; "more than" and
    "up to" must be kept (a ceiling stated as the value overstates it)."""
    if passage in ("lower", "upper"):
        return claim == passage
    return claim in ("", "approx")


def _matches(claim: Quantity, passage: Quantity) -> bool:
    if "id" in (claim.unit, passage.unit):  # identifiers: the same number, written anywhere
        return claim.unit == passage.unit and claim.value == passage.value
    if "year" in (claim.unit, passage.unit):
        return (
            claim.unit in ("year", "")
            and passage.unit in ("year", "")
            and (claim.value == passage.value)
        )
    compatible = (
        claim.unit == passage.unit
        or claim.unit == ""  # a bare figure may be any kind of figure the passage has
        or (claim.unit == "money" and passage.unit == "")  # currency named elsewhere
    )
    return compatible and abs(claim.value - passage.value) <= _tolerance(claim, passage)


def _tolerance(claim: Quantity, passage: Quantity) -> float:
    """Half the claim's last digit, but no coarser than rounding to two significant figures."""
    tolerance = claim.step / 2
    if passage.value:
        two_figures = 10 ** (math.floor(math.log10(abs(passage.value))) - 1)
        tolerance = min(tolerance, two_figures / 2)
    return tolerance + 1e-9 * max(abs(claim.value), 1.0)


def _blank_markers(text: str) -> str:
    return MARKER_RE.sub(lambda m: " " * len(m.group(0)), text)


def _scan(text: str) -> Iterator[_Mention]:
    """Figures in `text` in order; markers, identifiers, dates, days, ordinals and list numbers
    handled."""
    blanked = _blank_markers(text)
    dates = _identifiers(blanked)
    taken = [(d.start, d.end) for d in dates.values()]
    for m in _DATE_RE.finditer(blanked):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        year = m.group("year") or m.group("year2") or m.group("year3")
        dates[m.start()] = _Mention(m.start(), m.end(), _year_only(year, m.group(0)), None)
    dates = dict(sorted(dates.items()))
    pos = 0
    while pos < len(blanked):
        date = next((d for s, d in dates.items() if s >= pos), None)
        m = _FIGURE_RE.search(blanked, pos, date.start if date else len(blanked))
        if m is None:
            if date is None:
                return
            yield date
            pos = date.end
            continue
        mention = _mention(blanked, m)
        pos = m.end() if mention is None else mention.end
        if mention is not None:
            yield mention


def _identifiers(text: str) -> dict[int, _Mention]:
    """Identifier mentions by start ("Section 232" -> unit "id", value 232), kept as written."""
    found = {}
    for m in _IDENTIFIER_RE.finditer(text):
        parts = re.split(r"[-–/]", m.group("n"))  # "117-58", "2024/1252": law/regulation numbers
        value = float(parts[0]) if len(parts) == 1 else int(parts[0]) * 10**5 + int(parts[1])
        quantity = Quantity(float(value), "id", m.group(0))
        found[m.start()] = _Mention(m.start(), m.end(), [quantity], None)
    return found


def _year_only(year: str, raw: str) -> list[Quantity]:
    value = int(year)
    return [Quantity(float(value), "year" if 1800 <= value <= 2100 else "", raw)]


def _mention(text: str, m: re.Match[str]) -> _Mention | None:
    raw = m.group(0).strip()
    left = _Side.read(m, "")
    if m.group("num_b") is None:
        if _is_list_number(text, m) or _is_day_of_month(text, m):
            return None
        return _Mention(m.start(), m.end(), [left.quantity(raw)], left.canonical())
    right = _Side.read(m, "_b")
    if _conflict(left, right) or _year_to_figure(m, left, right):
        left_end = max(m.end(g) for g in ("cur", "num", "scale", "mscale", "tscale", "pct", "cur2"))
        raw = m.group(0)[: left_end - m.start()].strip()
        return _Mention(m.start(), left_end, [left.quantity(raw)], left.canonical())
    # "60-70%": the left end borrows what only the right end wrote; "$1-2 billion": the right end
    # borrows the left end's currency. A year never borrows ("2023 to 60%").
    written_left = left
    if not left.is_year_like():
        unscaled = not (left.scale or left.tonnes)
        left = replace(
            left,
            scale=right.scale if unscaled else left.scale,
            tonnes=right.tonnes if unscaled else left.tonnes,
            pct=left.pct or right.pct,
            cur2=left.cur2 or right.cur2,
        )
    right_full = replace(right, cur=right.cur or left.cur)
    sep = "-" if m.group("sep").strip() in "-–—" else " to "
    canonical = written_left.canonical(scale=left.multiplier()) + sep + right.canonical()
    quantities = [left.quantity(raw), right_full.quantity(raw)]
    return _Mention(m.start(), m.end(), quantities, canonical)


def _year_to_figure(m: re.Match[str], left: _Side, right: _Side) -> bool:
    """ "3,600 t in 2023 to 13,000 t in 2024": a year, then "to" and a figure (or the other
    way round) is two mentions, not a range of a year and a figure."""
    return m.group("sep").strip() == "to" and left.is_year_like() != right.is_year_like()


def _conflict(left: _Side, right: _Side) -> bool:
    """Both ends carry decorations that disagree: percent against money."""
    left_money, right_money = bool(left.cur or left.cur2), bool(right.cur or right.cur2)
    return bool(left.pct and right_money or left_money and right.pct)


@dataclass
class _Side:
    """One written figure: its number and the decorations written around it."""

    number: Decimal
    cur: str = ""  # currency before the number, as written
    scale: str = ""  # "million", "bn", "M" ... as written, stripped
    tonnes: str = ""  # "k" or "M" of "kt"/"Mt"
    pct: str = ""
    cur2: str = ""  # currency after the number, as written (with its leading space)
    four_digits: bool = False  # written as exactly four bare digits (a year candidate)

    @classmethod
    def read(cls, m: re.Match[str], tag: str) -> _Side:
        written = m.group("num" + tag)
        digits = re.sub(r"[,\u2009\u202f\u00a0]", "", written)
        return cls(
            number=Decimal(digits),
            cur=m.group("cur" + tag) or "",
            scale=(m.group("scale" + tag) or m.group("mscale" + tag) or "").strip(),
            tonnes=(m.group("tscale" + tag) or "").strip(),
            pct=m.group("pct" + tag) or "",
            cur2=m.group("cur2" + tag) or "",
            four_digits=re.fullmatch(r"\d{4}", written) is not None,
        )

    def multiplier(self) -> int:
        if self.scale:
            return _SCALES[self.scale.lower()]
        if self.tonnes:
            return 10**3 if self.tonnes == "k" else 10**6
        return 1

    def quantity(self, raw: str) -> Quantity:
        scale = self.multiplier()
        step = Decimal(1).scaleb(self.number.as_tuple().exponent) * scale
        is_year = (
            not (self.cur or self.cur2 or self.pct or scale != 1)
            and self.four_digits
            and 1800 <= self.number <= 2100
        )
        unit = "percent" if self.pct else "money" if self.cur or self.cur2 else ""
        return Quantity(
            float(self.number * scale), unit or ("year" if is_year else ""), raw, float(step)
        )

    def is_year_like(self) -> bool:
        return self.quantity("").unit == "year"

    def canonical(self, scale: int | None = None) -> str:
        """This side as canonical text; `scale` overrides (a range's left end borrowing it)."""
        scale = self.multiplier() if scale is None else scale
        text = self.cur + _plain(self.number * scale)
        if self.tonnes:  # the "t" of "kt" was not consumed: "390 kt" -> "390000 t"
            text += " "
        if self.pct:
            text += " percentage points" if "point" in self.pct.lower() else " percent"
        return text + self.cur2


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def _is_list_number(text: str, m: re.Match[str]) -> bool:
    line_start = text.rfind("\n", 0, m.start()) + 1
    return (
        not text[line_start : m.start()].strip()
        and m.group("cur") is None
        and _LIST_NUMBER_RE.match(text[m.end() :] or "") is not None
        and len(m.group("num")) <= 2
    )


def _is_day_of_month(text: str, m: re.Match[str]) -> bool:
    digits = m.group("num")
    if not digits.isdigit() or not 1 <= int(digits) <= 31 or m.group(0) != digits:
        return False
    return bool(
        _MONTH_BEFORE_RE.search(text[max(0, m.start() - 12) : m.start()])
        or _MONTH_AFTER_RE.match(text[m.end() : m.end() + 16])
    )
