"""One embedding memo: every text is embedded once, however many steps ask for its vector.

Evidence selection embeds the question and the passages' sentences; verification re-checks the
same passages for every claim (and again while streaming); the eval harness meets the same
passages question after question. All of them call one `EmbeddingMemo` in front of the embedder.
Bounded (least recently used texts go first) and thread-safe, since the UI answers several
questions at once over one engine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

EmbedFn = Callable[[list[str]], np.ndarray]
#: Vectors kept (384 float32 each: 50,000 is about 77 MB).
DEFAULT_MAX_ITEMS = 50_000


class EmbeddingMemo:
    """`memo(texts) -> (n, dim) array`, embedding only the texts it has not seen.

    `embedder` is an object with `.embed(texts)` (`ree.runtime.Embedder`) or a plain function
    texts -> vectors (tests pass one). Vectors are returned as the embedder made them (the
    project's embedder returns unit-norm rows).
    """

    def __init__(self, embedder: Any, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self._embed: EmbedFn = getattr(embedder, "embed", embedder)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()
        self._dim = 0

    @classmethod
    def wrap(cls, embed: Any) -> EmbeddingMemo | None:
        """`embed` itself if it is already a memo, a new memo around it, or None for None."""
        if embed is None or isinstance(embed, EmbeddingMemo):
            return embed
        return cls(embed)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if todo:
            vectors = np.asarray(self._embed(todo), dtype=np.float32)
            with self._lock:
                for text, vector in zip(todo, vectors, strict=True):
                    self._vectors[text] = vector
                self._dim = vectors.shape[1] if vectors.ndim == 2 else self._dim
        with self._lock:
            out = []
            for text in texts:
                vector = self._vectors.get(text)
                if vector is None:  # evicted by another thread meanwhile: embed it again
                    vector = np.asarray(self._embed([text]), dtype=np.float32)[0]
                    self._vectors[text] = vector
                self._vectors.move_to_end(text)
                out.append(vector)
            while len(self._vectors) > self._max:
                self._vectors.popitem(last=False)
        if not out:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack(out)

    def vector(self, text: str) -> np.ndarray:
        """The vector of one text."""
        return self([text])[0]

    def __len__(self) -> int:
        return len(self._vectors)
