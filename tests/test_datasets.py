"""Checks for the dev QA suites (eval/datasets/*.jsonl) and the sample corpus (data/sample).

Every gold item must be well formed, and every evidence quote must really occur in one of the
source files it names, after the same text extraction a loader would do (raw text for
.md/.txt/.csv, BeautifulSoup text for .html, pdfplumber for .pdf, python-docx for .docx) and
whitespace normalization. The optional `tags` must be known labels that hold for their item, and
the shared-corpus suite must keep enough table, multi-part and unanswerable questions. Real files
only; no mocks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
DATASETS_DIR = ROOT / "eval" / "datasets"
SHARED_CORPUS = Path(os.environ.get("REE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))

ALLOWED_TYPES = {"fact", "numeric", "multi-hop", "comparison", "insight", "unanswerable"}
REQUIRED_FIELDS = {
    "id": str,
    "question": str,
    "answer": str,
    "must_include": list,
    "sources": list,
    "type": str,
    "evidence": list,
}
DOC_SUFFIXES = {".md", ".html", ".pdf", ".docx", ".txt", ".csv"}
NOT_DOCUMENTS = {"SOURCES.md", "README.md"}

SUITES = {
    "sample": (DATASETS_DIR / "sample.jsonl", SAMPLE_DIR, "s", 44),
    "shared": (DATASETS_DIR / "shared-corpus.jsonl", SHARED_CORPUS, "c", 90),
}

#: Optional item labels. "table": the answer is a cell of a table, so the item must cite one of its
#: suite's tabular files; "multi-part": a question with several parts, each a must-include phrase;
#: "near-miss": an unanswerable question that looks answerable (a year, country or figure the
#: documents do not give).
ALLOWED_TAGS = {"table", "multi-part", "near-miss"}
#: Per suite: the files whose cells "table" items read, and the least number of items per tag
#: (and of unanswerable items) the suite must keep.
TABULAR_SOURCES = {
    "sample": set(),
    "shared": {
        "usgs_mcs2025_rare_earths.pdf",
        "usgs_ds140_rare_earths_statistics_1900-1992.csv",
        "wikipedia_rare_earth_elements_summaries.csv",
    },
}
MIN_TAGGED = {
    "sample": {},
    "shared": {"table": 25, "multi-part": 15, "unanswerable": 10},
}


def normalize(text: str) -> str:
    return " ".join(text.split())


@cache
def extract_text(path: Path) -> str:
    """Text of a source file as the validator sees it, whitespace-normalized."""
    suffix = path.suffix.lower()
    if suffix in {".md", ".txt", ".csv"}:
        text = path.read_text(encoding="utf-8")
    elif suffix in {".html", ".htm"}:
        from bs4 import BeautifulSoup

        text = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    elif suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    elif suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.extend(cell.text for cell in row.cells)
        text = "\n".join(parts)
    else:
        raise ValueError(f"no extractor for {path.name}")
    return normalize(text)


def load_suite(name: str) -> list[dict]:
    path = SUITES[name][0]
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
            pytest.fail(f"{path.name}:{lineno}: not valid JSON: {exc}")
    return items


@pytest.fixture(scope="module", params=sorted(SUITES))
def suite(request):
    name = request.param
    return name, load_suite(name)


def test_suite_files_exist():
    for path, *_ in SUITES.values():
        assert path.is_file(), f"missing {path}"


def test_items_well_formed(suite):
    name, items = suite
    _, _, prefix, minimum = SUITES[name]
    assert len(items) >= minimum, f"{name}: {len(items)} items, need at least {minimum}"
    ids = [item.get("id") for item in items]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"{name}: duplicate ids {dupes}"
    for item in items:
        where = f"{name}:{item.get('id')}"
        for field, kind in REQUIRED_FIELDS.items():
            assert field in item, f"{where}: missing field {field!r}"
            assert isinstance(item[field], kind), f"{where}: {field!r} must be {kind.__name__}"
        assert item["id"].startswith(prefix), f"{where}: id must start with {prefix!r}"
        assert item["type"] in ALLOWED_TYPES, f"{where}: bad type {item['type']!r}"
        assert item["question"].strip() and item["answer"].strip(), f"{where}: empty text"
        for field in ("must_include", "sources", "evidence"):
            assert all(isinstance(v, str) and v.strip() for v in item[field]), (
                f"{where}: {field} must hold non-empty strings"
            )
        if item["type"] == "unanswerable":
            assert item["sources"] == [], f"{where}: unanswerable item must have no sources"
            assert item["evidence"] == [], f"{where}: unanswerable item must have no evidence"
            assert item["must_include"] == [], f"{where}: unanswerable item: must_include"
        else:
            assert item["sources"], f"{where}: answerable item needs a source"
            assert 1 <= len(item["evidence"]) <= 3, f"{where}: needs 1-3 evidence quotes"
            assert 1 <= len(item["must_include"]) <= 3, f"{where}: needs 1-3 must_include"
        for source in item["sources"]:
            assert source == Path(source).name, f"{where}: source must be a basename: {source}"


def test_must_include_in_answer(suite):
    name, items = suite
    for item in items:
        answer = item["answer"].lower()
        for needle in item["must_include"]:
            assert needle.lower() in answer, f"{name}:{item['id']}: {needle!r} not in answer"


def test_type_mix(suite):
    name, items = suite
    counts = Counter(item["type"] for item in items)
    total = len(items)
    assert counts["unanswerable"] >= max(2, round(0.07 * total)), f"{name}: too few unanswerable"
    assert counts["insight"] >= 2, f"{name}: too few insight items"
    assert counts["multi-hop"] >= 2, f"{name}: too few multi-hop items"
    assert counts["comparison"] >= 2, f"{name}: too few comparison items"


def test_tags(suite):
    name, items = suite
    problems = []
    for item in items:
        where = f"{name}:{item.get('id')}"
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            problems.append(f"{where}: tags must be a list of strings")
            continue
        unknown = set(tags) - ALLOWED_TAGS
        if unknown:
            problems.append(f"{where}: unknown tags {sorted(unknown)}")
        if len(set(tags)) != len(tags):
            problems.append(f"{where}: repeated tag")
        if "table" in tags and not set(item["sources"]) & TABULAR_SOURCES[name]:
            problems.append(
                f"{where}: a table item must cite one of {sorted(TABULAR_SOURCES[name])}"
            )
        if "multi-part" in tags and len(item["must_include"]) < 2:
            problems.append(f"{where}: a multi-part item needs a must-include phrase per part")
        if "near-miss" in tags and item["type"] != "unanswerable":
            problems.append(f"{where}: a near-miss item must be unanswerable")
    assert not problems, "\n".join(problems)


def test_tag_mix(suite):
    name, items = suite
    counts = Counter(tag for item in items for tag in item.get("tags", []))
    counts["unanswerable"] = sum(item["type"] == "unanswerable" for item in items)
    for label, minimum in MIN_TAGGED[name].items():
        assert counts[label] >= minimum, f"{name}: {counts[label]} {label!r} items, need {minimum}"


def _corpus_dir_or_skip(name: str) -> Path:
    corpus = SUITES[name][1]
    if not corpus.is_dir():
        pytest.skip(f"corpus folder {corpus} is not present")
    return corpus


def test_sources_exist(suite):
    name, items = suite
    corpus = _corpus_dir_or_skip(name)
    for item in items:
        for source in item["sources"]:
            assert (corpus / source).is_file(), f"{name}:{item['id']}: no file {source}"


def test_evidence_occurs_in_sources(suite):
    name, items = suite
    corpus = _corpus_dir_or_skip(name)
    problems = []
    for item in items:
        texts = {s: extract_text(corpus / s) for s in item["sources"] if (corpus / s).is_file()}
        supported = set()
        for quote in item["evidence"]:
            hits = [s for s, text in texts.items() if normalize(quote) in text]
            if not hits:
                problems.append(f"{item['id']}: quote not found in {item['sources']}: {quote!r}")
            supported.update(hits)
        if item["type"] == "multi-hop" and len(item["sources"]) > 1:
            missing = set(item["sources"]) - supported
            if missing:
                problems.append(f"{item['id']}: no evidence quoted from {sorted(missing)}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_sample_corpus_has_every_format():
    docs = [
        p
        for p in SAMPLE_DIR.iterdir()
        if p.is_file() and p.suffix.lower() in DOC_SUFFIXES and p.name not in NOT_DOCUMENTS
    ]
    assert len(docs) >= 15, f"only {len(docs)} sample documents"
    formats = {p.suffix.lower() for p in docs}
    assert formats >= DOC_SUFFIXES, f"missing formats: {DOC_SUFFIXES - formats}"
    assert (SAMPLE_DIR / "SOURCES.md").is_file()
    listed = (SAMPLE_DIR / "SOURCES.md").read_text(encoding="utf-8")
    unlisted = [p.name for p in docs if f"`{p.name}`" not in listed]
    assert not unlisted, f"documents missing from SOURCES.md: {unlisted}"
    for doc in docs:
        assert extract_text(doc), f"{doc.name} extracts to empty text"


def test_binary_generator_is_deterministic(tmp_path):
    script = SAMPLE_DIR / "generate_binary.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    pdfs = list(tmp_path.glob("*.pdf"))
    docxs = list(tmp_path.glob("*.docx"))
    assert len(pdfs) == 1 and len(docxs) == 1
    for fresh in pdfs + docxs:
        committed = SAMPLE_DIR / fresh.name
        assert committed.is_file(), f"{fresh.name} is generated but not committed"
        assert extract_text(fresh) == extract_text(committed), f"{fresh.name}: text differs"
    pdf = pdfs[0]
    assert pdf.read_bytes() == (SAMPLE_DIR / pdf.name).read_bytes(), "PDF bytes differ"
    docx_file = docxs[0]
    assert docx_file.read_bytes() == (SAMPLE_DIR / docx_file.name).read_bytes(), "DOCX bytes differ"
