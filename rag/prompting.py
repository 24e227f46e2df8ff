"""Prompts are files in `prompts/`; this module loads them and builds the chat prompt templates.

The system message (rules + the style's instructions + worked example) is identical for every
request of a style and comes first, so llama.cpp re-uses its KV cache and only the sources and the question are
evaluated per request. Variable parts therefore go in the last (user) message only.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

#: Prompt files per answer style: (system instructions, the user message).


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


def answer_prompt(folder: Path) -> ChatPromptTemplate:
    """A brief answer: system(rules + `brief.md` with its worked example), user(sources +
    question). In-Depth Insights sections use `section_prompt`."""
    return section_prompt(folder, "brief", "question")


def section_prompt(folder: Path, name: str, user: str) -> ChatPromptTemplate:
    """system(rules + `name`.md) then user(`user`.md): one In-Depth Insights section
    (`insight_section` / `insight_question`) or one part of a document brief."""
    system = load_prompt(folder, "system") + "\n\n" + load_prompt(folder, name)
    return ChatPromptTemplate.from_messages(
        [("system", _escape(system)), ("human", load_prompt(folder, user))]
    )


def second_chance_prompt(folder: Path) -> ChatPromptTemplate:
    """The answer prompt's system message (so llama.cpp's KV cache still holds it), then
    `second_chance.md`: only the passages that can answer, and a request to answer in their
    words. The failed draft is not shown: with it in the conversation the small model repeated
    it word for word in 36 of 47 second chances (README, "Second chance")."""
    return section_prompt(folder, "brief", "second_chance")


def missing_part_prompt(folder: Path) -> ChatPromptTemplate:
    """The answer prompt's system message (KV cache kept), then `missing_part.md`: the passages
    that can answer one unanswered part of the question, the question, and that part."""
    return section_prompt(folder, "brief", "missing_part")


def quote_text(folder: Path, quote: str, n: int) -> str:
    """The quoted fallback answer: the best-supported sentence, marked as a quote."""
    return load_prompt(folder, "quote").format(quote=quote, n=n)


def quoted_span(folder: Path, sentence: str) -> str | None:
    """The quoted text of a quoted-fallback sentence (`quote_text`, markers stripped), or None
    for any other sentence: a verbatim quote is judged by whether its passage holds it."""
    before, _, after = load_prompt(folder, "quote").strip().partition("{quote}")
    after = re.sub(r"\s*\[\{n\}\]", "", after)
    found = re.fullmatch(re.escape(before) + r"(.+)" + re.escape(after), sentence.strip(), re.S)
    return found.group(1).strip() if found else None


def condense_prompt(folder: Path) -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages([("human", load_prompt(folder, "condense"))])


def refusal_text(folder: Path) -> str:
    return load_prompt(folder, "refusal")
