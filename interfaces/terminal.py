"""What `ree ask` prints: the streamed answer, then sources, refusal reason and timings.

Kept apart from the command so the printing can be tested on a fake stream and reused by other
terminal commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import click

from rag.types import Answer, Brief, EvidenceShown


def print_answer_stream(stream: Iterable[str | Answer], *, as_json: bool, live: bool) -> Answer:
    """Print verified text as it arrives (when `live`), then the final answer's details."""
    final: Answer | None = None
    streamed = ""
    for item in stream:
        if isinstance(item, Answer):
            final = item
        elif isinstance(item, EvidenceShown):
            if not as_json:
                print_evidence(item)
        elif live:
            streamed += item
            click.echo(item, nl=False)
    if final is None:
        raise RuntimeError("the answer stream ended without an Answer")
    if as_json:
        click.echo(json.dumps(final.to_dict(), indent=2, ensure_ascii=False))
        return final
    if live and streamed.strip() != final.text.strip():
        click.echo("\n\n(verified answer)")
    if not live or streamed.strip() != final.text.strip():
        click.echo(final.text)
    click.echo()
    print_answer_details(final)
    return final


def print_evidence(event: EvidenceShown) -> None:
    """The quotes the answer will rest on, printed before the model's first word."""
    click.echo("Evidence:", err=False)
    for c in event.quotes:
        meta = ", ".join(x for x in (c.date, f"p. {c.page}" if c.page else "") if x)
        click.echo(f"  [{c.n}] {c.title or c.source}" + (f" ({meta})" if meta else ""))
        if c.quote:
            click.echo(f'      "{c.quote}"')
    if event.quarantined:
        sources = ", ".join(sorted({q.source for q in event.quarantined}))
        click.echo(f"  withheld from the model (text addressed to the assistant): {sources}")
    click.echo()


def print_answer_details(answer: Answer) -> None:
    """Sources (or closest sources of a refusal), verification counts, timings and model."""
    if answer.refused:
        click.echo(f"\n(refused: {answer.refusal_reason})")
        if answer.sources:
            click.echo("Closest sources:")
    else:
        click.echo("\nSources:")
    click.echo(answer.sources_markdown())
    notes = [f"{answer.mode} ({answer.mode_reason})" if answer.mode_reason else answer.mode]
    if answer.outcome in ("second-chance", "quoted"):
        notes.append({"second-chance": "second draft", "quoted": "quoted fallback"}[answer.outcome])
    if answer.removed:
        notes.append(f"{answer.removed} unsupported sentence(s) removed")
    if answer.repaired:
        notes.append(f"{answer.repaired} citation(s) repaired")
    t = answer.timings
    notes.append(
        f"retrieval {t.get('retrieval', 0):.2f} s, first token {t.get('ttft', 0):.1f} s, "
        f"total {t.get('total', 0):.1f} s" + (f", {answer.model}" if answer.model else "")
    )
    click.echo("\n" + "; ".join(notes))


def print_brief_stream(
    stream: Iterable[str | EvidenceShown | Brief], *, as_json: bool, live: bool
) -> Brief:
    """Print a brief's verified text as it arrives (when `live`), then the whole Markdown page
    (or the JSON)."""
    final: Brief | None = None
    for item in stream:
        if isinstance(item, Brief):
            final = item
        elif isinstance(item, str) and live:
            click.echo(item, nl=False)
    if final is None:
        raise RuntimeError("the brief stream ended without a Brief")
    if as_json:
        click.echo(json.dumps(final.to_dict(), indent=2, ensure_ascii=False))
    else:
        if live:
            click.echo("\n\n(verified brief)\n")
        click.echo(final.markdown())
        t = final.timings
        click.echo(f"total {t.get('total', 0):.1f} s" + (f", {final.model}" if final.model else ""))
    return final
