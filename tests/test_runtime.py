"""The offline runtime: env switches, tiktoken from the seeded cache, and the real embedder.

The conftest network guard is active in every test here, so each embedding and tokenizer test
also proves that nothing was fetched.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ree.runtime.env import OFFLINE_DEFAULTS, apply_offline_env
from ree.runtime.tokenizer import (
    EXPECTED_SHA256,
    cache_path,
    get_encoding,
    seed_tiktoken_cache,
)
from ree.settings import load_settings
from ree.text import count_tokens

SENTENCES = [
    "Neodymium oxide prices rose 12% in March 2025 as magnet makers restocked.",
    "Lynas Rare Earths processes Mount Weld concentrate at its plant in Kuantan, Malaysia.",
    "Bayan Obo in Inner Mongolia hosts the world's largest rare-earth deposit.",
    "Dysprosium is added to NdFeB magnets to keep their coercivity at high temperature.",
    "China announced export controls on seven medium and heavy rare earths in April 2025.",
    "MP Materials operates the Mountain Pass mine and separation plant in California.",
    "The carbonatite intrusion hosts bastnaesite and monazite mineralisation at depth.",
    "Ionic clay deposits in southern China supply most heavy rare earths.",
    "Terbium oxide traded near 7,000 dollars per kilogram in Europe.",
    "USGS estimates global rare-earth mine production at 390,000 tonnes in 2024.",
    "Solvent extraction separates neighbouring lanthanides in hundreds of mixer-settler stages.",
    "Praseodymium and neodymium are sold together as PrNd oxide.",
    "Wind turbines with direct-drive generators use about 600 kg of permanent magnets per MW.",
    "Iluka Resources is building a rare-earth refinery at Eneabba in Western Australia.",
    "Thorium and uranium in monazite make tailings management a regulatory issue.",
    "Recycling recovers rare earths from end-of-life hard-disk-drive magnets.",
    "Cerium is used in glass polishing powders and in catalytic converters.",
    "The European Critical Raw Materials Act sets a 10% domestic extraction benchmark.",
    "Yttrium stabilises zirconia in thermal barrier coatings for jet engines.",
    "Magnet demand from electric vehicles is forecast to triple by 2035.",
]


# ------------------------------------------------------------------------------- offline env


def test_offline_defaults_are_set_but_user_values_win(monkeypatch) -> None:
    for key in OFFLINE_DEFAULTS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # the user's explicit choice
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    apply_offline_env()
    assert os.environ["HF_HUB_OFFLINE"] == "0"
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    apply_offline_env()  # idempotent
    assert os.environ["HF_HUB_OFFLINE"] == "0"


def test_importing_the_runtime_applies_the_switches() -> None:
    code = "import os, ree.runtime; print(os.environ.get('HF_HUB_OFFLINE'))"
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_DEFAULTS}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "1", out.stderr


# ------------------------------------------------------------------------------ tokenizer


def _fresh_encoding(name: str):  # -> tiktoken.Encoding
    """Build the encoding from the cache files now (tiktoken.get_encoding keeps a process cache,
    which would hide a missing or broken file)."""
    import tiktoken
    from tiktoken_ext import openai_public

    return tiktoken.Encoding(**getattr(openai_public, name)())


def test_tiktoken_works_offline_from_a_fresh_seeded_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)  # restored after the test
    cache = tmp_path / "tiktoken"
    assert seed_tiktoken_cache(cache) == cache
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(cache)
    for name, sha in EXPECTED_SHA256.items():
        file = cache_path(cache, name)
        assert hashlib.sha256(file.read_bytes()).hexdigest() == sha
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        cache_path(cache, n).name for n in EXPECTED_SHA256
    )  # no temporaries left behind
    text = "Neodymium-praseodymium (NdPr) oxide: US$62.5/kg"
    for name in EXPECTED_SHA256:
        enc = _fresh_encoding(name)
        ids = enc.encode(text)
        assert 5 < len(ids) < len(text) and enc.decode(ids) == text
    # the two vocabularies really differ (both files were read, not one twice)
    assert _fresh_encoding("cl100k_base").n_vocab < _fresh_encoding("o200k_base").n_vocab


def test_tampered_cache_file_is_replaced(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    cache = seed_tiktoken_cache(tmp_path / "tiktoken")
    file = cache_path(cache, "cl100k_base")
    file.write_bytes(b"garbage")  # tiktoken would delete this and try to download
    other = cache_path(cache, "o200k_base")
    other_mtime = other.stat().st_mtime_ns
    seed_tiktoken_cache(cache)
    assert hashlib.sha256(file.read_bytes()).hexdigest() == EXPECTED_SHA256["cl100k_base"]
    assert other.stat().st_mtime_ns == other_mtime  # verified files are not rewritten
    assert _fresh_encoding("cl100k_base").encode("Bayan Obo")


def test_count_tokens_uses_the_settings_cache(ree_settings) -> None:
    get_encoding.cache_clear()  # seeding happens on the first call in a process
    assert count_tokens("rare earth magnets") == 4  # r|are| earth| magnets in cl100k_base
    assert count_tokens("<|endoftext|> stays plain text") > 3  # special tokens not rejected
    assert cache_path(ree_settings.tiktoken_dir, "cl100k_base").exists()


# ------------------------------------------------------------------------------- embedder


def test_network_guard_is_active(network_attempts: list[str]) -> None:
    with pytest.raises(OSError, match="network guard"):
        socket.create_connection(("10.255.255.1", 80), timeout=1)
    assert network_attempts == ["('10.255.255.1', 80)"]
    network_attempts.clear()


def test_vectors_are_384_dim_unit_norm_float32(embedder) -> None:
    vecs = embedder.embed(SENTENCES)
    assert embedder.backend_name == "onnx-int8"
    assert vecs.shape == (len(SENTENCES), 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(vecs).all()
    # distinct sentences get distinct vectors
    sims = vecs @ vecs.T
    assert (sims[~np.eye(len(SENTENCES), dtype=bool)] < 0.95).all()


def test_vectors_are_deterministic(embedder) -> None:
    np.testing.assert_array_equal(embedder.embed(SENTENCES), embedder.embed(SENTENCES))


def test_embed_query_equals_embed_documents(embedder) -> None:
    text = SENTENCES[3]
    query = embedder.embed_query(text)
    assert isinstance(query, list) and len(query) == 384
    assert query == embedder.embed_documents([text])[0]


def test_batch_neighbours_change_int8_vectors_only_slightly(embedder) -> None:
    """Dynamic int8 quantization takes one activation scale per batch tensor, so a text's vector
    depends a little on the texts batched with it (measured: cosine ~0.993). Bounded here."""
    alone = embedder.embed([SENTENCES[0]])[0]
    batched = embedder.embed(SENTENCES)[0]
    assert float(alone @ batched) >= 0.98


def test_empty_input_gives_an_empty_matrix(embedder) -> None:
    assert embedder.embed([]).shape == (0, 384)
    assert embedder.embed_documents([]) == []


def test_query_about_magnet_prices_finds_the_price_sentence(embedder) -> None:
    price = "NdFeB magnet prices climbed as neodymium oxide rose to $75 per kilogram."
    geology = "The orebody is a carbonatite dyke with bastnaesite hosted in dolomite."
    q, p, g = embedder.embed(["How have magnet prices changed?", price, geology])
    assert q @ p > q @ g + 0.1


@pytest.fixture(scope="module")
def torch_embedder(embedder_home: Path):  # the fp32 reference; torch loads in a few seconds
    from ree.runtime.embeddings import Embedder

    return Embedder("torch", settings=load_settings(home=embedder_home))


def test_onnx_int8_agrees_with_torch(embedder, torch_embedder) -> None:
    assert torch_embedder.backend_name == "torch"
    a = embedder.embed(SENTENCES)
    b = torch_embedder.embed(SENTENCES)
    assert b.shape == (len(SENTENCES), 384) and b.dtype == np.float32
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.98, cos
    # the ranking a user sees is the same: each sentence's nearest neighbour agrees
    sims_a, sims_b = a @ a.T, b @ b.T
    np.fill_diagonal(sims_a, -1)
    np.fill_diagonal(sims_b, -1)
    agree = (sims_a.argmax(axis=1) == sims_b.argmax(axis=1)).mean()
    assert agree >= 0.9


def test_export_is_quiet_and_repairs_a_broken_cache(tmp_path: Path) -> None:
    """A fresh export in a clean process prints no tracer/quantizer noise, leaves the logging
    configuration alone (so bm25s's DEBUG level stays invisible), and an unreadable cached ONNX
    file is rebuilt instead of pinning the slow torch fallback."""
    cached = tmp_path / "models" / "embedder" / "minilm-l6-v2-int8-pc.onnx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not an onnx model")
    code = textwrap.dedent(
        """
        import logging
        from ree.runtime.embeddings import Embedder
        e = Embedder()
        print("backend", e.backend_name, e.embed(["Nd"]).shape)
        print("root handlers", len(logging.getLogger().handlers))
        import bm25s
        logging.getLogger("bm25s").debug("BM25S-DEBUG-LINE")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REE_")}
    env["REE_HOME"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "backend onnx-int8 (1, 384)" in run.stdout
    assert "root handlers 0" in run.stdout
    noise = ("TracerWarning", "pre-processing", "Loading weights", "aten::index", "BM25S-DEBUG")
    for word in noise:
        assert word not in run.stderr, run.stderr
    assert "unreadable" in run.stderr and "rebuilding" in run.stderr  # the repair is reported
    assert cached.stat().st_size > 10_000_000
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no temporaries
