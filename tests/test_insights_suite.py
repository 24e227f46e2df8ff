"""Checks for the insights suite (eval/datasets/insights.jsonl).

The suite measures the two answer forms written "in the style of the In-Depth AI Insights" of the
seed article: the insights mode (any analyst question -> three cited sections of labelled bullets)
and the brief of one indexed document (News Summary + Background from other documents + In-Depth
Insights). One JSON object per line:

    {"id": "i001", "kind": "question", "corpus": "sample", "question": "What does ...?",
     "topic": "NdPr price floor", "must_include": ["$110", "10 years"],
     "sources": ["mp-materials-dod-partnership-2025.md"], "evidence": ["verbatim quote"],
     "notes": "what a good answer should argue"}

A "brief" item names the document to brief in `source` (and has no `question`); its `sources`
start with that document and add the related documents its Background draws on.

Every evidence quote must occur in one of the item's sources after the same text extraction as
tests/test_datasets.py (whitespace-normalized), and every must-include phrase must be supported
by the corpus: it occurs, case-insensitively, in the item's evidence quotes or source texts, and
the eval scorer (`eval.metrics.must_include_hits`: whole words, numbers and accents normalized)
finds it there too, so a right answer quoting the documents can score it. Real files, no mocks.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from test_datasets import extract_text, normalize

from eval.metrics import must_include_hits

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "eval" / "datasets" / "insights.jsonl"
CORPORA = {
    "sample": ROOT / "data" / "sample",
    "shared": Path(os.environ.get("REE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus")),
}
KINDS = {"question", "brief"}

#: Fields every item has, fields by kind, and the one optional field.
COMMON_FIELDS = {
    "id": str,
    "kind": str,
    "corpus": str,
    "topic": str,
    "must_include": list,
    "sources": list,
    "evidence": list,
}
KIND_FIELDS = {"question": {"question": str}, "brief": {"source": str}}
OPTIONAL_FIELDS = {"notes": str}

MIN_ITEMS = 18
MIN_BY_KIND = {"question": 12, "brief": 6}
MIN_BY_CORPUS = {"sample": 7, "shared": 7}
#: Each kind must also be spread over both corpora.
MIN_PER_KIND_AND_CORPUS = 2

MUST_INCLUDE_RANGE = (3, 6)
EVIDENCE_RANGE = (1, 4)
TOPIC_WORDS = (2, 6)
#: Must-include phrases are short names, figures, dates and key terms.
MAX_PHRASE_WORDS = 5

#: Files that are not sources of facts: folder listings, and the prompt-injection test fixture.
NOT_SOURCES = {"SOURCES.md", "README.md", "supplier-newsletter-november-2025.md"}
ID_RE = re.compile(r"^i\d{3}$")


def load_items() -> list[dict]:
    assert SUITE.is_file(), f"missing {SUITE}"
    items = []
    for lineno, line in enumerate(SUITE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{SUITE.name}:{lineno}: not valid JSON: {exc}")
        assert isinstance(item, dict), f"{SUITE.name}:{lineno}: expected a JSON object"
        items.append(item)
    return items


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return load_items()


def _corpus_or_skip(corpus: str) -> Path:
    folder = CORPORA[corpus]
    if not folder.is_dir():
        pytest.skip(f"corpus folder {folder} is not present")
    return folder


def _problems_for_shape(item: dict) -> list[str]:
    where = str(item.get("id"))
    problems = []
    kind = item.get("kind")
    if kind not in KINDS:
        return [f"{where}: kind must be one of {sorted(KINDS)}, got {kind!r}"]
    expected = {**COMMON_FIELDS, **KIND_FIELDS[kind]}
    for field, typ in expected.items():
        if field not in item:
            problems.append(f"{where}: missing field {field!r}")
        elif not isinstance(item[field], typ):
            problems.append(f"{where}: {field!r} must be {typ.__name__}")
    for field, typ in OPTIONAL_FIELDS.items():
        if field in item and not (isinstance(item[field], typ) and item[field].strip()):
            problems.append(f"{where}: {field!r} must be a non-empty {typ.__name__}")
    unknown = set(item) - set(expected) - set(OPTIONAL_FIELDS)
    if unknown:
        problems.append(f"{where}: unknown fields for a {kind} item: {sorted(unknown)}")
    if problems:
        return problems

    if not ID_RE.match(item["id"]):
        problems.append(f"{where}: id must look like 'i001'")
    if item["corpus"] not in CORPORA:
        problems.append(f"{where}: corpus must be one of {sorted(CORPORA)}")
    if "\n" in item.get("notes", ""):
        problems.append(f"{where}: notes must be one line")
    n_words = len(item["topic"].split())
    if not TOPIC_WORDS[0] <= n_words <= TOPIC_WORDS[1]:
        problems.append(f"{where}: topic must have {TOPIC_WORDS[0]}-{TOPIC_WORDS[1]} words")

    for field in ("must_include", "sources", "evidence"):
        values = item[field]
        if not all(isinstance(v, str) and v.strip() for v in values):
            problems.append(f"{where}: {field} must hold non-empty strings")
            return problems
        if len({v.casefold() for v in values}) != len(values):
            problems.append(f"{where}: {field} has a repeated entry")
    low, high = MUST_INCLUDE_RANGE
    if not low <= len(item["must_include"]) <= high:
        problems.append(f"{where}: needs {low}-{high} must_include phrases")
    long_phrases = [p for p in item["must_include"] if len(p.split()) > MAX_PHRASE_WORDS]
    if long_phrases:
        problems.append(f"{where}: must_include phrases too long: {long_phrases}")
    low, high = EVIDENCE_RANGE
    if not low <= len(item["evidence"]) <= high:
        problems.append(f"{where}: needs {low}-{high} evidence quotes")
    if not item["sources"]:
        problems.append(f"{where}: needs at least one source")
    names = item["sources"] + ([item["source"]] if kind == "brief" else [])
    for name in names:
        if name != Path(name).name:
            problems.append(f"{where}: source must be a basename: {name!r}")
        if name in NOT_SOURCES:
            problems.append(f"{where}: {name} is not a source of facts")

    if kind == "question":
        question = item["question"].strip()
        if not question.endswith("?"):
            problems.append(f"{where}: question must end with '?'")
    else:
        if item["sources"][:1] != [item["source"]]:
            problems.append(f"{where}: a brief's sources must start with its source document")
        if len(item["sources"]) < 2:
            problems.append(f"{where}: a brief needs related documents for its Background")
    return problems


def test_items_well_formed(items):
    problems = [p for item in items for p in _problems_for_shape(item)]
    ids = Counter(item.get("id") for item in items)
    problems += [f"duplicate id {i!r}" for i, n in ids.items() if n > 1]
    assert not problems, "\n".join(problems)


def test_suite_mix(items):
    assert len(items) >= MIN_ITEMS, f"{len(items)} items, need at least {MIN_ITEMS}"
    by_kind = Counter(item.get("kind") for item in items)
    by_corpus = Counter(item.get("corpus") for item in items)
    pairs = Counter((item.get("kind"), item.get("corpus")) for item in items)
    for kind, minimum in MIN_BY_KIND.items():
        assert by_kind[kind] >= minimum, f"{by_kind[kind]} {kind} items, need {minimum}"
    for corpus, minimum in MIN_BY_CORPUS.items():
        assert by_corpus[corpus] >= minimum, f"{by_corpus[corpus]} {corpus} items, need {minimum}"
    for kind in KINDS:
        for corpus in CORPORA:
            assert pairs[kind, corpus] >= MIN_PER_KIND_AND_CORPUS, (
                f"{pairs[kind, corpus]} {kind} items over {corpus}, need {MIN_PER_KIND_AND_CORPUS}"
            )


def test_briefed_documents_are_distinct(items):
    briefed = Counter((i["corpus"], i["source"]) for i in items if i.get("kind") == "brief")
    repeated = [name for name, n in briefed.items() if n > 1]
    assert not repeated, f"documents briefed twice: {repeated}"


def _texts(item: dict, folder: Path) -> dict[str, str]:
    return {name: extract_text(folder / name) for name in item["sources"]}


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_sources_exist(items, corpus):
    folder = _corpus_or_skip(corpus)
    missing = [
        f"{item['id']}: no file {name} in {folder}"
        for item in items
        if item["corpus"] == corpus
        for name in item["sources"]
        if not (folder / name).is_file()
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_evidence_occurs_in_sources(items, corpus):
    folder = _corpus_or_skip(corpus)
    problems = []
    for item in (i for i in items if i["corpus"] == corpus):
        texts = _texts(item, folder)
        quoted = set()
        for quote in item["evidence"]:
            hits = {name for name, text in texts.items() if normalize(quote) in text}
            if not hits:
                problems.append(f"{item['id']}: quote not found in {item['sources']}: {quote!r}")
            quoted |= hits
        if item["kind"] == "brief":
            # The News Summary rests on the briefed document, the Background on others.
            if item["source"] not in quoted:
                problems.append(f"{item['id']}: no evidence quoted from {item['source']}")
            if not quoted - {item["source"]}:
                problems.append(f"{item['id']}: no evidence quoted from a related document")
        # Every listed source must support something: a quote or a must-include phrase.
        for name, text in texts.items():
            if name not in quoted and not any(
                normalize(p).casefold() in text.casefold() for p in item["must_include"]
            ):
                problems.append(f"{item['id']}: {name} supports no quote or must_include phrase")
    assert not problems, f"{corpus}:\n" + "\n".join(problems)


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_must_include_supported(items, corpus):
    folder = _corpus_or_skip(corpus)
    problems = []
    for item in (i for i in items if i["corpus"] == corpus):
        haystacks = [normalize(q) for q in item["evidence"]] + list(_texts(item, folder).values())
        for phrase in item["must_include"]:
            needle = normalize(phrase).casefold()
            if not any(needle in text.casefold() for text in haystacks):
                problems.append(f"{item['id']}: {phrase!r} not in its evidence or sources")
            elif not any(must_include_hits(text, [phrase])[0] for text in haystacks):
                problems.append(
                    f"{item['id']}: {phrase!r} occurs only inside a longer word or number; "
                    "the scorer matches whole words"
                )
    assert not problems, f"{corpus}:\n" + "\n".join(problems)
