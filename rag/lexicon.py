"""The support scorer's word lists, loaded from `rag/lexicon.yaml` (data, not code).

Kept as data so that a reviewer can read and change what counts as a stopword, a negation, an
opposite or a hedge without reading the scorer, and so that each change is one reviewable line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")


@dataclass(frozen=True)
class Lexicon:
    stopwords: frozenset[str]
    negations: frozenset[str]
    opposites: tuple[tuple[frozenset[str], frozenset[str]], ...]  # raw words, not stems
    hedges: frozenset[str]
    demonyms: dict[str, str]
    aliases: tuple[tuple[re.Pattern[str], str], ...]  # pattern -> " replacement "
    name_words: frozenset[str]
    measures: dict[str, frozenset[str]]  # measure -> the words that name it
    actor_names: frozenset[str]  # institutions and officials named as actors or sources


def _words(text: str) -> frozenset[str]:
    return frozenset(str(text).split())


@cache
def lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The word lists of `path` (cached: read once per process)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    demonyms = {str(k): str(v) for k, v in data["demonyms"].items()}
    aliases = [(re.compile(p, re.IGNORECASE), f" {r} ") for p, r in data["aliases"]]
    aliases += [
        (re.compile(rf"\b(?:{'|'.join(forms.split())})\b", re.IGNORECASE), f" {country} ")
        for country, forms in demonyms.items()
    ]
    return Lexicon(
        stopwords=_words(data["stopwords"]),
        negations=_words(data["negations"]),
        opposites=tuple((_words(a), _words(b)) for a, b in data["opposites"]),
        hedges=_words(data["hedges"]),
        demonyms=demonyms,
        aliases=tuple(aliases),
        name_words=_words(data["name_words"]) | frozenset(demonyms),
        measures={str(k): _words(v) for k, v in data.get("measures", {}).items()},
        actor_names=_words(data.get("actor_names", "")),
    )
