"""The unit of retrieval: a chunk with its text, the text we embed, and flat metadata.

Ids are content-derived (document id + position + text hash), so re-ingesting the same file yields
the same ids and upserts are idempotent, while any edit changes the affected ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

MetaValue = str | int | float | bool


def sha1_hex(text: str, n: int = 40) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def make_doc_id(absolute_path: str) -> str:
    """A document is its file: the same path keeps its id across edits."""
    return sha1_hex(absolute_path, 16)


def make_chunk_id(doc_id: str, index: int, text: str) -> str:
    return f"{doc_id}:{index:05d}:{sha1_hex(text, 12)}"


@dataclass
class Chunk:
    """One retrievable passage.

    `text` is what the user and the LLM see; `embed_text` adds the document title and section so a
    short chunk keeps its context in the vector and keyword indexes.
    """

    id: str
    doc_id: str
    text: str
    embed_text: str
    metadata: dict[str, MetaValue] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", ""))

    @property
    def source(self) -> str:
        return str(self.metadata.get("source", ""))
