"""Answers with verified citations from the indexed documents.

    import rag
    a = rag.answer("What share of world mine production came from China in 2024?")
    print(a.text); print(a.sources_markdown())

    for piece in rag.stream("...", mode="auto"):
        ...  # rag.EvidenceShown (the quotes, first), str deltas (verified text), rag.Answer

    print(rag.brief("usgs_mcs2025_rare_earths.pdf").markdown())  # a brief of one document

`answer` and `stream` use the shared engine for the current settings (`rag.get_engine`); build an
`Engine` yourself for another index or model. The engine and retriever load lazily, so light
modules (`rag.numbers`, `rag.claims`) import without the model stack.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag.types import Answer, Brief, Citation, ClaimRecord, EvidenceShown

if TYPE_CHECKING:
    from rag.filters import Filters

__all__ = [
    "Answer",
    "Brief",
    "Citation",
    "ClaimRecord",
    "Engine",
    "EvidenceShown",
    "Filters",
    "HybridRetriever",
    "answer",
    "brief",
    "get_engine",
    "stream",
]

_LAZY = {
    "Engine": "rag.engine",
    "get_engine": "rag.engine",
    "Filters": "rag.filters",
    "HybridRetriever": "rag.retriever",
}


def answer(
    question: str,
    *,
    history: Sequence | None = None,
    mode: str = "auto",
    filters: Filters | dict | None = None,
) -> Answer:
    """Answer `question` from the indexed documents with verified inline citations.

    `mode`: "brief", "insights" (In-Depth Insights sections) or "auto" (insights for questions
    about implications, outlook, impact or risks)."""
    from rag.engine import get_engine

    return get_engine().answer(question, history=history, mode=mode, filters=filters)


def stream(
    question: str,
    *,
    history: Sequence | None = None,
    mode: str = "auto",
    filters: Filters | dict | None = None,
) -> Iterator[str | EvidenceShown | Answer]:
    """Like `answer`, yielding the evidence quotes (`EvidenceShown`) first, then verified text
    deltas, then the final `Answer`."""
    from rag.engine import get_engine

    return get_engine().stream(question, history=history, mode=mode, filters=filters)


def brief(source: str) -> Brief:
    """A brief of one indexed document (its file name, path or title words): News Summary,
    Background from the rest of the library, In-Depth Insights, with verified citations."""
    from rag.engine import get_engine

    return get_engine().brief(source)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
