"""Deterministic stand-ins for the LLM (and only the LLM) in fast tests.

`ScriptedChatModel` replies with fixed texts in turn, to drive verification through exact cases
(wrong citation, invented number, injection obeyed...). `ExtractiveChatModel` answers like a
perfectly obedient model: it reads the numbered sources in the prompt and returns the sentence
that best overlaps the question, cited, so the whole pipeline (retrieval, evidence, verification,
UI) can run end to end in milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

_SOURCE = re.compile(r"^\[(\d+)\] .*?\n(.*?)(?=\n\n\[\d+\] |\nSOURCES>>>|\Z)", re.S | re.M)
_WORD = re.compile(r"[a-z0-9]+")


def _until_stop(text: str, stop: list[str] | None) -> str:
    """`text` cut before the first stop string, as a real model stops there."""
    for s in stop or []:
        text = text.split(s, 1)[0]
    return text


class _StreamingFake(BaseChatModel):
    """Shared streaming plumbing: subclasses implement `reply(messages)`."""

    calls: list[list[BaseMessage]] = Field(default_factory=list)
    streamed: int = 0  # pieces yielded by `_stream`: shows where a caller stopped reading

    def reply(self, messages: list[BaseMessage]) -> str:
        raise NotImplementedError

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        text = _until_stop(self.reply(messages), stop)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.calls.append(list(messages))
        for piece in re.findall(r"\S+\s*|\s+", _until_stop(self.reply(messages), stop)):
            self.streamed += 1
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


class ScriptedChatModel(_StreamingFake):
    """Returns `replies` in order (the last one repeats)."""

    replies: list[str]
    model_name: str = "scripted-fake"

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def reply(self, messages: list[BaseMessage]) -> str:
        i = min(len(self.calls) - 1, len(self.replies) - 1)
        return self.replies[i]


class ExtractiveChatModel(_StreamingFake):
    """Answers with the source sentence that best matches the question, cited as [n]."""

    model_name: str = "extractive-fake"
    sentences: int = 1

    @property
    def _llm_type(self) -> str:
        return "extractive-fake"

    def reply(self, messages: list[BaseMessage]) -> str:
        continues = messages[-1].type == "ai"  # the answer's given opening: write on after it
        prompt = str(messages[-2 if continues else -1].content)
        if prompt.rstrip().endswith("Standalone question:"):  # the condense prompt
            last_user = re.findall(r"^User: (.*)$", prompt, re.M)
            follow_up = re.findall(r"^Follow-up: (.*)$", prompt, re.M)[-1]
            return f"{last_user[-1].rstrip(' ?')}: {follow_up}" if last_user else follow_up
        question = prompt.rsplit("Question:", 1)[-1]
        q = set(_WORD.findall(question.lower()))
        best: list[tuple[int, int, str]] = []
        for n, body in _SOURCE.findall(prompt):
            for sent in re.split(r"(?<=[.!?])\s+|\n", body):
                sent = sent.strip(" .")
                if len(sent) > 20 and not sent.startswith("..."):
                    best.append((len(q & set(_WORD.findall(sent.lower()))), -int(n), sent))
        if not best:
            return "The indexed documents do not answer this question."
        best.sort(reverse=True)
        if "\nAngle: " in prompt:  # an In-Depth Insights section: a heading and two bullets
            angle = re.findall(r"^Angle: (.*)$", prompt, re.M)[-1].split("(")[0].strip()
            labels = ("Main point", "Second point")
            bullets = [f"- **{lab}**: {s} [{-n}]." for lab, (_, n, s) in zip(labels, best[:2])]
            heading = "" if continues else f"### What does this mean through the lens of {angle}?\n"
            return heading + "\n".join(bullets)
        return " ".join(f"{s} [{-n}]." for _, n, s in best[: self.sentences])
