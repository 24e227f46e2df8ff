"""The offline model runtime: embeddings, tokenizer files and chat models, all from installed packages.

Everything that loads a model goes through here so that the no-network rules and caching live in
one place; `EmbeddingMemo` is the one cache of vectors that every step shares. Importing this
package applies the offline environment switches. Names load lazily: `ingest` uses the embedder
and tokenizer and must not pay for (or depend on) the LLM stack.
"""

from __future__ import annotations

import importlib
from typing import Any

from ree.runtime.env import apply_offline_env

apply_offline_env()

_LAZY = {
    "LLMUnavailable": "ree.runtime.chat",
    "get_chat_model": "ree.runtime.chat",
    "Embedder": "ree.runtime.embeddings",
    "get_embedder": "ree.runtime.embeddings",
    "EmbeddingMemo": "ree.runtime.memo",
    "get_encoding": "ree.runtime.tokenizer",
}

__all__ = ["apply_offline_env", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ree.runtime' has no attribute {name!r}")
