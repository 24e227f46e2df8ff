"""The manifest and chunk table in SQLite: the index's single commit point.

Chroma and the BM25 index are two stores that cannot be updated atomically together, so one of them
must decide what is "live". This SQLite file does: a document's chunks become visible when the
transaction that records them (and drops the document's old chunks) commits. Ingest writes vectors
to Chroma *before* that commit and deletes stale vectors *after* it; readers only return chunk ids
present here. A crash at any point therefore shows either the old or the new version of a document,
never both and never neither, and the next run deletes the orphans (`Index.repair`).

The BM25 index is derived from the chunk table and tagged with `generation`, a counter bumped by
every commit, so a stale keyword index is detected and rebuilt rather than trusted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ree.index.records import Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    source TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    title TEXT,
    doc_type TEXT,
    published TEXT,
    published_int INTEGER,
    url TEXT,
    n_chunks INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    ingested_at INTEGER NOT NULL,
    chunking TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    embed_text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, chunk_index);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(file_hash);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class DocumentRecord:
    """A manifest row: one ingested file and what it became."""

    doc_id: str
    path: str
    source: str
    file_hash: str
    size: int
    mtime: float
    title: str
    doc_type: str
    published: str
    published_int: int
    url: str
    n_chunks: int
    tokens: int
    ingested_at: int
    #: How the chunks were made (chunker version, size, overlap, model): a change re-chunks the
    #: file even though its bytes are unchanged, so a new REE_CHUNK_TOKENS takes effect.
    chunking: str = ""


_DOC_COLUMNS = (
    "doc_id, path, source, file_hash, size, mtime, title, doc_type, published, published_int, url, "
    "n_chunks, tokens, ingested_at, chunking"
)


class DocStore:
    """SQLite manifest + chunk rows. Thread-safe; one connection per store, WAL journal."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(documents)")}
        if "chunking" not in columns:  # an index made before the column existed
            self._conn.execute("ALTER TABLE documents ADD COLUMN chunking TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute(
                    "INSERT INTO meta(key, value) VALUES('generation', '1') ON CONFLICT(key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
                self._conn.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself fails (disk full, busy): an open transaction would make
                # every later BEGIN on this connection fail.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    # --- writes ----------------------------------------------------------------------------
    def commit_document(self, doc: DocumentRecord, chunks: list[Chunk]) -> list[str]:
        """Make `chunks` the live content of `doc` in one transaction; return the replaced ids.

        A chunk id already present keeps its row (ids are content fingerprints, so the row is the
        same chunk): its `ingested_at` then still matches the copy Chroma holds.
        """
        with self._tx() as conn:
            old = {
                r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc.doc_id,))
            }
            new = {c.id for c in chunks}
            stale = sorted(old - new)
            conn.executemany("DELETE FROM chunks WHERE id=?", [(i,) for i in stale])
            conn.executemany(
                "INSERT OR IGNORE INTO chunks(id, doc_id, chunk_index, text, embed_text, metadata)"
                " VALUES (?,?,?,?,?,?)",
                [
                    (
                        c.id,
                        c.doc_id,
                        int(c.metadata.get("chunk_index", 0)),
                        c.text,
                        c.embed_text,
                        json.dumps(c.metadata, ensure_ascii=False),
                    )
                    for c in chunks
                ],
            )
            conn.execute(
                f"INSERT OR REPLACE INTO documents({_DOC_COLUMNS}) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    doc.doc_id,
                    doc.path,
                    doc.source,
                    doc.file_hash,
                    doc.size,
                    doc.mtime,
                    doc.title,
                    doc.doc_type,
                    doc.published,
                    doc.published_int,
                    doc.url,
                    doc.n_chunks,
                    doc.tokens,
                    doc.ingested_at,
                    doc.chunking,
                ),
            )
        return stale

    def touch_document(self, doc_id: str, *, path: str, source: str, mtime: float) -> None:
        """Record a move or a new mtime for unchanged content without bumping the generation."""
        with self._lock:
            self._conn.execute(
                "UPDATE documents SET path=?, source=?, mtime=? WHERE doc_id=?",
                (path, source, mtime, doc_id),
            )

    def remove_documents(self, doc_ids: Iterable[str]) -> list[str]:
        """Drop documents and their chunks in one transaction; return the removed chunk ids."""
        ids = list(doc_ids)
        if not ids:
            return []
        with self._tx() as conn:
            removed: list[str] = []
            for doc_id in ids:
                removed += [
                    r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))
                ]
                conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        return removed

    # --- reads -----------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def documents(self) -> list[DocumentRecord]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY source"
            ).fetchall()
        return [DocumentRecord(*r) for r in rows]

    def document(self, doc_id: str) -> DocumentRecord | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_id=?", (doc_id,)
            ).fetchone()
        return DocumentRecord(*row) if row else None

    def find_by_hash(self, file_hash: str) -> list[DocumentRecord]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE file_hash=?", (file_hash,)
            ).fetchall()
        return [DocumentRecord(*r) for r in rows]

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._conn.execute("SELECT id FROM chunks")}

    def chunk_ids_of(self, doc_id: str) -> list[str]:
        with self._lock:
            return [
                r[0] for r in self._conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))
            ]

    def count_chunks(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def get_chunks(self, ids: list[str]) -> dict[str, Chunk]:
        """Live chunks by id (ids that are not live are simply absent from the result)."""
        out: dict[str, Chunk] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ",".join("?" * len(part))
                for cid, doc_id, text, embed_text, meta in self._conn.execute(
                    f"SELECT id, doc_id, text, embed_text, metadata FROM chunks WHERE id IN ({marks})",
                    part,
                ):
                    out[cid] = Chunk(cid, doc_id, text, embed_text, json.loads(meta))
        return out

    def iter_chunks(self) -> Iterator[Chunk]:
        """All live chunks in a stable order (document, position): the BM25 corpus."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, doc_id, text, embed_text, metadata FROM chunks ORDER BY doc_id, chunk_index"
            ).fetchall()
        for cid, doc_id, text, embed_text, meta in rows:
            yield Chunk(cid, doc_id, text, embed_text, json.loads(meta))

    def neighbours(self, doc_id: str, chunk_index: int, radius: int = 1) -> list[Chunk]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, doc_id, text, embed_text, metadata FROM chunks WHERE doc_id=? AND "
                "chunk_index BETWEEN ? AND ? ORDER BY chunk_index",
                (doc_id, chunk_index - radius, chunk_index + radius),
            ).fetchall()
        return [Chunk(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]
