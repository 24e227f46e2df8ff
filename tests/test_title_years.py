"""A span of years in a document's title ("statistics 1900-1992") is what the document covers:
indexed in every chunk, it made "1992" a word of every passage, and the 1992 row of the real
DS140 table was never retrieved for a question about 1992 (c064 of the shared suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import ScriptedChatModel
from ingest.chunker import embed_text
from rag.engine import Engine
from ree.index import Index
from ree.settings import Settings

DS140 = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "corpus"
    / "usgs_ds140_rare_earths_statistics_1900-1992.csv"
)


def test_the_indexed_title_leaves_out_its_span_of_years() -> None:
    text = embed_text("Rare earths statistics 1900-1992", "", "1992: production = 20700 t")
    assert text.splitlines()[0] == "Rare earths statistics"
    assert embed_text("Mineral Commodity Summaries 2025", "", "x").startswith("Mineral Commodity")
    assert "2025" in embed_text("Mineral Commodity Summaries 2025", "", "x")


def test_a_row_is_found_by_the_year_the_title_span_ends_with(tmp_path, embedder) -> None:
    from ingest import ingest_paths

    if not DS140.exists():
        pytest.skip(f"shared corpus not found: {DS140}")
    settings = Settings(home=tmp_path)
    index = Index(settings, "title-years")
    report = ingest_paths([DS140], settings=settings, index=index, progress=False)
    assert not report.failed, report.summary()
    engine = Engine(settings, index=index, embedder=embedder, model=ScriptedChatModel(replies=[]))
    question = "What was the unit value of rare earths in 1992, in current dollars?"
    hits = engine.retrieve(question).hits
    assert any("1992: production" in h.text for h in hits[:3])
