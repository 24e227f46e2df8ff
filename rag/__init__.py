"""Answers with verified citations from the indexed documents.

    import rag
    a = rag.answer("What share of world mine production came from China in 2024?")
    print(a.text); print(a.sources_markdown())

    for piece in rag.stream("...", mode="insights"):
        ...  # str deltas (verified text), then the final rag.Answer

`answer` and `stream` use the shared engine for the current settings (`rag.get_engine`); build an
`Engine` yourself for another index or model. The engine and retriever load lazily, so light
modules (`rag.numbers`, `rag.claims`) import without the model stack.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag.types import Answer, Citation, ClaimRecord

if TYPE_CHECKING:
    from rag.filters import Filters

__all__ = [
    "Answer",
    "Citation",
    "ClaimRecord",
    "Engine",
    "Filters",
    "HybridRetriever",
    "answer",
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
    mode: str = "brief",
    filters: Filters | dict | None = None,
) -> Answer:
    """Answer `question` from the indexed documents with verified inline citations."""
    from rag.engine import get_engine

    return get_engine().answer(question, history=history, mode=mode, filters=filters)


def stream(
    question: str,
    *,
    history: Sequence | None = None,
    mode: str = "brief",
    filters: Filters | dict | None = None,
) -> Iterator[str | Answer]:
    """Like `answer`, yielding verified text deltas first and the final `Answer` last."""
    from rag.engine import get_engine

    return get_engine().stream(question, history=history, mode=mode, filters=filters)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
