"""Turn an `Answer` into chat messages: the answer, its sources and how it was verified.

An analyst must be able to judge an answer without leaving the chat, so each answer is followed by
two collapsible boxes (Gradio renders a message with `metadata.title` as one): "Sources (n)" with
title, date, page, the quoted supporting sentence and the file or URL, and a verification box
whose title says what the verifier changed ("2 unsupported sentences removed, 1 citation
repaired") and whose body lists those sentences. Timings and the model go in that box's subdued
`log` text: useful when something is slow, out of the way otherwise.

Messages are plain dicts in Gradio's "messages" format, so this module needs no gradio import and
the chat history can be read back (`conversation`) from what the browser or an API client sends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.types import Answer, Citation, ClaimRecord, EvidenceShown

Message = dict[str, Any]

#: Assistant messages starting with this are notices (errors, empty library), not answers: they
#: are left out of the history given to the engine for follow-up questions.
NOTICE = "⚠"  # U+26A0 without the emoji selector: every font has it
NO_ANSWER = "No answer in your documents"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(text: str) -> str:
    """Escape Markdown/HTML specials in document-supplied text (titles, quotes, file names)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def user_message(text: str) -> Message:
    return {"role": "user", "content": text}


def assistant(
    text: str, title: str | None = None, *, status: str | None = None, log: str | None = None
) -> Message:
    msg: Message = {"role": "assistant", "content": text}
    if title:
        meta: dict[str, Any] = {"title": title}
        if status:
            meta["status"] = status
        if log:
            meta["log"] = log
        msg["metadata"] = meta
    return msg


def notice(text: str) -> Message:
    """An error or hint shown as an assistant message (never a stack trace)."""
    return assistant(f"{NOTICE} {text}")


def pending(title: str = "Searching your documents…") -> Message:
    """A spinner box shown until the first verified words arrive."""
    return assistant("", title, status="pending")


def evidence_preview(event: EvidenceShown) -> Message:
    """The quotes the answer will rest on, shown (open) while the model reads them too."""
    body = sources_markdown(event.quotes)
    if event.quarantined:
        withheld = ", ".join(sorted({f"`{q.source}`" for q in event.quarantined}))
        body += (
            f"\n\n{NOTICE} Withheld from the model (text addressed to the assistant): {withheld}"
        )
    return assistant(body, f"Reading {_plural(len(event.quotes), 'passage')}…", status="pending")


# --- reading the history back ------------------------------------------------------------------


def message_text(message: Any) -> str:
    """The text of a chat message in any shape Gradio or gradio_client hands back."""
    content = (
        message.get("content", "") if isinstance(message, dict) else getattr(message, "content", "")
    )
    if isinstance(content, list):  # normalized: [{"type": "text", "text": ...}, ...]
        parts = [c.get("text", "") if isinstance(c, dict) else str(c) for c in content]
        return " ".join(p for p in parts if p)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content or "")


def _metadata(message: Any) -> dict:
    meta = (
        message.get("metadata") if isinstance(message, dict) else getattr(message, "metadata", None)
    )
    return meta or {}


def conversation(history: Sequence[Any] | None) -> list[dict[str, str]]:
    """Prior turns for the engine: user questions and answers, without boxes or notices."""
    turns: list[dict[str, str]] = []
    for message in history or []:
        role = message.get("role") if isinstance(message, dict) else getattr(message, "role", "")
        if _metadata(message).get("title"):
            continue
        text = message_text(message).strip()
        if not text or (role == "assistant" and text.startswith(NOTICE)):
            continue
        turns.append({"role": "assistant" if role == "assistant" else "user", "content": text})
    return turns


# --- one answer -------------------------------------------------------------------------------


def answer_messages(answer: Answer) -> list[Message]:
    """The final rendering of one answer: answer text, sources box, verification box."""
    out = [assistant(answer_text(answer))]
    if answer.sources:
        title = (
            f"Closest passages ({len(answer.sources)})"
            if answer.refused
            else f"Sources ({len(answer.sources)})"
        )
        out.append(assistant(sources_markdown(answer.sources, refused=answer.refused), title))
    out.append(
        assistant(
            verification_markdown(answer),
            verification_title(answer),
            status="done",
            log=timings_line(answer),
        )
    )
    return out


def answer_text(answer: Answer) -> str:
    if not answer.refused:
        return answer.text
    reason = answer.refusal_reason or "the documents do not answer this question"
    return (
        f"**{NO_ANSWER}.** {answer.text}\n\n"
        f"_Why: {md_escape(reason)}. The closest passages are listed below; try rephrasing, "
        "widening the filters or adding documents in the Library tab._"
    )


def sources_markdown(sources: Sequence[Citation], *, refused: bool = False) -> str:
    blocks = []
    for c in sources:
        head = f"**[{c.n}] {md_escape(c.title or c.source)}**"
        facts = [x for x in (c.date, f"p. {c.page}" if c.page else "") if x]
        if refused and c.relevance:
            facts.append(f"relevance {c.relevance:.2f}")
        if facts:
            head += " · " + " · ".join(facts)
        lines = [head]
        if c.quote:
            lines.append(f"> {md_escape(c.quote)}")
        lines.append(_location(c))
        blocks.append("\n\n".join(lines))
    return "\n\n".join(blocks)


def _location(c: Citation) -> str:
    if c.url:
        return f"Link: [{md_escape(c.url)}]({c.url.replace(' ', '%20').replace(')', '%29')})"
    return f"File: `{c.source.replace('`', '')}`"


def verification_title(answer: Answer) -> str:
    checked = [c for c in answer.claims if c.status != "structural"]
    unsupported = sum(c.status in ("removed", "unsupported") for c in answer.claims)
    if answer.refused:
        if not checked:
            return "Verification: nothing to verify"
        return f"Verification: {_plural(unsupported, 'draft sentence')} could not be verified"
    if answer.outcome == "quoted":
        return "Quoted from the documents: no drafted sentence could be verified"
    parts = ["second draft used"] if answer.outcome == "second-chance" else []
    removed = answer.removed
    marked = sum(c.status == "unsupported" for c in answer.claims)
    if removed:
        parts.append(f"{_plural(removed, 'unsupported sentence')} removed")
    if marked:
        parts.append(f"{_plural(marked, 'unsupported sentence')} marked")
    if answer.repaired:
        parts.append(f"{_plural(answer.repaired, 'citation')} repaired")
    if not parts:
        n = sum(c.status in ("verified", "repaired") for c in answer.claims)
        return f"✓ Verified: {_plural(n, 'sentence')} checked against the cited passages"
    return "Verification: " + ", ".join(parts)


def verification_markdown(answer: Answer) -> str:
    groups: dict[str, list[ClaimRecord]] = {}
    for claim in answer.claims:
        groups.setdefault(claim.status, []).append(claim)
    sections = []
    labels = [
        ("removed", "Removed (not supported by the cited passage)"),
        ("unsupported", "Kept but marked unverified"),
        ("repaired", "Citation repaired"),
    ]
    for status, label in labels:
        claims = groups.get(status, [])
        if claims:
            lines = [f"**{label}**"]
            for c in claims:
                why = f" — _{md_escape(c.reason)}_" if c.reason else ""
                lines.append(f"- {md_escape(c.text.strip())}{why}")
            sections.append("\n".join(lines))
    verified = len(groups.get("verified", []))
    if verified:
        sections.append(
            f"**{_plural(verified, 'sentence')} verified** as written: each is "
            "supported by the passage it cites."
        )
    if not sections:
        return (
            "No sentence was checked: the engine refused before asking the model."
            if answer.refused
            else "No checkable sentence."
        )
    sections.append(
        "_Every sentence is compared with the passage it cites; figures must appear "
        "in that passage._"
    )
    return "\n\n".join(sections)


def timings_line(answer: Answer) -> str:
    t = answer.timings
    style = {"brief": "Brief", "insights": "In-Depth Insights"}.get(answer.mode, answer.mode)
    parts = [f"{style} ({answer.mode_reason})" if answer.mode_reason else style]
    parts.append(f"retrieval {t.get('retrieval', 0):.2f} s")
    if "ttft" in t:
        parts.append(f"first token {t['ttft']:.1f} s")
    parts.append(f"total {t.get('total', 0):.1f} s")
    if answer.model:
        parts.append(answer.model)
    return " · ".join(parts)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
