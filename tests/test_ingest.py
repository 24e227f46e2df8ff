"""Ingest on real files into a real index: metadata, the three stores in step, incremental updates.

Everything is real: embedded Chroma under tmp_path, the SQLite docstore, bm25s, the packaged int8
embedder and tiktoken. The whole sample + shared corpus is ingested once per module (about 20 s on
two cores); the incremental tests work on a few copied files in their own REE_HOME.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import tiktoken
from test_ingest_support import (
    CORPUS,
    SAMPLE,
    assert_consistent,
    copy_files,
    make_settings,
    need_corpus,
    pipeline_embedder,
    state,
)

from ingest import ingest_paths
from ingest.chunker import Chunker, embed_text
from ingest.loaders import load_document
from ree.index import Index, open_index
from ree.runtime.wordpieces import count_word_pieces, word_piece_capacity
from ree.text import count_tokens, tokenize
from ree.text.dates import date_to_int

META_KEYS = {
    "doc_id",
    "source",
    "title",
    "published",
    "published_int",
    "url",
    "page",
    "section",
    "chunk_index",
    "content_hash",
    "ingested_at",
    "doc_type",
    "content",
    "table",
}
DOC_TYPES = {"pdf", "html", "markdown", "text", "docx", "csv"}
ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@pytest.fixture(scope="module")
def ready(embedder_home: Path, embedder) -> None:  # noqa: ANN001 (conftest's Embedder)
    pipeline_embedder(embedder_home)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, ready: None):
    """The sample folder and the shared corpus (if present) ingested once into a fresh home."""
    home = tmp_path_factory.mktemp("corpus-home")
    settings = make_settings(home)
    roots = [SAMPLE] + ([CORPUS] if CORPUS.is_dir() else [])
    report = ingest_paths(roots, settings=settings, progress=False)
    return open_index(settings=settings), report, settings, roots


@pytest.fixture
def home(tmp_path: Path, ready: None) -> Path:
    return tmp_path / "home"


def doc_ids_by_source(index: Index) -> dict[str, str]:
    return {d.source: d.doc_id for d in index.documents()}


def chunk_ids_of(index: Index, doc_id: str) -> set[str]:
    return set(index.docstore.chunk_ids_of(doc_id))


# --- the whole corpus -------------------------------------------------------------------------


def test_corpus_ingests_cleanly(corpus) -> None:
    index, report, _, roots = corpus
    d = report.to_dict()
    assert report.exit_code == 0, d["failed"]
    assert d["failed"] == []
    # data/sample's .reeignore keeps its sources list and generator out, without a skip line
    assert d["skipped"] == []
    ignored = {"SOURCES.md", "generate_binary.py"}
    n_files = sum(
        1
        for r in roots
        for p in r.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and not (r.name == "sample" and p.name in ignored)
    )
    assert d["ingested"] == n_files == len(index.documents())
    assert d["chunks_added"] == index.count() > 0
    assert d["chunks_removed"] == 0


def test_every_chunk_carries_its_metadata(corpus) -> None:
    index, _, _, roots = corpus
    got = index.vectors.collection.get(include=["metadatas", "documents"])
    assert len(got["ids"]) == index.count()
    live = index.docstore.get_chunks(got["ids"])
    docs = {d.doc_id: d for d in index.documents()}
    positions: dict[str, list[int]] = {}
    for cid, meta, text in zip(got["ids"], got["metadatas"], got["documents"], strict=True):
        assert set(meta) >= META_KEYS, f"{cid} lacks {META_KEYS - set(meta)}"
        # Chroma and SQLite hold the same chunk: text and metadata
        assert live[cid].text == text
        assert live[cid].metadata == meta
        doc = docs[meta["doc_id"]]
        assert cid.startswith(doc.doc_id + ":")
        # source is the path relative to the folder that was ingested
        assert any((root / meta["source"]).resolve() == Path(doc.path) for root in roots)
        assert meta["title"] and isinstance(meta["title"], str)
        assert meta["published"] == "" or ISO.match(meta["published"])
        assert isinstance(meta["published_int"], int)
        assert meta["published_int"] == (
            date_to_int(meta["published"]) or 0 if meta["published"] else 0
        )
        assert isinstance(meta["url"], str)
        assert isinstance(meta["page"], int)
        assert meta["page"] >= (1 if meta["doc_type"] == "pdf" else 0)
        assert isinstance(meta["section"], str)
        assert meta["content_hash"] == hashlib.sha1(text.encode()).hexdigest()[:16]
        assert isinstance(meta["ingested_at"], int) and meta["ingested_at"] > 1_600_000_000
        assert meta["doc_type"] in DOC_TYPES
        # table rows are marked, with their table's caption; prose is "text" with no table
        assert meta["content"] in {"text", "records"}
        assert (meta["content"] == "records") == bool(meta["table"])
        if meta["content"] == "records":
            assert meta["table"] == meta["section"]
        positions.setdefault(meta["doc_id"], []).append(meta["chunk_index"])
    for doc_id, idx in positions.items():
        assert sorted(idx) == list(range(docs[doc_id].n_chunks))
    # the corpus has dated documents and URLs; metadata is not silently empty everywhere
    metas = got["metadatas"]
    assert sum(1 for m in metas if m["published_int"]) > len(metas) // 4
    assert {m["doc_type"] for m in metas} >= {"pdf", "html", "markdown", "text", "docx", "csv"}
    # PDF, DOCX, HTML and CSV tables all reach the index as record chunks
    assert {m["doc_type"] for m in metas if m["content"] == "records"} >= {
        "pdf",
        "docx",
        "html",
        "csv",
    }


def test_three_stores_agree(corpus) -> None:
    index, _, _, roots = corpus
    got = assert_consistent(index)
    assert len(got["sqlite"]) == index.count() > (100 if CORPUS in roots else 50)


def test_reingest_is_a_noop(corpus) -> None:
    index, first, settings, roots = corpus
    before = state(index)
    generation = index.docstore.generation
    report = ingest_paths(roots, settings=settings, progress=False)
    d = report.to_dict()
    assert d["chunks_added"] == 0 and d["chunks_removed"] == 0
    assert d["ingested"] == 0
    assert d["unchanged"] == first.to_dict()["ingested"]
    assert state(index) == before
    assert index.docstore.generation == generation  # nothing committed, BM25 not rebuilt
    assert report.exit_code == 0


def test_chunks_respect_the_token_limit(corpus) -> None:
    """Every chunk is <= REE_CHUNK_TOKENS by tiktoken's own count (a lone record longer than that
    would be allowed, but wide rows are now split for the embedder, so none is), and every record
    of a record chunk, with the title/caption line the embedder reads before it, fits the
    embedder's window."""
    index, _, settings, _ = corpus
    enc = tiktoken.get_encoding("cl100k_base")
    records: dict[str, set[str]] = {}
    over = []
    for chunk in index.docstore.iter_chunks():
        n = len(enc.encode(chunk.text, disallowed_special=()))
        assert chunk.metadata["tokens"] == n  # the stored count is the real one
        if n <= settings.chunk_tokens:
            continue
        over.append(chunk)
        assert chunk.metadata["doc_type"] == "csv", (chunk.source, n)
        doc = next(d for d in index.documents() if d.doc_id == chunk.doc_id)
        if doc.path not in records:
            loaded = load_document(Path(doc.path))
            records[doc.path] = {s.text.strip() for s in loaded.sections if s.kind == "record"}
        assert chunk.text in records[doc.path], "an over-long chunk must be one whole record"
    assert not over, "wide records are split to fit the embedder, so none exceeds a chunk"
    rows = 0
    for chunk in index.docstore.iter_chunks():
        if chunk.metadata["content"] != "records":
            continue
        head = embed_text(chunk.title, str(chunk.metadata["section"]), "")
        for line in chunk.text.split("\n"):
            rows += 1
            assert count_word_pieces(head + line) <= word_piece_capacity(), (chunk.source, line)
    assert rows > (150 if CORPUS.is_dir() else 50)


@pytest.mark.parametrize("size", [120, 200, 450])
def test_chunk_size_setting_is_a_hard_limit(size: int) -> None:
    """The chunker alone, over every real document, at other REE_CHUNK_TOKENS values."""
    enc = tiktoken.get_encoding("cl100k_base")
    chunker = Chunker(size, 40, count_tokens)
    files = [
        p
        for r in (SAMPLE, CORPUS)
        if r.is_dir()
        for p in sorted(r.iterdir())
        if p.suffix in {".md", ".pdf", ".csv", ".txt", ".html", ".docx"}
    ]
    for path in files:
        doc = load_document(path)
        records = {s.text.strip() for s in doc.sections if s.kind == "record"}
        chunks = chunker.chunk(doc)
        assert chunks
        for a, b in zip(chunks, chunks[1:], strict=False):
            assert b.text not in a.text, "a chunk made only of the previous chunk's overlap"
        for c in chunks:
            n = len(enc.encode(c.text, disallowed_special=()))
            assert n == c.tokens
            assert n <= size or c.text in records, (path.name, n)


def test_usgs_pdf_numbers_survive(corpus) -> None:
    need_corpus()
    index, _, _, _ = corpus
    doc_id = doc_ids_by_source(index)["usgs_mcs2025_rare_earths.pdf"]
    texts = [c.text for c in index.docstore.neighbours(doc_id, 0, radius=10_000)]
    assert texts
    assert any("13,000" in t for t in texts)
    assert any("390,000" in t for t in texts)
    assert not any("1213,000" in t for t in texts), "a footnote marker glued to a number"
    # and BM25 finds the number however it is written
    hits = {cid for cid, _ in index.keyword.search("390000 tons", 10)}
    assert any(cid.startswith(doc_id) for cid in hits)


# --- incremental updates on a few copied files ------------------------------------------------

FILES = [
    "bayan-obo-deposit-profile.md",
    "baotou-2035-rare-earth-hub-plan.md",
    "ndfeb-magnets-evs-wind-turbines.md",
]


def _unique_word(index: Index, path: Path, paragraph: str) -> str:
    """A word of `paragraph` that no other place in the index contains (as a BM25 token)."""
    full = tokenize(path.read_text(encoding="utf-8"))
    for word in re.findall(r"[A-Za-z]{6,}", paragraph):
        toks = tokenize(word)
        if len(toks) != 1 or full.count(toks[0]) != 1:
            continue
        hits = index.keyword.search(word, 50)
        if hits and all(index.docstore.get_chunks([h])[h].source == path.name for h, _ in hits):
            return word
    raise AssertionError(f"no unique word in the last paragraph of {path.name}")


def test_edit_replaces_only_the_changed_chunks(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    paths = copy_files(FILES, docs)
    settings = make_settings(home)
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    ids = doc_ids_by_source(index)
    target = paths[0]
    before = {src: chunk_ids_of(index, d) for src, d in ids.items()}
    assert len(before[target.name]) >= 3

    text = target.read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if len(p.split()) >= 8]
    last = paragraphs[-1]
    word = _unique_word(index, target, last)
    assert index.keyword.search(word, 5)
    target.write_text(text.replace(last, last.replace(word, "zorbium")), encoding="utf-8")

    report = ingest_paths([docs], settings=settings, progress=False)
    d = report.to_dict()
    assert (d["ingested"], d["unchanged"]) == (1, 2)
    after = {src: chunk_ids_of(index, d) for src, d in ids.items()}
    for other in FILES[1:]:
        assert after[other] == before[other]
    added = after[target.name] - before[target.name]
    removed = before[target.name] - after[target.name]
    assert added and removed
    assert before[target.name] & after[target.name], "unchanged chunks must be kept, not redone"
    assert d["chunks_added"] == len(added) and d["chunks_removed"] == len(removed)
    new_chunks = index.docstore.get_chunks(sorted(added))
    assert all("zorbium" in c.text for c in new_chunks.values())
    assert index.docstore.get_chunks(sorted(removed)) == {}
    got = assert_consistent(index)
    assert not (got["chroma"] & removed)
    # BM25 is in step: the new word is found (only in the new chunks), the old one is gone
    assert {cid for cid, _ in index.keyword.search("zorbium", 10)} == set(added) & {
        cid for cid, c in new_chunks.items() if "zorbium" in c.embed_text
    }
    assert index.keyword.search(word, 10) == []


def test_prune_removes_a_deleted_file_everywhere(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    paths = copy_files(FILES, docs)
    settings = make_settings(home)
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    gone_id = doc_ids_by_source(index)[paths[1].name]
    gone_chunks = chunk_ids_of(index, gone_id)
    paths[1].unlink()

    kept = ingest_paths([docs], settings=settings, progress=False)  # without --prune: kept
    assert kept.to_dict()["removed"] == [] and chunk_ids_of(index, gone_id) == gone_chunks

    report = ingest_paths([docs], prune=True, settings=settings, progress=False)
    d = report.to_dict()
    assert d["removed"] == [paths[1].name]
    assert d["chunks_removed"] == len(gone_chunks)
    assert index.docstore.document(gone_id) is None
    got = assert_consistent(index)
    for store in got.values():
        assert not (store & gone_chunks)
    assert all(not cid.startswith(gone_id) for cid, _ in index.keyword.search("Baotou", 50))
    assert report.exit_code == 0


def test_exclude_keeps_files_out_and_prune_removes_them(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    paths = copy_files(FILES[:3], docs)
    settings = make_settings(home)
    first = ingest_paths([docs], settings=settings, progress=False, exclude=[paths[0].name])
    index = open_index(settings=settings)
    assert paths[0].name not in doc_ids_by_source(index)
    assert sorted(doc_ids_by_source(index)) == sorted(p.name for p in paths[1:])
    assert first.exit_code == 0 and not first.to_dict()["failed"]

    # excluding an already indexed file: kept without --prune, removed with it
    ingest_paths([docs], settings=settings, progress=False, exclude=[paths[1].name])
    assert paths[1].name in doc_ids_by_source(index)
    report = ingest_paths(
        [docs], settings=settings, progress=False, exclude=[paths[1].name], prune=True
    )
    assert report.to_dict()["removed"] == [paths[1].name]
    assert paths[1].name not in doc_ids_by_source(index)
    assert paths[0].name in doc_ids_by_source(index)  # no longer excluded: ingested now
    assert_consistent(index)


def test_dry_run_writes_nothing(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    paths = copy_files(FILES[:2], docs)
    settings = make_settings(home)
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    before, generation = state(index), index.docstore.generation
    manifest = index.documents()

    paths[0].write_text(
        paths[0].read_text(encoding="utf-8") + "\n\nA new closing line.\n", encoding="utf-8"
    )
    copy_files([FILES[2]], docs)
    paths[1].unlink()
    report = ingest_paths([docs], prune=True, dry_run=True, settings=settings, progress=False)
    d = report.to_dict()
    assert d["dry_run"] is True
    assert {f["source"]: f["status"] for f in d["files"]} == {
        FILES[0]: "would-ingest",
        FILES[2]: "would-ingest",
        FILES[1]: "removed",
    }
    assert state(index) == before
    assert index.docstore.generation == generation
    assert index.documents() == manifest
    assert index.count() == len(before["sqlite"])


def test_same_content_under_two_names_is_indexed_once(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    a, good = copy_files(FILES[:2], docs)
    twin = docs / "copy-of-bayan-obo.md"
    twin.write_bytes(a.read_bytes())
    settings = make_settings(home)
    report = ingest_paths([docs], settings=settings, progress=False)
    d = report.to_dict()
    assert report.exit_code == 0  # a duplicate is not an error: its content is in the index
    assert d["skipped"] == [
        {"source": "copy-of-bayan-obo.md", "reason": f"same content as {a.name} (already indexed)"}
    ]
    index = open_index(settings=settings)
    assert {doc.source for doc in index.documents()} == {a.name, good.name}
    assert_consistent(index)
    # stable on the next run, and the twin takes over when the original is deleted
    again = ingest_paths([docs], settings=settings, progress=False).to_dict()
    assert again["skipped"] == d["skipped"] and again["chunks_added"] == 0
    a.unlink()
    final = ingest_paths([docs], prune=True, settings=settings, progress=False).to_dict()
    assert final["removed"] == [a.name]
    assert {doc.source for doc in index.documents()} == {twin.name, good.name}
    assert_consistent(index)


def test_a_file_edited_into_a_duplicate_loses_its_old_version(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    a, b = copy_files(FILES[:2], docs)
    settings = make_settings(home)
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    b_id = doc_ids_by_source(index)[b.name]
    b.write_bytes(a.read_bytes())  # b now says exactly what a says
    d = ingest_paths([docs], settings=settings, progress=False).to_dict()
    assert d["skipped"][0]["source"] == b.name
    assert d["chunks_removed"] > 0
    assert index.docstore.document(b_id) is None
    assert_consistent(index)


FRONT = "---\ntitle: {title}\ndate: {date}\n---\n\n# Lynas note\n\n{body}\n"
BODY = (
    "Lynas runs the Mount Weld mine in Western Australia and a cracking and separation plant "
    "at Kuantan in Malaysia.\n\nIt is also building a heavy rare earth plant in Texas."
)


def test_metadata_only_edit_rewrites_chroma(home: Path, tmp_path: Path) -> None:
    """A new title or date leaves the chunk text alone but must reach Chroma (filters, vector)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    note = docs / "lynas-note.md"
    note.write_text(FRONT.format(title="Lynas note", date="2024-05-01", body=BODY))
    settings = make_settings(home)
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    old_ids = index.docstore.chunk_ids()

    note.write_text(FRONT.format(title="Lynas briefing", date="2025-07-09", body=BODY))
    report = ingest_paths([docs], settings=settings, progress=False)
    assert report.to_dict()["ingested"] == 1
    assert not (index.docstore.chunk_ids() & old_ids)
    got = index.vectors.collection.get(include=["metadatas"])
    live = index.docstore.get_chunks(got["ids"])
    for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
        assert meta == live[cid].metadata
        assert (meta["title"], meta["published_int"]) == ("Lynas briefing", 20250709)
    hits = index.vectors.collection.get(where={"published_int": {"$gte": 20250101}})
    assert set(hits["ids"]) == index.docstore.chunk_ids()
    assert_consistent(index)


def test_changing_the_chunk_size_rechunks_unchanged_files(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    copy_files(FILES[:2], docs)
    ingest_paths([docs], settings=make_settings(home), progress=False)
    small = make_settings(home, chunk_tokens=150, chunk_overlap=20)
    report = ingest_paths([docs], settings=small, progress=False)
    assert report.to_dict()["ingested"] == 2
    index = open_index(settings=small)
    assert all(c.metadata["tokens"] <= 150 for c in index.docstore.iter_chunks())
    assert_consistent(index)
    again = ingest_paths([docs], settings=small, progress=False).to_dict()
    assert again["unchanged"] == 2 and again["chunks_added"] == 0


def test_a_filter_mask_made_before_a_commit_is_not_misapplied(home: Path, tmp_path: Path) -> None:
    """The UI may search while an ingest commits: a BM25 mask from the previous generation must
    not shift onto the wrong chunks (or crash the search); it is ignored."""
    docs = tmp_path / "docs"
    copy_files(FILES[:1], docs)
    settings = make_settings(home)
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    only_first = index.keyword.filter_mask({index.documents()[0].doc_id}, None, None)
    copy_files(FILES[1:2], docs)  # a commit happens between the mask and the search
    ingest_paths([docs], settings=settings, progress=False)
    hits = index.keyword.search("Baotou rare earth", 10, mask=only_first)
    assert hits and len(only_first) < len(index.keyword.ids)
    fresh = index.keyword.filter_mask({index.documents()[0].doc_id}, None, None)
    assert len(fresh) == len(index.keyword.ids)
    assert all(
        index.docstore.get_chunks([cid])[cid].doc_id == index.documents()[0].doc_id
        for cid, _ in index.keyword.search("Baotou rare earth", 10, mask=fresh)
    )
