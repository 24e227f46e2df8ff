"""Words for search and matching: the BM25 tokenizer and the light stemmer.

Two jobs, two functions, used everywhere the product compares words: `tokenize` is what BM25,
evidence selection and retrieval coverage count ("390,000" and "390000" are one token, plurals
folded, stopwords dropped); `stem` is what verification compares claim and passage words with
("prices"/"price", "produced"/"produce", licence/license).

Deliberately not handled: real morphology (no Snowball: it measured worse for BM25 here, see the
README's retrieval notes) and languages other than English.
"""

from __future__ import annotations

import re

_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in
    into is it its itself may more most no not of on or our over per shall should so such than that
    the their them then there these they this those through to under up was we were what when where
    which while who whom why will with would you your about after also any between both each other
    only same some very via""".split()  # noqa: SIM905 (a readable word list)
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lowercase words and numbers; "390,000" and "390000" become the same token."""
    out: list[str] = []
    for tok in _TOKEN.findall(text.lower()):
        if tok[0].isdigit():
            tok = tok.replace(",", "")
            if tok.endswith(".0"):
                tok = tok[:-2]
        else:
            tok = tok.replace("’", "'").split("'")[0]
            if tok in _STOPWORDS or len(tok) < 2:
                continue
            if len(tok) > 4 and tok.endswith("ies"):
                tok = tok[:-3] + "y"
            elif len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
                tok = tok[:-1]
        out.append(tok)
    return out


def _undoubled(w: str) -> str:
    """A stem whose last consonant was doubled before "-ed"/"-ing" ("submitted", "planning")
    without the double, so it meets "submit", "plan"; "ll", "ss", "ff", "zz" are kept
    ("installed" = "install") and so are three-letter stems ("added" = "add")."""
    if len(w) >= 5 and w[-1] == w[-2] and w[-1] not in "aeiouylsfz":
        return w[:-1]
    return w


def stem(word: str) -> str:
    """Light suffix stripping so "prices"/"price", "produced"/"produce" compare equal."""
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s?$", "", w)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and re.search(r"(?:ss|x|z|ch|sh)es$", w):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = _undoubled(w[:-3])
    elif len(w) > 4 and w.endswith("ed"):
        w = _undoubled(w[:-2])
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    # British/American spellings: licence/license, defence/defense, organise/organize
    return re.sub(r"(?<=.{3})(?:enc$|iz$)", lambda m: "ens" if m.group(0) == "enc" else "is", w)
