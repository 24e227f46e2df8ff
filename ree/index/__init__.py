"""The index: Chroma vectors + a SQLite manifest/chunk table + a BM25 index, as one object.

Ingest writes through `Index`; retrieval reads through it. Write order is what keeps the three in
step (see `docstore`): vectors first, then the manifest commit, then stale-vector deletion.
`repair()` removes whatever a crash left between those steps.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:  # POSIX; on Windows the in-process lock is all we have
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from ree.index.docstore import DocStore, DocumentRecord
from ree.index.keyword import KeywordIndex
from ree.index.records import (
    Chunk,
    chunk_fingerprint,
    chunk_metadata,
    make_chunk_id,
    make_doc_id,
)
from ree.index.vectors import VectorStore, VectorStoreError, open_client
from ree.settings import Settings, get_settings

__all__ = [
    "Chunk",
    "DocStore",
    "DocumentRecord",
    "Index",
    "KeywordIndex",
    "VectorStoreError",
    "chunk_fingerprint",
    "chunk_metadata",
    "make_chunk_id",
    "make_doc_id",
    "open_index",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$")


def check_collection_name(name: str) -> str:
    if not _NAME.match(name) or ".." in name:
        raise ValueError(
            f"invalid collection name {name!r}: use 3-63 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    return name


class Index:
    """One named collection: vectors in Chroma, manifest and text in SQLite, BM25 beside them."""

    def __init__(self, settings: Settings, collection: str) -> None:
        self.settings = settings
        self.name = check_collection_name(collection)
        folder: Path = settings.index_dir
        # Chroma first: an unreachable server then fails before anything is created on disk.
        self.vectors = VectorStore(open_client(settings), self.name)
        folder.mkdir(parents=True, exist_ok=True)
        self.docstore = DocStore(folder / f"{self.name}.sqlite")
        self.keyword = KeywordIndex(self.docstore, folder / f"{self.name}.bm25")
        self._lock_path = folder / f"{self.name}.lock"
        self._write_lock = threading.Lock()

    def close(self) -> None:
        self.docstore.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the collection's writer lock (threads and processes) for a whole ingest run.

        Two writers must not interleave: one run's `repair()` would delete the vectors another run
        has upserted but not yet committed, leaving live chunks without vectors. The lock is an
        flock on a file beside the index, so a killed process releases it.
        """
        with self._write_lock, open(self._lock_path, "a+") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # --- writes ----------------------------------------------------------------------------
    def replace_document(
        self, doc: DocumentRecord, chunks: list[Chunk], vectors
    ) -> tuple[int, int]:
        """Make `chunks` the document's content. Returns (chunks added, chunks removed)."""
        before = {c for c in self.docstore.chunk_ids_of(doc.doc_id)}
        fresh = [i for i, c in enumerate(chunks) if c.id not in before]
        if fresh:
            self.vectors.upsert([chunks[i] for i in fresh], vectors[fresh])
        stale = self.docstore.commit_document(doc, chunks)
        if stale:
            self.vectors.delete(stale)
        return len(fresh), len(stale)

    def remove_documents(self, doc_ids: list[str]) -> int:
        removed = self.docstore.remove_documents(doc_ids)
        if removed:
            self.vectors.delete(removed)
        return len(removed)

    def repair(self) -> dict[str, int]:
        """Delete vectors the manifest does not know (left by a crash); report what is missing."""
        live = self.docstore.chunk_ids()
        stored = self.vectors.all_ids()
        orphans = sorted(stored - live)
        if orphans:
            self.vectors.delete(orphans)
        missing = sorted(live - stored)
        return {"orphans_removed": len(orphans), "missing_vectors": len(missing)}

    def missing_vector_ids(self) -> list[str]:
        return sorted(self.docstore.chunk_ids() - self.vectors.all_ids())

    def finalize(self) -> None:
        """Bring the BM25 index up to date now, so the first query does not pay for it."""
        self.keyword.refresh()

    # --- reads -----------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.docstore.documents()

    def count(self) -> int:
        return self.docstore.count_chunks()

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in reading order (what a brief of the document reads)."""
        chunks = self.docstore.get_chunks(self.docstore.chunk_ids_of(doc_id))
        return sorted(chunks.values(), key=lambda c: int(c.metadata.get("chunk_index", 0)))


_OPEN: dict[tuple[str, str, str], Index] = {}
_OPEN_LOCK = threading.Lock()


def open_index(collection: str | None = None, settings: Settings | None = None) -> Index:
    """The process-wide `Index` for a collection (opening Chroma and SQLite once per process)."""
    settings = settings or get_settings()
    name = collection or settings.collection
    key = (str(settings.home), settings.chroma_url, name)
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = Index(settings, name)
        return _OPEN[key]
