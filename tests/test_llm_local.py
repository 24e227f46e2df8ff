"""The packaged local LLM through `get_chat_model`: the real 1.5B model, so these tests are slow.

One model instance serves the module (loading costs seconds and 1.5 GB); answers are capped at
a few tokens. A corrupt GGUF file is cheap to test and runs with the fast suite.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from ree.errors import user_message
from ree.runtime.chat import LLMUnavailable, LocalChatModel, get_chat_model
from ree.settings import Settings, load_settings

QUESTION = [
    SystemMessage("You are a concise chemistry assistant."),
    HumanMessage("What is the chemical symbol of neodymium? Answer with the symbol only."),
]


@pytest.fixture(scope="module")
def chat(llm_home: Path) -> LocalChatModel:
    settings = load_settings(home=llm_home, max_answer_tokens=32, llm_context=512)
    model = get_chat_model(settings)
    assert isinstance(model, LocalChatModel)
    assert model is get_chat_model(settings)  # one instance per configuration
    return model


@pytest.mark.slow
def test_invoke_answers_neodymium(chat: LocalChatModel) -> None:
    start = time.perf_counter()
    answer = chat.invoke(QUESTION)
    took = time.perf_counter() - start
    assert "Nd" in answer.content
    assert len(answer.content) < 40  # obeyed "symbol only" within a small cap
    assert chat.load_seconds > 0
    print(f"\nLLM load {chat.load_seconds:.1f} s; first answer {took:.1f} s: {answer.content!r}")


@pytest.mark.slow
def test_stream_yields_several_chunks(chat: LocalChatModel) -> None:
    prompt = [HumanMessage("Name three rare-earth elements, comma separated.")]
    start = time.perf_counter()
    chunks, first = [], 0.0
    for c in chat.stream(prompt, max_tokens=16):
        first = first or time.perf_counter() - start  # prompt evaluation + first token
        chunks.append(c.content)
    took = time.perf_counter() - start
    text = "".join(chunks)
    assert len(chunks) >= 3, chunks
    assert all(isinstance(c, str) for c in chunks)
    known = (
        "neodymium",
        "cerium",
        "lanthanum",
        "yttrium",
        "dysprosium",
        "praseodymium",
        "terbium",
        "europium",
        "samarium",
        "gadolinium",
        "scandium",
    )
    assert sum(name in text.lower() for name in known) >= 2, text
    rate = (len(chunks) - 1) / max(took - first, 1e-9)
    print(
        f"\nstreamed {len(chunks)} chunks in {took:.2f} s: first after {first:.2f} s, "
        f"then {rate:.1f} tokens/s"
    )


@pytest.mark.slow
def test_same_prompt_same_answer(chat: LocalChatModel) -> None:
    """temperature 0 and a fixed seed: a repeated question gets the same answer (the KV cache of
    the shared prefix is reused, so the second call is also the cheap one)."""
    first = chat.invoke(QUESTION).content
    assert chat.invoke(QUESTION).content == first


def test_corrupt_gguf_is_a_user_facing_error(ree_settings: Settings) -> None:
    bad = ree_settings.home / "broken.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"not really a model" * 10)
    model = get_chat_model(load_settings(home=ree_settings.home, local_model=str(bad)))
    with pytest.raises(LLMUnavailable) as info:
        model.invoke("hello")
    message = user_message(info.value)
    assert message is not None  # the CLI prints it as one line, no traceback
    assert str(bad) in message and "REE_LOCAL_MODEL" in message


@pytest.mark.slow
def test_a_given_opening_is_continued_on_the_conversations_own_tokens(
    chat: LocalChatModel, monkeypatch
) -> None:
    """A last "ai" message is the answer's opening: the model writes on after it, and the prompt
    is the chat prompt's very tokens plus the opening (so llama.cpp's KV cache of the chat
    prompt is kept; a document brief's section headings are given this way)."""
    from langchain_core.messages import AIMessage

    llama = chat.load()
    prompts: list[list[int]] = []
    real = llama.create_completion

    def recorded(prompt, **kwargs):  # noqa: ANN001, ANN003
        prompts.append(list(prompt))
        return real(prompt=prompt, **kwargs)

    monkeypatch.setattr(llama, "create_completion", recorded)
    chat.invoke(QUESTION)
    opening = "The chemical symbol of neodymium is"
    text = "".join(c.content for c in chat.stream([*QUESTION, AIMessage(opening)], max_tokens=8))
    asked, continued = prompts
    assert continued[: len(asked)] == asked and len(continued) > len(asked)
    assert "Nd" in text and not text.strip().startswith(opening), text
