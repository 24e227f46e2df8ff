"""`ree setup`: do every one-time, offline preparation now instead of on the first question.

Seeds tiktoken's cache, exports the int8 ONNX embedder and assembles + verifies the local GGUF
model, each with a progress line. `make install` runs it so the first `ree ask` is fast.
"""

from __future__ import annotations

import argparse
import time

from ree.cli import _EXTENSIONS, command
from ree.settings import get_settings


@command("setup")
def cmd_setup(args: argparse.Namespace) -> int:
    from ree.runtime.embeddings import get_embedder
    from ree.runtime.local_model import resolve_model_path
    from ree.runtime.tokenizer import seed_tiktoken_cache

    settings = get_settings()
    steps = [
        ("tokenizer files", lambda: seed_tiktoken_cache(settings.tiktoken_dir)),
        ("embedding model", lambda: get_embedder().name),
    ]
    if settings.llm == "local" and not args.skip_model:
        steps.append(("local LLM", lambda: resolve_model_path(settings)))
    for name, step in steps:
        start = time.perf_counter()
        print(f"setup: {name} ...", flush=True)
        result = step()
        print(f"setup: {name} ready ({result}) in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


def _register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("setup", help="prepare tokenizer files, embedder and local model (offline)")
    p.add_argument("--skip-model", action="store_true", help="do not assemble the local LLM")


_EXTENSIONS.append(_register)
