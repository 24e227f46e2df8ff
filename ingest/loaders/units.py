"""Units of measure in table captions, headers and row labels: "metric tons" -> "t", "$/kg".

A table states its unit once ("Data in metric tons ...", "Price, dollars per kilogram",
"Production (t)"), and a number cut from the table loses it. The record renderer appends the unit
symbol found here to every plain number, so "16,000" reads "16,000 t" and "49" reads "49 $/kg".

Deliberately small: a handful of units that statistical tables about commodities use (mass,
money per mass, percent, counts). Anything else yields no unit, and numbers stay bare rather than
get a wrong unit. Not handled: unit conversion, currencies other than dollars, rates per time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """`symbol` is appended to numbers ("" means a count: no unit); `text` is how the source says it."""

    symbol: str
    text: str


# Order matters: money per mass before mass, kilograms before tons.
_VOCABULARY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("$/kg", re.compile(r"(?:US)?\$\s*/\s*kg\b|\bdollars?\s+per\s+(?:kilogram|kg)\b", re.I)),
    ("$/t", re.compile(r"(?:US)?\$\s*/\s*t\b|\bdollars?\s+per\s+(?:metric\s+)?ton(?:ne)?\b", re.I)),
    ("%", re.compile(r"\bpercent(?:age)?\b|\(%\)|\bin\s+%", re.I)),
    ("kg", re.compile(r"\bkilograms?\b|\(kg\)", re.I)),
    ("t", re.compile(r"\bmetric\s+tons?\b|\btonnes?\b|\btons?\b|\(t\)", re.I)),
    ("", re.compile(r"(?:^|,\s*)number$", re.I)),
)
# A parenthesized group that is only a unit symbol, kept verbatim ("$/t", "98$/t", "t", "%").
_SYMBOL_ONLY = re.compile(r"^(?:US|\d{2,4})?\$?\s*/?\s*(?:t|kg|%)$")
_GROUP = re.compile(r"\(((?:[^()]|\([^()]*\))*)\)")
_UNDERSCORE_TOKENS = {"t": "t", "tonnes": "t", "tons": "t", "kg": "kg", "pct": "%", "percent": "%"}


def find_unit(text: str) -> Unit | None:
    """The first known unit named in `text`, or None."""
    for symbol, pattern in _VOCABULARY:
        match = pattern.search(text)
        if match:
            return Unit(symbol, " ".join(text.split()))
    return None


@dataclass(frozen=True)
class Header:
    """A column header split into a short name, the full name and its unit."""

    name: str  # without unit groups: "Production"
    full: str  # without a symbol-only group: "Unit value (current U.S. dollars per metric ton)"
    unit: Unit | None


def split_header(header: str) -> Header:
    """Take the unit out of a header such as "Production (metric tons (t) REO equivalent)".

    Parenthesized groups that name a unit are removed from `name`; a group that is only a symbol
    ("$/t") is used verbatim as the symbol. `full` keeps descriptive groups, so two columns that
    differ only there ("Unit value ($/t) (current U.S. dollars ...)" and "... (1998 U.S. ...)")
    can still be told apart.
    """
    header = " ".join(header.split())
    groups = [m.group(1).strip() for m in _GROUP.finditer(header)]
    base = _GROUP.sub(" ", header)
    base = " ".join(base.split()).strip(" ,;:")
    symbol: str | None = None
    described: Unit | None = None
    kept: list[str] = []
    unit_groups: list[str] = []
    for group in groups:
        if _SYMBOL_ONLY.match(group):
            symbol = symbol or group.replace(" ", "")
            continue
        unit = find_unit(group)
        if unit is not None and described is None:
            described = unit
            unit_groups.append(group)
            continue
        kept.append(group)
    unit: Unit | None = None
    if symbol is not None:
        unit = Unit(symbol, described.text if described else symbol)
    elif described is not None:
        unit = described
    elif not groups:
        unit = _underscore_unit(base)
    name = " ".join([base, *(f"({g})" for g in kept)]) if base else header
    full_groups = [g for g in groups if not _SYMBOL_ONLY.match(g)]
    full = " ".join([base, *(f"({g})" for g in full_groups)]) if base else header
    return Header(name=name, full=full, unit=unit)


def _underscore_unit(name: str) -> Unit | None:
    """A unit token inside a snake_case name: "mine_production_t_reo" -> t."""
    if "_" not in name:
        return None
    for token in name.lower().split("_"):
        if token in _UNDERSCORE_TOKENS:
            return Unit(_UNDERSCORE_TOKENS[token], name)
    return None
