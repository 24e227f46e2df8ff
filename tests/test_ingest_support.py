"""Helpers shared by the tests/test_ingest*.py files (this module holds no tests itself).

WHY a module and not conftest.py: conftest.py belongs to the whole suite; these helpers only make
sense for ingest tests. What they solve:

- The pipeline embeds through `ree.runtime.get_embedder(backend)`, a per-process cache built from
  the process-wide settings. `pipeline_embedder` builds it once, inside the session's
  `embedder_home` (where conftest's `embedder` fixture already exported the int8 ONNX file), so no
  test pays for a second export and nothing is written under the checkout's `.ree`.
- Subprocesses (`python -m ingest`, `ree ingest`) get their own REE_HOME; `link_models` hard-links
  the exported ONNX file into it so each subprocess starts in about a second instead of exporting.
- `make_settings` passes every ingest-relevant setting explicitly and ignores `.env`, so a
  developer's shell (REE_CHUNK_TOKENS=...) cannot change what the tests check.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from ree.index import Index
from ree.settings import Settings, get_settings, load_settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
CORPUS = REPO.parent / "shared" / "corpus"
PYTHON = sys.executable
REE_BIN = str(Path(sys.executable).with_name("ree"))


def need_corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


def make_settings(home: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        home=home,
        chroma_url="",
        collection="ree",
        chunk_tokens=300,
        chunk_overlap=40,
        embed_backend="onnx-int8",
        max_text_mb=20,
        max_file_mb=200,
        _env_file=None,
    )
    values.update(overrides)
    return load_settings(**values)


def pipeline_embedder(embedder_home: Path) -> None:
    """Build the pipeline's cached embedder and tokenizer in the session home (idempotent)."""
    from ree.runtime import get_embedder, get_encoding

    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("REE_"):
                mp.delenv(key)
        mp.setenv("REE_HOME", str(embedder_home))
        get_settings.cache_clear()
        try:
            get_encoding()
            get_embedder("onnx-int8")
        finally:
            get_settings.cache_clear()


def link_models(embedder_home: Path, home: Path) -> None:
    """Give a subprocess's REE_HOME the already exported ONNX embedder (hard link, else copy)."""
    src = embedder_home / "models" / "embedder"
    dst = home / "models" / "embedder"
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.glob("*.onnx"):
        target = dst / f.name
        if target.exists():
            continue
        try:
            os.link(f, target)
        except OSError:
            shutil.copy2(f, target)


def subprocess_env(home: Path, **ree: str) -> dict[str, str]:
    """The environment for an ingest subprocess: no inherited REE_*, REE_HOME=home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REE_")}
    env.pop("TIKTOKEN_CACHE_DIR", None)
    env["REE_HOME"] = str(home)
    for key, value in ree.items():
        env[f"REE_{key.upper()}"] = value
    return env


def state(index: Index) -> dict[str, set[str]]:
    """Chunk ids as each of the three stores sees them."""
    return {
        "chroma": index.vectors.all_ids(),
        "sqlite": index.docstore.chunk_ids(),
        "bm25": set(index.keyword.ids),
    }


def assert_consistent(index: Index) -> dict[str, set[str]]:
    """Chroma, SQLite and BM25 hold exactly the same chunk ids, each once."""
    got = state(index)
    assert got["chroma"] == got["sqlite"] == got["bm25"]
    assert index.vectors.count() == index.count() == len(index.keyword.ids) == len(got["sqlite"])
    return got


def copy_files(names: list[str], folder: Path, source: Path = SAMPLE) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(source / name, folder / name)) for name in names]
