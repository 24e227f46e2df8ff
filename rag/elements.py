"""Chemical element symbols and names, so "Sm, Gd, Dy" and "samarium, gadolinium, dysprosium" agree.

The small model copies symbol lists from tables ("elements: Sm, Gd, Tb") and spells them out from
prose, or the reverse; the support scorer compares words, so both forms must fold onto one word.
`spell_out_symbols` rewrites symbols as names, case-sensitively (the symbol "Eu" is europium, "EU"
is the European Union; "Ga" is gallium, "GA" is not), and "NdPr" as "neodymium praseodymium".

Covered: the 17 rare earths (lanthanides plus scandium and yttrium) and the critical minerals that
travel with them in export-control texts (gallium, germanium, antimony, tungsten, cobalt, lithium,
nickel, graphite has no symbol). Guards: "La" before a capitalised word is French ("La Rochelle"),
and one-letter symbols ("Y", "W") count only inside a list of symbols ("Lu, Sc, and Y") or in
brackets after their name ("yttrium (Y)"): elsewhere a lone capital is an initial or a label.
Not handled: formulas ("Nd2Fe14B", "Dy2O3") - glued digits leave them to `rag.numbers`.
"""

from __future__ import annotations

import re

RARE_EARTHS = {
    "Sc": "scandium",
    "Y": "yttrium",
    "La": "lanthanum",
    "Ce": "cerium",
    "Pr": "praseodymium",
    "Nd": "neodymium",
    "Pm": "promethium",
    "Sm": "samarium",
    "Eu": "europium",
    "Gd": "gadolinium",
    "Tb": "terbium",
    "Dy": "dysprosium",
    "Ho": "holmium",
    "Er": "erbium",
    "Tm": "thulium",
    "Yb": "ytterbium",
    "Lu": "lutetium",
}
CRITICAL_MINERALS = {
    "Ga": "gallium",
    "Ge": "germanium",
    "Sb": "antimony",
    "W": "tungsten",
    "Co": "cobalt",
    "Li": "lithium",
    "Ni": "nickel",
}
SYMBOLS = {**RARE_EARTHS, **CRITICAL_MINERALS}
ELEMENT_NAMES = frozenset(SYMBOLS.values())

_SYMBOL = "|".join(sorted(SYMBOLS, key=len, reverse=True))
# one or more symbols glued together ("NdPr", "SmCo"), standing alone as a word
_TOKEN_RE = re.compile(rf"(?<![\w-])((?:{_SYMBOL})+)(?![\w-])")
_PART_RE = re.compile(_SYMBOL)
_LIST_SEP = r"\s*(?:,|/|;|\band\b|\bor\b|&)\s*(?:and\s+|or\s+)?"
_LISTED_BEFORE_RE = re.compile(rf"(?<![\w-])(?:{_SYMBOL}){_LIST_SEP}$")
_LISTED_AFTER_RE = re.compile(rf"^{_LIST_SEP}(?:{_SYMBOL})(?![\w-])")
_GUARDED = frozenset({"Y", "W", "Co", "Ho", "Er", "Pr", "Li"})  # "Co.", "Ho Chi Minh", "Li Qiang"


def spell_out_symbols(text: str) -> str:
    """`text` with element symbols written as element names ("Sm, Gd" -> "samarium, gadolinium")."""
    return _TOKEN_RE.sub(lambda m: _spelled(text, m), text)


def name_symbols(text: str, source: str) -> str:
    """`text` with each lone element symbol that `source` also writes (by name or as the
    symbol) given its name ("Lu, Sc, and Y" -> "lutetium (Lu), scandium (Sc), and yttrium
    (Y)"): an analyst reads names, and a symbol names one element only. A symbol already after
    its name ("samarium (Sm)") and "NdPr" stay as they are."""
    named = f"{source.lower()} {spell_out_symbols(source).lower()}"

    def name(m: re.Match[str]) -> str:
        token = m.group(1)
        element = SYMBOLS.get(token)
        before = text[max(0, m.start(1) - 24) : m.start(1)]
        if (
            element is None
            or element not in named
            or re.search(rf"{element}\s*\($", before, re.IGNORECASE)
            or not _is_symbol_here(text, m.start(1), m.end(1), token)
        ):
            return token
        return f"{element} ({token})"

    return _TOKEN_RE.sub(name, text)


def _spelled(text: str, m: re.Match[str]) -> str:
    token = m.group(1)
    parts = _PART_RE.findall(token)
    if len(parts) > 1:  # "NdPr": internal capitals, never an ordinary word
        return " ".join(SYMBOLS[p] for p in parts)
    if not _is_symbol_here(text, m.start(1), m.end(1), token):
        return token
    return SYMBOLS[token]


def _is_symbol_here(text: str, start: int, end: int, symbol: str) -> bool:
    """Guards for the symbols that are also ordinary words or initials."""
    before, after = text[max(0, start - 24) : start], text[end : end + 24]
    if symbol == "La" and re.match(r"\s+[A-Z]", after):
        return False  # "La Rochelle"
    if symbol in _GUARDED:
        named = re.search(rf"{SYMBOLS[symbol]}\s*\($", before, re.IGNORECASE)
        listed = _LISTED_BEFORE_RE.search(before) or _LISTED_AFTER_RE.search(after)
        return bool(named or listed)
    return True
