"""Chroma as the vector store: embedded on disk by default, a Chroma server when REE_CHROMA_URL is set.

We always hand Chroma our own vectors and register our own embedding function: a collection without
one would try to download Chroma's default ONNX model at run time, which must never happen here.
Cosine space is set explicitly (Chroma's default is L2). Writes are batched under Chroma's maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ree.index.records import Chunk
from ree.runtime.env import apply_offline_env
from ree.settings import Settings

#: Chroma rejects batches above ~5461 records; stay well under it.
MAX_BATCH = 4000


class VectorStoreError(RuntimeError):
    """Chroma cannot be opened or reached; the message names the setting to fix."""


class _PrecomputedOnly:
    """Chroma embedding function that refuses to embed: we always pass vectors ourselves."""

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:  # noqa: A002 (Chroma's name)
        raise RuntimeError("ree passes its own embeddings; Chroma must not embed text itself")

    @staticmethod
    def name() -> str:
        return "ree-precomputed"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _PrecomputedOnly:
        return _PrecomputedOnly()

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]

    def embed_query(self, input: Sequence[str]) -> list[np.ndarray]:  # noqa: A002
        return self(input)


def open_client(settings: Settings) -> Any:
    """A Chroma client: HttpClient for REE_CHROMA_URL, else a PersistentClient under REE_HOME."""
    apply_offline_env()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:
            raise VectorStoreError(
                f"Chroma server at {settings.chroma_url} is unreachable ({type(exc).__name__}): "
                "start it (chroma run --path DIR --port PORT) or fix REE_CHROMA_URL"
            ) from None
        return client
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(
            path=str(settings.index_dir / "chroma"), settings=chroma_settings
        )
    except Exception as exc:
        raise VectorStoreError(
            f"cannot open the Chroma index under {settings.index_dir} ({exc}); check REE_HOME"
        ) from None


class VectorStore:
    """One Chroma collection holding chunk vectors, their text and flat metadata."""

    def __init__(self, client: Any, name: str) -> None:
        self.name = name
        self.collection = client.get_or_create_collection(
            name=name,
            embedding_function=_PrecomputedOnly(),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )

    def count(self) -> int:
        return int(self.collection.count())

    def upsert(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for start in range(0, len(chunks), MAX_BATCH):
            part = chunks[start : start + MAX_BATCH]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + MAX_BATCH],
                documents=[c.text for c in part],
                metadatas=[dict(c.metadata) for c in part],
            )

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), MAX_BATCH):
            self.collection.delete(ids=ids[start : start + MAX_BATCH])

    def all_ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self.collection.get(include=[], limit=MAX_BATCH, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < MAX_BATCH:
                return out
            offset += MAX_BATCH

    def query(
        self,
        vector: np.ndarray,
        k: int,
        *,
        where: dict[str, Any] | None = None,
        ids: list[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) for the k nearest chunks, best first.

        `ids` restricts the search to those chunks (31 ms for 16k ids at 200k chunks; `where`
        on the same chunks' dates: 470 ms). No `count()` first: it costs ~13 ms at 200k chunks
        (6x the HNSW search itself), and Chroma answers an empty collection with an empty result.
        """
        res = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            ids=ids,
            n_results=k,
            where=where or None,
            include=["distances"],
        )
        if not res["ids"] or not res["ids"][0]:
            return []
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    def embeddings(self, ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of `ids` (in Chroma's order, with the ids it found), batched."""
        found: list[str] = []
        parts: list[np.ndarray] = []
        for start in range(0, len(ids), MAX_BATCH):
            got = self.collection.get(ids=ids[start : start + MAX_BATCH], include=["embeddings"])
            found += got["ids"]
            parts.append(
                np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
            )
        matrix = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
        return found, matrix
