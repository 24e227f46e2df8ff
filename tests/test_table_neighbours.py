"""A table cut across chunks: a retrieved chunk of records brings the same table's rows on either
side of it, so the row a question needs is not lost at a chunk boundary (real USGS PDF, real
embedder and index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import ScriptedChatModel
from rag.engine import Engine
from ree.index import Index
from ree.settings import Settings

USGS_PDF = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "usgs_mcs2025_rare_earths.pdf"
)
QUESTION = "What was U.S. net import reliance for rare-earth compounds and metals in 2024?"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder) -> Engine:
    from ingest import ingest_paths

    if not USGS_PDF.exists():
        pytest.skip(f"shared corpus not found: {USGS_PDF}")
    settings = Settings(home=tmp_path_factory.mktemp("tables-home"))
    index = Index(settings, "table-neighbours")
    report = ingest_paths([USGS_PDF], settings=settings, index=index, progress=False)
    assert not report.failed, report.summary()
    return Engine(settings, index=index, embedder=embedder, model=ScriptedChatModel(replies=[]))


def test_a_records_hit_holds_its_neighbours_rows_of_the_same_table_once(engine: Engine) -> None:
    """c053 of the shared suite: the compounds-and-metals row (80% in 2024) ended the chunk
    before the one retrieved, which held the mineral concentrates row (net exporter). Every
    row of a same-table neighbour of a records hit is now in that hit or in another hit."""
    store = engine.index.docstore
    hits = engine.retrieve(QUESTION).hits
    shown = {line for h in hits for line in h.text.split("\n")}
    records = [h for h in hits if h.metadata.get("content") == "records"]
    assert records
    for hit in records:
        lines = hit.text.split("\n")
        assert len(lines) == len(set(lines))  # overlapping rows are not repeated
        positions = [
            int(cid.split(":")[1])
            for cid in str(hit.metadata.get("merged") or hit.chunk.id).split("+")
        ]
        for c in store.neighbours(hit.chunk.doc_id, min(positions) - 1, 0) + store.neighbours(
            hit.chunk.doc_id, max(positions) + 1, 0
        ):
            if c.metadata.get("content") == "records" and c.metadata.get(
                "table"
            ) == hit.metadata.get("table"):
                assert set(c.text.split("\n")) <= shown
    assert any("Compounds and metals: 2020 = 100%" in line and "= 80%" in line for line in shown)


def test_prose_hits_are_left_as_retrieved(engine: Engine) -> None:
    question = "Which rare earth mineral was mined at Mountain Pass in 2024?"
    for hit in engine.retrieve(question).hits:
        if hit.metadata.get("content") != "records" and not hit.metadata.get("merged"):
            assert hit.text == hit.chunk.text
