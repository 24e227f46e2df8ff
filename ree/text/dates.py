"""One place that turns the many ways documents write dates into ISO strings.

Front matter, HTML meta tags, PDF metadata and "Date:" lines all spell dates differently; the
index filters and sorts on one form ("YYYY-MM-DD", or "YYYY-MM" / "YYYY" when only that much is
known) and on its integer twin (20250320) for range queries.
"""

from __future__ import annotations

import re
from datetime import date, datetime

#: A year 1800-2099 written alone: not part of a longer number ("12,2024"), a decimal or a
#: thousands figure ("2,000" is not the year 2000).
YEAR_RE = re.compile(r"(?<![\d,.])(?:1[89]|20)\d{2}(?!\d|,\d)")
#: A span of years ("1900-1992", "2020 to 2024"): in a title, what a document covers, not the
#: year any one of its passages is about.
YEAR_SPAN_RE = re.compile(r"\b(?:1[89]|20)\d{2}\s*(?:[-–_ ]|to)\s*(?:1[89]|20)\d{2}\b")

MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTHS: dict[str, int] = {}
for _number, _name in enumerate(MONTH_NAMES, start=1):
    MONTHS[_name] = _number
    MONTHS[_name[:3]] = _number
MONTHS["sept"] = 9

_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_ORD = r"(?:st|nd|rd|th)?"
# A date must end at a boundary: end of string, a time part, or punctuation/space before more text.
_END = r"(?=$|[\sT,;.()\[\]])"

_PATTERNS: list[re.Pattern[str]] = [
    # PDF metadata: D:20250225094235-05'00' (month and day optional).
    re.compile(r"^D:(?P<year>\d{4})(?:(?P<mon>\d{2})(?P<day>\d{2})?)?"),
    # ISO and friends: 2025-03-20, 2025-03-20T10:00:00Z, 2025/03/20, 2025.03.20, 2025-03-20 17:47
    re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<mon>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _END),
    # Compact 20250320
    re.compile(r"^(?P<year>\d{4})(?P<mon>\d{2})(?P<day>\d{2})$"),
    # Partial ISO: 2025-03, 2025
    re.compile(r"^(?P<year>\d{4})-(?P<mon>\d{1,2})$"),
    re.compile(r"^(?P<year>\d{4})$"),
    # March 20, 2025 / Thu, March 20th 2025
    re.compile(
        r"^" + _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})" + _ORD + r",?\s+(?P<year>\d{4})" + _END,
        re.I,
    ),
    # 20 March 2025 / Thu, 20 Mar 2025 10:00:00 +0000
    re.compile(
        r"^"
        + _WEEKDAY
        + r"(?P<day>\d{1,2})"
        + _ORD
        + r"\s+"
        + _MONTH
        + r",?\s+(?P<year>\d{4})"
        + _END,
        re.I,
    ),
    # March 2025
    re.compile(r"^" + _MONTH + r",?\s+(?P<year>\d{4})" + _END, re.I),
]


def normalize_date(value: object) -> str | None:
    """Return "YYYY-MM-DD" (or "YYYY-MM" / "YYYY" for partial dates), or None if not a date.

    Accepts date/datetime objects, ISO strings (with or without a time part), "March 20, 2025",
    "20 March 2025", "2025/03/20" and PDF "D:20250225..." strings. A datetime keeps the calendar
    day it was written with (no conversion to UTC): that is the day the publisher printed.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return _build(value, None, None)
    text = str(value).strip()
    if not text:
        return None
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            return _from_match(match)
    return None


def date_to_int(value: object) -> int | None:
    """Turn a date into a sortable integer: "2025-03-20" -> 20250320, "2025-03" -> 20250301."""
    iso = normalize_date(value)
    if iso is None:
        return None
    parts = [int(p) for p in iso.split("-")]
    year, month, day = (parts + [1, 1])[:3]
    return year * 10000 + month * 100 + day


def _from_match(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if groups.get("month"):
        month = MONTHS.get(groups["month"].lower())
        if month is None:
            return None
    elif groups.get("mon"):
        month = int(groups["mon"])
    else:
        month = None
    day = int(groups["day"]) if groups.get("day") else None
    return _build(year, month, day)


def _build(year: int, month: int | None, day: int | None) -> str | None:
    """Validate the parts and format them; None for impossible dates such as 2025-02-30."""
    if not 1000 <= year <= 2999:
        return None
    try:
        if month is None:
            return f"{year:04d}"
        if day is None:
            date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return date(year, month, day).isoformat()
    except ValueError:
        return None
