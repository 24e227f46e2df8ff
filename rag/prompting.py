"""Prompts are files in `prompts/`; this module loads them and builds the chat prompt templates.

The system message (rules + mode instructions + worked example) is identical for every request of
a mode and comes first, so llama.cpp re-uses its KV cache and only the sources and the question are
evaluated per request. Variable parts therefore go in the last (user) message only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

MODES = ("brief", "insights")


class PromptError(RuntimeError):
    """A prompt file is missing; the message names it."""


@lru_cache(maxsize=32)
def load_prompt(folder: Path, name: str) -> str:
    path = folder / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise PromptError(f"prompt file {path} is missing (check REE_PROMPTS_DIR)") from None


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def answer_prompt(folder: Path, mode: str) -> ChatPromptTemplate:
    """system(rules + mode + example) then user(sources + question)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    system = load_prompt(folder, "system") + "\n\n" + load_prompt(folder, mode)
    return ChatPromptTemplate.from_messages(
        [("system", _escape(system)), ("human", load_prompt(folder, "question"))]
    )


def condense_prompt(folder: Path) -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages([("human", load_prompt(folder, "condense"))])


def refusal_text(folder: Path) -> str:
    return load_prompt(folder, "refusal")
