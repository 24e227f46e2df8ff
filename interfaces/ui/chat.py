"""One chat turn as a generator of chat histories: what the Gradio handler streams to the browser.

Kept free of gradio so that the behaviour users see (filters checked before any work, a spinner
while retrieving, verified text growing, the final answer replacing it, readable errors) can be
tested directly. Warnings that should also pop up as a toast go through the `warn` callback.

The streamed deltas are verified text, but the final `Answer` is authoritative: it replaces the
streamed text when it arrives (verification at the end may still cut or repair a sentence).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from interfaces.ui import render
from rag.engine import Engine
from rag.filters import Filters, resolve
from rag.types import Answer, EvidenceShown
from ree.errors import user_message

log = logging.getLogger("interfaces.ui")

MODES = {"auto": "Auto", "brief": "Brief", "insights": "In-Depth Insights"}
#: Minimum seconds between two streamed updates: each one re-sends the message to the browser.
_STREAM_INTERVAL = 0.05

Warn = Callable[[str], None]


def build_filters(
    since: str | None = None,
    until: str | None = None,
    documents: Sequence[str] | None = None,
    doc_types: Sequence[str] | None = None,
) -> dict[str, Any] | None:
    """The engine's filters dict from the UI fields; raises ValueError for a bad date."""
    flt = Filters(
        sources=[d for d in documents or [] if d],
        since=(since or "").strip() or None,
        until=(until or "").strip() or None,
        doc_types=[t for t in doc_types or [] if t],
    )
    resolve(flt, [])  # validates the dates (format and order) before any retrieval work
    if flt.empty:
        return None
    return {
        "sources": flt.sources,
        "since": flt.since,
        "until": flt.until,
        "doc_types": flt.doc_types,
    }


def _ignore(_: str) -> None:
    return None


def chat_turn(
    engine: Engine,
    question: str,
    history: Sequence[Any] | None,
    mode: str = "auto",
    filters: dict[str, Any] | None = None,
    *,
    warn: Warn = _ignore,
    filter_error: str | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the whole chat history after each change; the last one holds the final answer."""
    shown = [m for m in (history or [])]
    question = (question or "").strip()
    if not question:
        warn("Type a question first.")
        yield shown
        return
    prior = render.conversation(shown)
    shown.append(render.user_message(question))
    if filter_error:
        yield from _notice(shown, f"Filter problem: {filter_error}", warn)
        return
    if mode not in MODES:
        mode = "auto"
    yield [*shown, render.pending()]
    try:
        if engine.index.count() == 0:
            yield from _notice(
                shown,
                "Your library is empty: add documents in the **Library** "
                "tab (or run `ree ingest <folder>`), then ask again.",
                warn,
            )
            return
        final: Answer | None = None
        text = ""
        last = 0.0
        preview: list[dict[str, Any]] = []
        for item in engine.stream(question, history=prior or None, mode=mode, filters=filters):
            if isinstance(item, Answer):
                final = item
                break
            if isinstance(item, EvidenceShown):  # the sources first, while the model reads
                preview = [render.evidence_preview(item)]
                yield [*shown, *preview]
                continue
            text += item
            now = time.monotonic()
            if now - last >= _STREAM_INTERVAL:
                last = now
                yield [*shown, *preview, render.assistant(text)]
    except Exception as exc:  # noqa: BLE001 (shown to the user as one line, logged in full)
        yield from _notice(shown, _describe(exc), warn)
        return
    if final is None:
        yield from _notice(shown, "The engine stopped without an answer; see the server log.", warn)
        return
    yield [*shown, *render.answer_messages(final)]


def _describe(exc: BaseException) -> str:
    from ree.runtime.chat import LLMUnavailable

    known = user_message(exc)
    if isinstance(exc, LLMUnavailable):
        return f"**The language model is unavailable.** {known}"
    if known:
        return known
    log.exception("chat turn failed")
    return (
        f"Something went wrong while answering ({type(exc).__name__}). The details are in "
        "the server log; please try again or run `ree doctor`."
    )


def _notice(shown: list[dict[str, Any]], text: str, warn: Warn) -> Iterator[list[dict[str, Any]]]:
    warn(text.replace("**", ""))
    yield [*shown, render.notice(text)]
