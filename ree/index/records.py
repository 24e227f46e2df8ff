"""The unit of retrieval: a chunk with its text, the text we embed, and flat metadata.

Ids are content-derived (document id + position + a hash of everything stored with the chunk: its
text, the text we embed and its metadata except `ingested_at`), so re-ingesting the same file
yields the same ids and upserts are idempotent, while any edit changes the affected ids. Hashing
more than the text matters: a new title or date in a front matter leaves the chunk text unchanged
but changes the vector (the title is embedded) and the metadata Chroma filters on, so the chunk
must be rewritten in Chroma, which only happens for new ids.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

MetaValue = str | int | float | bool


def sha1_hex(text: str, n: int = 40) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def make_doc_id(absolute_path: str) -> str:
    """A document is its file: the same path keeps its id across edits."""
    return sha1_hex(absolute_path, 16)


def make_chunk_id(doc_id: str, index: int, text: str) -> str:
    """`text` is whatever identifies the chunk's content (see `chunk_fingerprint`)."""
    return f"{doc_id}:{index:05d}:{sha1_hex(text, 12)}"


def chunk_metadata(
    *,
    doc_id: str,
    source: str,
    title: str,
    chunk_index: int,
    tokens: int,
    content_hash: str,
    doc_type: str = "markdown",
    published: str = "",
    published_int: int = 0,
    url: str = "",
    page: int = 0,
    section: str = "",
    ingested_at: int = 0,
    content: str = "text",
    table: str = "",
) -> dict[str, MetaValue]:
    """The metadata every chunk carries (the filters, citations and the docstore read these
    keys), in one place for ingest and for the synthetic chunks of benchmarks and tests.

    `content` is "records" for a chunk of table rows (one "label: header = value; ..." record
    per line) and "text" for prose; `table` is then the table's caption, so retrieval and
    evidence code can tell a table row from a sentence."""
    return {
        "doc_id": doc_id,
        "source": source,
        "title": title,
        "doc_type": doc_type,
        "published": published,
        "published_int": published_int,
        "url": url,
        "page": page,
        "section": section,
        "chunk_index": chunk_index,
        "tokens": tokens,
        "content_hash": content_hash,
        "ingested_at": ingested_at,
        "content": content,
        "table": table,
    }


def chunk_fingerprint(embed_text: str, metadata: dict[str, MetaValue]) -> str:
    """The string a chunk id hashes: embedded text plus metadata, minus the ingest time."""
    stable = {k: v for k, v in metadata.items() if k != "ingested_at"}
    return json.dumps([embed_text, stable], sort_keys=True, ensure_ascii=False)


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
