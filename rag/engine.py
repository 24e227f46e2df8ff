"""The answer engine: condense -> retrieve -> evidence -> prompt | model | parser -> verify.

The small local model miscites, drops citations and invents figures, so nothing it writes reaches
the user unverified: while it streams, each completed sentence is checked against the passages it
cites (`rag.verify`) and only verified text is emitted; the final `Answer` carries every claim's
verdict. Before the model writes anything, `stream` yields the top evidence quotes
(`EvidenceShown`) so the user reads the sources while the model reads them too.

When retrieval finds nothing relevant the engine refuses without calling the model. When
verification leaves nothing of the first draft, the model gets one second chance: the same
system prompt (still in llama.cpp's KV cache) with only the passages that can answer (they meet
the question's constraints, and hold a figure if it asks for one) and a request to answer in
their words, without the failed draft (which the model would repeat); if that fails too, the
best-supported evidence sentence is quoted ("The documents say: ..."). Only when no quote
answers the question (its dates, figures and names are nowhere in the evidence) does the engine
refuse, listing the closest sources. `Answer.outcome` says which path the text took.

The steps are langchain-core runnables (`Engine.chain`), so the whole pipeline can be invoked,
batched or inspected like any LCEL chain; `stream()` drives the same runnables step by step to
interleave generation and verification.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import AIMessagePromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from rag.brief import write_brief
from rag.claims import without_cut_tail
from rag.condense import condense
from rag.evidence import Passage, build_evidence, document_context, render_sources
from rag.fallback import best_quote
from rag.filters import Filters
from rag.insights import (
    Numbering,
    SectionTidy,
    bullet_beyond,
    load_lenses,
    renumber,
    subject_of,
    with_core,
)
from rag.modes import CHOICES, resolve_mode
from rag.parts import adds_to_question, answers_part, asks_yes_no, unanswered_parts, with_part
from rag.prompting import (
    answer_prompt,
    missing_part_prompt,
    quote_text,
    refusal_text,
    second_chance_prompt,
    section_prompt,
)
from rag.quarantine import quarantine_note, screen
from rag.question import answers_kind, names_in, question_constraints, unmet_constraint
from rag.retriever import Hit, HybridRetriever, RetrievalResult
from rag.support import content_words
from rag.types import Answer, Brief, Citation, ClaimRecord, EvidenceShown, RetrievedPassage
from rag.verify import KEPT, ClaimVerdict, Verification, verify_answer
from ree.index import Index, open_index
from ree.runtime import get_embedder
from ree.runtime.chat import LLMUnavailable, explain_llm_error, get_chat_model
from ree.runtime.memo import EmbeddingMemo
from ree.settings import Settings, get_settings
from ree.text import count_tokens, split_sentences

#: A second draft is written from at most this many passages (those that can answer).
SECOND_CHANCE_PASSAGES = 2
#: Passages x questions whose documents' mentioned names `Engine._named_in_documents` keeps.
NAMED_CACHE = 512


def _model_name(model: Any) -> str:
    return str(
        getattr(model, "model_name", None) or getattr(model, "model", "") or type(model).__name__
    )


class Engine:
    """Holds the index, embedder, retriever and chat model for one configuration."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        index: Index | None = None,
        embedder: Any = None,
        model: Any = None,
        collection: str | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.index = index or open_index(collection, self.settings)
        self.embedder = embedder or get_embedder()
        self.embed = EmbeddingMemo(self.embedder)  # shared by evidence, verification and eval
        self._named: dict[tuple[str, tuple[str, ...]], str] = {}
        self._model = model
        self.retriever = HybridRetriever.from_settings(self.index, self.embedder, self.settings)
        self.refusal = refusal_text(self.settings.prompts_path)

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = get_chat_model(self.settings)
        return self._model

    @property
    def model_label(self) -> str:
        """The chat model's name, without loading it."""
        if self._model is not None:
            return _model_name(self._model)
        s = self.settings
        return s.llm_model if s.llm == "openai" else s.local_model

    # --- runnables -------------------------------------------------------------------------
    def generation(self) -> Runnable:
        """prompt | model | parser of a brief answer: {"sources", "question"} -> answer text."""
        return answer_prompt(self.settings.prompts_path) | self.model | StrOutputParser()

    def section_generation(self, given_heading: bool = False) -> Runnable:
        """One In-Depth Insights section: {"sources", "question", "focus"} -> message chunks;
        with `given_heading`, {"heading"} too: the section's "### " line is the answer's given
        opening and the model writes the bullets after it.

        No output parser after the model: a reader that stops at the bullet limit closes the
        stream, and langchain-core's streaming step of a parser then reads its input (the
        model's stream) to the end for tracing, so the model would write on unseen."""
        prompt = section_prompt(self.settings.prompts_path, "insight_section", "insight_question")
        if given_heading:
            prompt = prompt + AIMessagePromptTemplate.from_template("{heading}")
        # a second heading starts another section: nothing after it belongs to this one
        return prompt | self._capped(self.settings.section_tokens, stop=["\n#"])

    def part_generation(self, name: str) -> Runnable:
        """One part of a document brief (`prompts/<name>.md`): {"sources", "question"} -> text."""
        prompt = section_prompt(self.settings.prompts_path, name, "question")
        return prompt | self._capped(self.settings.section_tokens) | StrOutputParser()

    def brief(self, source: str) -> Brief:
        """A brief of one indexed document: News Summary, Background, In-Depth Insights."""
        result = None
        for item in self.stream_brief(source):
            if isinstance(item, Brief):
                result = item
        assert result is not None
        return result

    def stream_brief(self, source: str) -> Iterator[str | EvidenceShown | Brief]:
        """Like `brief`, yielding each part's evidence and verified text as it is written."""
        yield from write_brief(self, source, _Clock())

    def _capped(self, max_tokens: int, stop: list[str] | None = None) -> Any:
        """The chat model with a generation cap and stop strings (models that take no per-call
        options as is)."""
        options: dict[str, Any] = {"max_tokens": max_tokens}
        if stop:
            options["stop"] = stop
        try:
            return self.model.bind(**options)
        except (AttributeError, NotImplementedError):
            return self.model

    def part_completion(self) -> Runnable:
        """One unanswered part of a multi-part question:
        {"sources", "question", "part"} -> one sentence."""
        prompt = missing_part_prompt(self.settings.prompts_path)
        return prompt | self.model | StrOutputParser()

    def second_chance(self) -> Runnable:
        """The answer prompt narrowed to the passages that can answer, asking for their words:
        {"sources", "question"} -> answer text."""
        prompt = second_chance_prompt(self.settings.prompts_path)
        return prompt | self.model | StrOutputParser()

    @property
    def chain(self) -> Runnable:
        """The whole pipeline as one runnable: {"question", "history", "mode", "filters"} -> Answer."""
        return RunnableLambda(lambda x: self.answer(**x))

    # --- steps -----------------------------------------------------------------------------
    def _standalone(self, question: str, history: Sequence | None) -> str:
        if not history:
            return question
        model = None if self.settings.condense == "rules" else self.model
        return condense(
            question,
            history,
            model=model,
            how=self.settings.condense,
            folder=self.settings.prompts_path,
        )

    def retrieve(self, question: str, filters: Filters | dict | None = None) -> RetrievalResult:
        return self.retriever.search(question, filters=filters)

    def evidence(self, question: str, hits: list[Hit]) -> list[Passage]:
        """The numbered passages the model is shown for `question` (benchmarks and tests use
        this to build exactly the engine's prompt)."""
        return build_evidence(hits, question, self.settings.evidence_tokens, embed=self.embed)

    def verify(
        self,
        text: str,
        passages: list[Passage],
        question: str,
        *,
        bind: bool = True,
        quote_floor: float = 0.0,
        fuller: bool | None = None,
    ) -> Verification:
        """Verify `text` against `passages`; `bind=False` keeps the question as the claims'
        frame but does not hold them to its dates and names (an insight may draw on background
        from other years); `quote_floor` > 0 lets a removed claim's closest passage sentence
        stand in for it (`rag.verify.verify_answer`). A kept sentence is shown as its fuller
        source sentence when that adds the names or figures it left out (REE_FULLER_SENTENCES):
        by default only when bound (brief answers); `fuller=True` asks for it unbound too
        (insight bullets), `fuller=False` turns it off."""
        return verify_answer(
            text,
            {p.n: p.as_seen for p in passages},
            question=question,
            bind_constraints=bind,
            document_context={p.n: document_context(p.hit) for p in passages},
            embed=self.embed,
            policy=self.settings.unsupported,
            documents={p.n: p.hit.chunk.doc_id for p in passages},
            quote_floor=quote_floor,
            fuller=(bind if fuller is None else fuller) and self.settings.fuller_sentences,
            named=self._named_in_documents(question, passages) if bind else None,
        )

    def _verify_bullets(self, draft: str, passages: list[Passage], question: str) -> Verification:
        """Verify an In-Depth Insights section: unbound (an insight may draw on other years),
        a removed sentence's closest source sentence standing in for it, a shortened one shown
        as its fuller source sentence."""
        return self.verify(
            draft,
            passages,
            question,
            bind=False,
            quote_floor=self.settings.insight_quote_floor,
            fuller=True,
        )

    def _named_in_documents(self, question: str, passages: list[Passage]) -> dict[int, str]:
        """For each passage, the question's subject names its whole document mentions (the
        binding check reads a document, not only its title); cached per passage chunk and
        question, since every finished sentence of a streaming draft is verified again (a chunk's
        id changes with its text, so a re-ingested edit is read afresh)."""
        constraints = question_constraints(question)
        if not constraints.names:
            return {}
        out = {}
        for p in passages:
            key = (p.hit.chunk.id, constraints.names)
            if key not in self._named:
                chunks = self.index.document_chunks(p.hit.chunk.doc_id)
                if len(self._named) > NAMED_CACHE:
                    self._named.clear()
                self._named[key] = names_in(constraints, "\n".join(c.text for c in chunks))
            out[p.n] = self._named[key]
        return out

    # --- public API --------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        *,
        history: Sequence | None = None,
        mode: str = "brief",
        filters: Filters | dict | None = None,
    ) -> Answer:
        result: Answer | None = None
        for item in self.stream(question, history=history, mode=mode, filters=filters):
            if isinstance(item, Answer):
                result = item
        assert result is not None
        return result

    def stream(
        self,
        question: str,
        *,
        history: Sequence | None = None,
        mode: str = "brief",
        filters: Filters | dict | None = None,
    ) -> Iterator[str | EvidenceShown | Answer]:
        """Yield the evidence quotes (`EvidenceShown`), then verified text deltas as the model
        writes, then the final `Answer` (whose text replaces whatever was streamed).

        `mode` is "brief", "insights" or "auto" (insights for questions asking for implications,
        outlook, impact or risks; `Answer.mode` and `Answer.mode_reason` say which was used)."""
        question = _checked(question, mode)
        clock = _Clock()
        standalone = self._standalone(question, history)
        clock.since_start("condense")
        mode, why = resolve_mode(mode, standalone)
        retrieved = self.retrieve(standalone, filters)
        clock.timings["retrieval"] = retrieved.timings.get("total", 0.0)
        ans = Answer(
            question=question,
            text="",
            mode=mode,
            mode_reason=why,
            standalone_question=standalone,
            relevance=round(retrieved.relevance, 4),
            retrieved=[_retrieved(h) for h in retrieved.hits],
        )
        why_not = self._irrelevant(retrieved)
        if why_not:
            yield self._refuse(ans, why_not, retrieved, clock)
            return
        if mode == "insights":
            yield from self.insight_sections(ans, retrieved, filters, clock)
        else:
            yield from self._brief(ans, retrieved, clock)

    def _brief(
        self, ans: Answer, retrieved: RetrievalResult, clock: _Clock
    ) -> Iterator[str | EvidenceShown | Answer]:
        """A brief answer: one draft, a second chance, the quoted fallback, or a refusal."""
        question = ans.standalone_question
        hits, ans.quarantined = screen(retrieved.hits)
        passages = self.evidence(question, hits)
        if not passages:
            yield self._refuse(ans, "every retrieved passage was quarantined", retrieved, clock)
            return
        yield EvidenceShown([self.citation(p, p.best) for p in passages], ans.quarantined)
        clock.since_start("evidence")

        sources = render_sources(passages)
        inputs = {"sources": sources, "question": question}

        def shown_text(draft: str) -> str:
            return self.verify(draft, passages, question).text

        draft, shown = yield from self.generate_verified(
            self.generation(), inputs, shown_text, clock, "generation", passages=passages
        )
        with clock.timed("verification"):
            verification = self.verify(draft, passages, question)
        ans.drafts = [draft]
        declined = self._declined(draft)
        answered = _answers(verification, question)
        focus = [] if declined or answered else self._can_answer(question, passages)
        if focus:
            second, shown = yield from self.generate_verified(
                self.second_chance(),
                {"sources": render_sources(focus), "question": question},
                shown_text,
                clock,
                "second",
                passages=focus,
            )
            ans.drafts.append(second)
            retry = self.verify(second, passages, question)
            if _answers(retry, question):
                draft, verification, ans.outcome = second, retry, "second-chance"
        elif _answers(verification, question):
            verification, shown = yield from self._complete_parts(
                ans, verification, shown, passages, clock
            )
        final = verification.text.strip()
        if final.startswith(shown) and len(final) > len(shown):
            yield final[len(shown) :]
        self._record(ans, draft, sources, passages, verification)
        if _answers(verification, question):
            ans.text = final
            ans.citations = self.citations_for(final, passages, verification.claims)
        elif not declined and (quote := best_quote(question, passages, self.embed)):
            ans.outcome = "quoted"
            ans.text = quote_text(self.settings.prompts_path, quote.text, quote.n)
            ans.citations = [self.citation(p, quote.text) for p in passages if p.n == quote.n]
        else:
            yield self._refuse(ans, self._unverified(draft, verification), retrieved, clock)
            return
        ans.sources = list(ans.citations)
        ans.text = _with_notes(ans.text, ans)
        ans.timings = clock.done()
        yield ans

    def insight_sections(
        self,
        ans: Answer,
        retrieved: RetrievalResult,
        filters: Filters | dict | None,
        clock: _Clock,
        subject: str = "",
        numbering: Numbering | None = None,
        said: Sequence[str] = (),
        given_headings: bool = False,
    ) -> Iterator[str | EvidenceShown | Answer]:
        """In-Depth Insights: one section per lens, each with its own retrieval, evidence,
        generation and verification (`rag.insights`); sections stream one after another.
        `numbering` continues the source numbers of a larger piece (a document brief), whose
        sentences `said` so far no bullet may repeat. `given_headings`: each section's heading
        is its lens question about `subject` and the model writes only the bullets (a document
        brief, whose subject is the document's title)."""
        question = ans.standalone_question
        subject = subject or subject_of(question)
        numbering = numbering if numbering is not None else Numbering()
        shown_chunks: set[str] = set()
        earlier = [frozenset(content_words(sentence)) for sentence in said]
        headings: list[frozenset[str]] = []
        sections: list[str] = []
        verdicts: list[ClaimVerdict] = []
        shown_all = ""
        for i, lens in enumerate(load_lenses(self.settings.lenses_path)):
            query = f"{question} {lens.search}"
            hits = retrieved.hits if i == 0 else self.retrieve(query, filters).hits
            fresh = [h for h in hits if h.chunk.id not in shown_chunks] or hits[:1]
            if i > 0:
                fresh = with_core(fresh, retrieved.hits, self.settings.insight_reused_passages)
            fresh, quarantined = screen(fresh)
            ans.quarantined += quarantined
            local = build_evidence(
                fresh, f"{question} {lens.focus}", self.settings.insight_evidence_tokens, self.embed
            )
            if not local:
                continue
            mapping = numbering.add(local)
            shown_chunks.update(p.hit.chunk.id for p in local)
            yield EvidenceShown(
                [self.citation(numbering.passages[mapping[p.n]], p.best) for p in local],
                quarantined,
            )
            clock.since_start("evidence", once=True)
            tidy = SectionTidy(lens, subject, question, list(earlier), list(headings))

            def shown_text(draft: str, local=local, mapping=mapping, tidy=tidy) -> str:
                return renumber(tidy(self._verify_bullets(draft, local, question).text), mapping)

            prefix = "\n\n" if shown_all else ""
            inputs = {
                "sources": render_sources(local),
                "question": question,
                "focus": lens.focus,
            }
            opening = ""
            if given_headings:
                opening = f"### {lens.question.format(subject=subject)}\n"
                inputs["heading"] = opening
            draft, shown = yield from self.generate_verified(
                self.section_generation(given_headings),
                inputs,
                shown_text,
                clock,
                f"section {i + 1}",
                prefix=prefix,
                passages=local,
                enough=partial(bullet_beyond, limit=self.settings.section_bullets),
                opening=opening,
            )
            verification = self._verify_bullets(draft, local, question)
            section = renumber(tidy(verification.text), mapping)
            if section.startswith(shown) and len(section) > len(shown):
                yield section[len(shown) :] if shown else prefix + section
            ans.drafts.append(draft)
            verdicts += [c.renumbered(mapping) for c in verification.claims]
            if section:
                sections.append(section)
                earlier += tidy.words_of(section)
                headings.append(tidy.heading_words(section))
                shown_all += prefix + section
        passages = list(numbering.passages.values())
        text = "\n\n".join(sections)
        self._record(ans, "\n\n".join(ans.drafts), render_sources(passages), passages, verdicts)
        if not sections:
            yield self._refuse(ans, self._unverified(ans.draft, verdicts), retrieved, clock)
            return
        ans.text = _with_notes(text, ans)
        ans.citations = self.citations_for(text, passages, verdicts)
        ans.sources = list(ans.citations)
        ans.timings = clock.done()
        yield ans

    # --- steps of `stream` -----------------------------------------------------------------
    def _irrelevant(self, retrieved: RetrievalResult) -> str:
        """Why retrieval alone already refuses (empty index, nothing relevant), or ""."""
        if retrieved.hits and retrieved.relevance >= self.settings.min_relevance:
            return ""
        if self.index.count() == 0 and not retrieved.hits:
            return "the index is empty"
        return (
            "no passage in the indexed documents is relevant enough "
            f"(best relevance {retrieved.relevance:.2f} < REE_MIN_RELEVANCE "
            f"{self.settings.min_relevance:.2f})"
        )

    def _complete_parts(
        self,
        ans: Answer,
        verification: Verification,
        shown: str,
        passages: list[Passage],
        clock: _Clock,
    ) -> Generator[str, None, tuple[Verification, str]]:
        """A verified answer that leaves a part of the question unanswered ("who signed" without
        "where") gets the one extra generation: the first unanswered part, asked of the passages
        that can answer it (not the answer so far: the small model copied it instead of answering
        the part). Its new cited sentences are appended as they are verified. Returns (the
        verification of the whole answer, the text shown)."""
        question = ans.standalone_question
        missing = unanswered_parts(question, verification.text)
        focus = self._can_answer(question, passages, missing[0]) if missing else []
        if not focus or not answers_part(question, missing[0], focus[0].text):
            return verification, shown  # no passage holds what the part asks for
        base = verification.text.strip()
        if base.startswith(shown) and len(base) > len(shown):
            yield base[len(shown) :]
        inputs = {"sources": render_sources(focus), "question": question, "part": missing[0]}

        def added(draft: str) -> str:
            whole = with_part(verification, self.verify(draft, passages, question), question).text
            return whole.strip()[len(base) :]

        more, more_shown = yield from self.generate_verified(
            self.part_completion(), inputs, added, clock, "part", passages=focus
        )
        ans.drafts.append(more)
        whole = with_part(verification, self.verify(more, passages, question), question)
        if missing[0] in unanswered_parts(question, whole.text):
            whole = self._quoted_part(whole, question, missing[0], passages)
        return whole, base + more_shown

    def _quoted_part(
        self, answer: Verification, question: str, part: str, passages: list[Passage]
    ) -> Verification:
        """`answer` with the evidence unit that answers `part`, quoted, when the model's own
        sentence for the part did not verify: the quoted fallback, for one part (no further
        generation). The small model's part drafts sometimes copy the prompt's worked example
        ("The company's Mt Weld mine ...") while the table row it was shown holds the cell."""
        quote = best_quote(
            question, passages, self.embed, accept=partial(answers_part, question, part)
        )
        if quote is None:
            return answer
        sentence = quote_text(self.settings.prompts_path, quote.text, quote.n)
        return with_part(answer, self.verify(sentence, passages, question), question)

    def _can_answer(self, question: str, passages: list[Passage], part: str = "") -> list[Passage]:
        """The passages a second draft is written from: those matching every kind of constraint
        the question fixes (a question about 2025 figures, asked of documents that stop at 2024,
        gets none and is refused at once), those holding what the question word asks for (a
        figure for "how much") first, at most `SECOND_CHANCE_PASSAGES`. With `part`, the
        passages that answer that part come first."""
        constraints = question_constraints(question)
        fitting = [
            p
            for p in passages
            if not unmet_constraint(constraints, p.as_seen, document_context(p.hit))
        ]
        fitting.sort(key=lambda p: not answers_kind(question, p.text))  # stable: rank kept
        if part:
            fitting.sort(key=lambda p: not answers_part(question, part, p.text))
        return fitting[:SECOND_CHANCE_PASSAGES]

    def generate_verified(
        self,
        runnable: Runnable,
        inputs: dict[str, str],
        shown_text: Callable[[str], str],
        clock: _Clock,
        step: str,
        prefix: str = "",
        passages: Sequence[Passage] = (),
        enough: Callable[[str], int | None] | None = None,
        opening: str = "",
    ) -> Generator[str, None, tuple[str, str]]:
        """Stream one draft, yielding each newly verified piece of text.

        Only text that verification keeps is ever shown: each finished sentence or line is
        passed through `shown_text` (verify, and tidy) before it is yielded; `prefix` goes
        before the first piece (the blank line between two sections). `enough(draft)` gives
        where the draft has said enough (a section's bullet beyond the limit starts there):
        the generation stops and the draft ends at that point. Returns (the whole draft, with a
        last sentence the generation cap cut off completed from the `passages` it copies or
        dropped, the text shown so far, without the prefix). `opening` is the draft's given
        start, which the prompt ends with (`section_generation(given_heading=True)`)."""
        written = ""
        draft = opening
        shown = ""
        stream = runnable.stream(inputs)
        try:
            with clock.timed(step):
                for chunk in stream:
                    clock.since_start("ttft", once=True)
                    written += chunk if isinstance(chunk, str) else str(chunk.content)
                    draft = opening + _after_opening(opening, written)
                    if enough is not None and (end := enough(draft)) is not None:
                        draft = draft[:end].rstrip()
                        break  # closing the stream stops the model
                    complete = self._complete_part(draft)
                    if len(complete) <= len(shown):
                        continue
                    verified = shown_text(complete)
                    if verified.startswith(shown) and len(verified) > len(shown):
                        yield (prefix if not shown else "") + verified[len(shown) :]
                        shown = verified
        except LLMUnavailable:
            raise
        except Exception as exc:
            raise LLMUnavailable(explain_llm_error(exc, self.settings)) from exc
        finally:
            if close := getattr(stream, "close", None):
                close()
        return without_cut_tail(draft, [p.as_seen for p in passages]), shown

    def _record(
        self,
        ans: Answer,
        draft: str,
        sources: str,
        passages: list[Passage],
        verification: Verification | list[ClaimVerdict],
    ) -> None:
        """Copy what the model saw and wrote, and every claim's verdict, onto the answer."""
        claims = verification if isinstance(verification, list) else verification.claims
        ans.draft = draft
        ans.evidence = {p.n: p.as_seen for p in passages}
        ans.evidence_context = {p.n: document_context(p.hit) for p in passages}
        ans.model = _model_name(self.model)
        ans.tokens = {
            "prompt": count_tokens(sources) + count_tokens(ans.standalone_question),
            "completion": count_tokens(draft),
        }
        ans.removed = sum(c.status == "removed" for c in claims)
        ans.repaired = sum(c.status == "repaired" for c in claims)
        ans.invalid_markers = getattr(verification, "invalid_markers", 0)
        ans.claims = [ClaimRecord(c.text, list(c.citations), c.status, c.reason) for c in claims]

    def _declined(self, draft: str) -> bool:
        """The model itself answered that the passages do not answer: no second chance and no
        quote then (the second chance turned "Did China reinstate its controls in November
        2026?" into "The one-year suspension makes late 2026 a natural review date")."""
        return draft.strip().lower().startswith(self.refusal.lower().rstrip("."))

    def _unverified(self, draft: str, verification: Verification | list[ClaimVerdict]) -> str:
        """Why the drafts cannot be the answer (the model declined, nothing verified, or what
        was verified does not give the figure or date asked for)."""
        claims = verification if isinstance(verification, list) else verification.claims
        if self.refusal.lower().rstrip(".") in draft.lower():
            return "the model found no answer in the retrieved passages"
        if any(c.status in KEPT for c in claims):
            return "the verified sentences do not give the figure or date the question asks for"
        return "no sentence of the draft answer could be verified against the retrieved passages"

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _complete_part(draft: str) -> str:
        """The draft up to its last finished sentence or line (the rest may still grow)."""
        cut = draft.rfind("\n")
        body = draft[cut + 1 :]
        sentences = split_sentences(body)
        if len(sentences) > 1:
            last = body.rfind(sentences[-1])
            return draft[: cut + 1 + last].rstrip() if last > 0 else draft[: cut + 1].rstrip()
        return draft[: cut + 1].rstrip() if cut >= 0 else ""

    def citations_for(
        self, text: str, passages: list[Passage], claims: Sequence[ClaimVerdict]
    ) -> list[Citation]:
        """The citations of verified `text`, in order of first mention, each quoting the passage
        sentences its kept claims rest on."""
        from rag.claims import parse_markers

        order: list[int] = []
        for n in parse_markers(text):
            if n not in order:
                order.append(n)
        quotes: dict[int, list[str]] = {}
        for claim in claims:
            if claim.status in KEPT:
                for n, quote in claim.evidence.items():
                    if quote and quote not in quotes.setdefault(n, []):
                        quotes[n].append(quote)
        by_n = {p.n: p for p in passages}
        out = []
        for n in order:
            if n in by_n:
                out.append(self.citation(by_n[n], " ... ".join(quotes.get(n, [])[:2])))
        return out

    @staticmethod
    def citation(p: Passage, quote: str = "") -> Citation:
        """One passage as a `Citation` (title, source, page, date, URL), quoting `quote`."""
        meta = p.hit.metadata
        return Citation(
            n=p.n,
            chunk_id=p.hit.chunk.id,
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            page=int(meta.get("page") or 0) or None,
            date=str(meta.get("published", "")),
            url=str(meta.get("url", "")),
            quote=quote,
            relevance=round(p.hit.cosine, 4),
        )

    def _refuse(
        self, ans: Answer, reason: str, retrieved: RetrievalResult, clock: _Clock
    ) -> Answer:
        ans.refused = True
        ans.outcome = "refused"
        ans.refusal_reason = reason
        ans.text = _with_notes(self.refusal, ans)
        closest = build_evidence(retrieved.hits[:3], ans.standalone_question, 300)
        ans.sources = [self.citation(p) for p in closest]
        ans.citations = []
        ans.timings = clock.done()
        if not ans.model and self._model is not None:
            ans.model = _model_name(self._model)
        return ans


def _after_opening(opening: str, written: str) -> str:
    """What the model wrote after a given `opening`, without a heading of its own: a provider
    that answers anew instead of continuing the opening (a server without assistant prefill, a
    model file without a chat template) writes one first."""
    if opening and written.lstrip().startswith("#"):
        _heading, newline, rest = written.lstrip().partition("\n")
        return rest.lstrip("\n") if newline else ""
    return written


def _checked(question: str, mode: str) -> str:
    """The question stripped; a clear ValueError for an empty one or an unknown mode."""
    question = (question or "").strip()
    if not question:
        raise ValueError("the question is empty")
    if mode not in CHOICES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(CHOICES)}")
    return question


def _answers(verification: Verification, question: str) -> bool:
    """Whether a brief answer's verified text answers: some factual sentence survived that says
    more than the question (unless it asks yes or no), and the text holds what the question
    word asks for (a figure for "how much", a date for "when")."""
    kept = any(
        c.status in KEPT and (asks_yes_no(question) or adds_to_question(c.text, question))
        for c in verification.claims
    )
    return kept and answers_kind(question, verification.text)


def _with_notes(text: str, ans: Answer) -> str:
    """The answer text with the quarantine note, if a document was withheld."""
    note = quarantine_note(ans.quarantined)
    return f"{text}\n\n{note}" if note else text


def _retrieved(hit: Hit) -> RetrievedPassage:
    meta = hit.metadata
    return RetrievedPassage(
        chunk_id=hit.chunk.id,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        page=int(meta.get("page") or 0) or None,
        score=round(float(hit.score), 6),
        cosine=round(float(hit.cosine), 4),
    )


class _Clock:
    """Named timings of one answer in seconds: since the start, or of one timed step."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}

    def since_start(self, name: str, *, once: bool = False) -> None:
        if not (once and name in self.timings):
            self.timings[name] = time.perf_counter() - self.start

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - began

    def done(self) -> dict[str, float]:
        self.since_start("total")
        return {k: round(v, 3) for k, v in self.timings.items()}


_ENGINES: dict[tuple, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(settings: Settings | None = None, collection: str | None = None) -> Engine:
    """The shared engine for the current settings (built once: models load slowly)."""
    settings = settings or get_settings()
    key = (settings.model_dump_json(), collection)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = Engine(settings, collection=collection)
        return _ENGINES[key]
