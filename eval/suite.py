"""QA suites: one JSON object per line, loaded and checked before any model time is spent.

Why this module exists: a full real-model run of a suite takes an hour; a typo on line 41 must fail
in the first second with its file and line number, not after forty answers. Every field except
`id` and `question` is optional, and each metric is scored only from the fields an item has (an
item without `sources` gets no retrieval score, one without `must_include` no must-include rate).

Suite format (`eval/datasets/*.jsonl`)::

    {"id": "s001", "question": "...", "answer": "gold answer", "must_include": ["Baotou"],
     "sources": ["bayan-obo-deposit-profile.md"], "type": "fact", "evidence": ["quoted text"],
     "tags": ["table"]}

`type == "unanswerable"` marks a question the corpus does not answer: the assistant should refuse.
`tags` are free labels for slicing a suite ("table": the answer is a table cell, "multi-part":
every part of a several-part question is a must-include phrase, "near-miss": an unanswerable
question that looks answerable); the suites' own tests check which values they use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

UNANSWERABLE = "unanswerable"
#: Exact match and token F1 only make sense against a short gold answer: a paragraph-long gold
#: "answer" to an insight question has no single right wording. Types and length limit below.
SHORT_ANSWER_TYPES = frozenset({"fact", "numeric"})
SHORT_ANSWER_MAX_WORDS = 8

_LIST_FIELDS = ("must_include", "sources", "evidence", "tags")


class SuiteError(ValueError):
    """Bad eval input (a malformed suite line, an unknown id, an empty corpus); the message names
    the file and line or the value to fix, and the CLI prints it as one line."""


@dataclass(frozen=True)
class QAItem:
    """One question of a suite with its gold fields (empty when the suite does not give them)."""

    id: str
    question: str
    answer: str = ""
    must_include: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    type: str = "untyped"
    evidence: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.type != UNANSWERABLE

    @property
    def short_answer(self) -> bool:
        """Whether exact match / token F1 are scored (see `SHORT_ANSWER_TYPES`)."""
        return (
            self.type in SHORT_ANSWER_TYPES
            and bool(self.answer.strip())
            and len(self.answer.split()) <= SHORT_ANSWER_MAX_WORDS
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_item(raw: object, where: str) -> QAItem:
    """Validate one decoded line; `where` ("suite.jsonl:12") prefixes every error."""
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: expected a JSON object, got {type(raw).__name__}")
    for key in ("id", "question"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise SuiteError(f"{where}: field {key!r} must be a non-empty string")
    if not isinstance(raw.get("answer", ""), str):
        raise SuiteError(f"{where}: field 'answer' must be a string")
    if not isinstance(raw.get("type", ""), str):
        raise SuiteError(f"{where}: field 'type' must be a string")
    lists: dict[str, list[str]] = {}
    for key in _LIST_FIELDS:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SuiteError(f"{where}: field {key!r} must be a list of strings")
        lists[key] = [v for v in value if v.strip()]
    return QAItem(
        id=raw["id"].strip(),
        question=raw["question"].strip(),
        answer=raw.get("answer", "").strip(),
        type=(raw.get("type") or "untyped").strip(),
        **lists,
    )


def suite_lines(path: Path) -> Iterator[tuple[int, str, Any]]:
    """(line number, "file:line", parsed JSON) for each non-blank line of a JSONL suite; a line
    that is not JSON fails with its file and line."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                yield lineno, where, json.loads(line)
            except json.JSONDecodeError as exc:
                raise SuiteError(f"{where}: invalid JSON ({exc.msg})") from None


def load_suite(path: str | Path) -> list[QAItem]:
    """All items of a suite file, in file order; blank lines are allowed, duplicate ids are not."""
    path = Path(path)
    if not path.is_file():
        raise SuiteError(f"{path}: suite file not found")
    items: list[QAItem] = []
    seen: dict[str, int] = {}
    for lineno, where, raw in suite_lines(path):
        item = parse_item(raw, where)
        if item.id in seen:
            raise SuiteError(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise SuiteError(f"{path}: the suite has no items")
    return items
