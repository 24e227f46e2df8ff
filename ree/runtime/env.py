"""Runtime hygiene in one place: the product must never reach the network at run time.

Hugging Face libraries, Chroma and Gradio each phone home unless told not to. We set their switches
before any of them is imported, but only where the user has not set them (their choice wins).
"""

from __future__ import annotations

import os

OFFLINE_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Set the no-network switches that the user has not set explicitly."""
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
