"""`ree setup`: every one-time, offline preparation now instead of on the first question.

Seeds tiktoken's cache, exports the int8 ONNX embedder and assembles + verifies the local GGUF
model, each with a progress line. `make install` runs it so the first `ree ask` is fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ree.settings import Settings


def run_setup(settings: Settings, *, skip_model: bool, echo: Callable[[str], object]) -> None:
    """Run each preparation step, reporting its start, result and duration through `echo`."""
    from ree.runtime.embeddings import get_embedder
    from ree.runtime.local_model import resolve_model_path
    from ree.runtime.tokenizer import seed_tiktoken_cache

    steps: list[tuple[str, Callable[[], object]]] = [
        ("tokenizer files", lambda: seed_tiktoken_cache(settings.tiktoken_dir)),
        ("embedding model", lambda: get_embedder(settings.embed_backend).name),
    ]
    if settings.llm == "local" and not skip_model:
        steps.append(("local LLM", lambda: resolve_model_path(settings)))
    for name, step in steps:
        start = time.perf_counter()
        echo(f"setup: {name} ...")
        result = step()
        echo(f"setup: {name} ready ({result}) in {time.perf_counter() - start:.1f} s")
