"""The offline model runtime: embeddings, tokenizer files and chat models, all from installed packages.

Everything that loads a model goes through here so that the no-network rules and caching live in
one place. Importing this package applies the offline environment switches.
"""

from ree.runtime.env import apply_offline_env

apply_offline_env()

from ree.runtime.chat import LLMUnavailable, get_chat_model  # noqa: E402
from ree.runtime.embeddings import Embedder, get_embedder  # noqa: E402
from ree.runtime.tokenizer import count_tokens, get_encoding  # noqa: E402

__all__ = [
    "Embedder",
    "LLMUnavailable",
    "apply_offline_env",
    "count_tokens",
    "get_chat_model",
    "get_embedder",
    "get_encoding",
]
