"""Which exceptions a user can fix, and the one line we show for each.

The CLI and the UI both end in `user_message`: a known error becomes a sentence naming what to
fix; an unknown one returns None so that a real bug still shows its traceback to a developer.
"""

from __future__ import annotations


def user_message(exc: BaseException) -> str | None:
    from ree.index.vectors import VectorStoreError
    from ree.runtime.chat import LLMUnavailable
    from ree.runtime.embeddings import EmbedderUnavailable
    from ree.runtime.local_model import ModelFileError
    from ree.runtime.tokenizer import TokenizerFilesError
    from ree.settings import SettingsError

    known = (
        SettingsError,
        VectorStoreError,
        LLMUnavailable,
        EmbedderUnavailable,
        ModelFileError,
        TokenizerFilesError,
        FileNotFoundError,
        PermissionError,
    )
    if isinstance(exc, known):
        return str(exc)
    if isinstance(exc, ValueError) and str(exc).startswith("invalid collection name"):
        return str(exc)
    return None
