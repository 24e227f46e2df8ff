"""BM25 keyword search over the live chunks, kept in step with the manifest by its generation.

Names, numbers and dates ("Lynas", "Section 232", "390,000 t", "2035") are where dense embeddings
blur, so retrieval always runs this beside Chroma. The index is a pure function of the chunk table:
it is saved with the docstore generation it was built from and rebuilt whenever that differs, so it
can never keep a deleted chunk or miss an added one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from pathlib import Path

import bm25s
import numpy as np

from ree.index.docstore import DocStore
from ree.text import tokenize

log = logging.getLogger(__name__)


class KeywordIndex:
    """bm25s over (chunk id, embed_text) pairs; `search` returns (id, score) best first."""

    def __init__(self, docstore: DocStore, folder: Path) -> None:
        self.docstore = docstore
        self.folder = folder
        self._lock = threading.Lock()
        self._generation = -1
        self._ids: list[str] = []
        self._index: bm25s.BM25 | None = None
        self._meta: list[dict] = []

    def _build(self, generation: int) -> None:
        chunks = list(self.docstore.iter_chunks())
        self._ids = [c.id for c in chunks]
        self._meta = [
            {
                "doc_id": c.doc_id,
                "source": c.metadata.get("source", ""),
                "doc_type": c.metadata.get("doc_type", ""),
                "published_int": int(c.metadata.get("published_int", 0) or 0),
            }
            for c in chunks
        ]
        if chunks:
            index = bm25s.BM25()
            index.index(
                [tokenize(c.embed_text) or ["__empty__"] for c in chunks], show_progress=False
            )
            self._index = index
        else:
            self._index = None
        self._generation = generation
        self._save()

    def _save(self) -> None:
        """Write the index to disk as a cache. Best effort: the in-memory index is already right.

        Temporary names are per process and thread: the CLI and the UI may rebuild at once, and
        a shared name let one of them delete the other's half-written folder mid-save.
        """
        tag = f"{os.getpid()}.{threading.get_ident()}"
        tmp = self.folder.with_name(f"{self.folder.name}.{tag}.tmp")
        old = self.folder.with_name(f"{self.folder.name}.{tag}.old")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            if self._index is not None:
                self._index.save(str(tmp), show_progress=False)
            (tmp / "ree.json").write_text(
                json.dumps({"generation": self._generation, "ids": self._ids, "meta": self._meta})
            )
            shutil.rmtree(old, ignore_errors=True)
            if self.folder.exists():
                self.folder.rename(old)
            tmp.rename(self.folder)
        except OSError as exc:  # another process won the race, or the disk is full
            log.debug("BM25 cache not saved (%s); it will be rebuilt when needed", exc)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def _load(self) -> bool:
        info = self.folder / "ree.json"
        if not info.exists():
            return False
        data = json.loads(info.read_text())
        index = (
            bm25s.BM25.load(str(self.folder), mmap=False, show_progress=False)
            if data["ids"]
            else None
        )
        # The folder can be swapped by another process between the two reads above: a BM25 matrix
        # whose size differs from the id list would map scores to the wrong chunks.
        if index is not None and int(index.scores["num_docs"]) != len(data["ids"]):
            return False
        self._ids, self._meta, self._generation = data["ids"], data["meta"], data["generation"]
        self._index = index
        return True

    def refresh(self) -> None:
        """Make the in-memory index match the docstore (load from disk, or rebuild)."""
        generation = self.docstore.generation
        with self._lock:
            if generation == self._generation:
                return
            try:
                if self._load() and self._generation == generation:
                    return
            except Exception:  # a damaged cache is rebuilt, never trusted
                pass
            self._build(generation)

    @property
    def ids(self) -> list[str]:
        self.refresh()
        return self._ids

    def _arrays(self) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        """Per-chunk document codes and dates as arrays, so filters cost microseconds per chunk."""
        if getattr(self, "_arrays_for", None) != self._generation:
            codes: dict[str, int] = {}
            doc = np.array(
                [codes.setdefault(m["doc_id"], len(codes)) for m in self._meta], dtype=np.int32
            )
            pub = np.array([m["published_int"] for m in self._meta], dtype=np.int64)
            self._cached_arrays = (codes, doc, pub)
            self._arrays_for = self._generation
        return self._cached_arrays

    def filter_mask(
        self, doc_ids: set[str] | None, since: int | None, until: int | None
    ) -> np.ndarray:
        """1.0 for chunks inside the filter, 0.0 outside, aligned with `ids`."""
        self.refresh()
        codes, doc, pub = self._arrays()
        keep = np.ones(len(self._ids), dtype=bool)
        if doc_ids is not None:
            wanted = np.array([codes[d] for d in doc_ids if d in codes], dtype=np.int32)
            keep &= np.isin(doc, wanted)
        if since is not None:
            keep &= pub >= since
        if until is not None:
            keep &= pub <= until
        return keep.astype(np.float32)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; `mask` (from `filter_mask`) zeroes chunks out.

        The index and its ids are read as one snapshot under the lock, so a rebuild by another
        thread cannot pair new ids with old scores. If an ingest committed between `filter_mask`
        and this call, the mask no longer lines up with the index: it is then ignored rather than
        applied to the wrong chunks (callers filter hits by metadata afterwards anyway).
        """
        self.refresh()
        with self._lock:
            index, ids = self._index, self._ids
        tokens = tokenize(query)
        if index is None or not tokens:
            return []
        scores = index.get_scores(tokens)
        if mask is not None and len(mask) == len(scores):
            scores = scores * mask
        elif mask is not None:
            log.debug(
                "BM25 filter mask is stale (%d vs %d chunks); ignored", len(mask), len(scores)
            )
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]
