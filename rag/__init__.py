"""Answers with verified citations from the indexed documents.

    import rag
    a = rag.answer("What share of world mine production came from China in 2024?")
    print(a.text); print(a.sources_markdown())

    for piece in rag.stream("...", mode="insights"):
        ...  # str deltas (verified text), then the final rag.Answer

Attributes load lazily so that light modules (`rag.numbers`, `rag.claims`) import without the
model stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Answer", "Engine", "Filters", "HybridRetriever", "answer", "get_engine", "stream"]

_LAZY = {
    "Answer": "rag.answer",
    "Engine": "rag.engine",
    "get_engine": "rag.engine",
    "answer": "rag.engine",
    "stream": "rag.engine",
    "Filters": "rag.filters",
    "HybridRetriever": "rag.retriever",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
