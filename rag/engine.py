"""The answer engine: condense -> retrieve -> evidence -> prompt | model | parser -> verify.

The small local model miscites, drops citations and invents figures, so nothing it writes reaches
the user unverified: while it streams, each completed sentence is checked against the passages it
cites (`rag.verify`) and only verified text is emitted; the final `Answer` carries every claim's
verdict. When retrieval finds nothing relevant the engine refuses without calling the model, and
when verification leaves nothing it refuses too, listing the closest sources.

The steps are langchain-core runnables (`Engine.chain`), so the whole pipeline can be invoked,
batched or inspected like any LCEL chain; `stream()` drives the same runnables step by step to
interleave generation and verification.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda

from rag.answer import Answer, Citation, ClaimRecord
from rag.claims import split_sentences
from rag.condense import condense
from rag.evidence import Passage, build_evidence, render_sources
from rag.filters import Filters
from rag.prompting import MODES, answer_prompt, refusal_text
from rag.retriever import Hit, HybridRetriever, RetrievalResult
from rag.verify import Verification, verify_answer
from ree.index import Index, open_index
from ree.runtime import count_tokens, get_embedder
from ree.runtime.chat import LLMUnavailable, explain_llm_error, get_chat_model
from ree.settings import Settings, get_settings


class _CachedEmbed:
    """Embedding with a per-answer memo: streaming verification re-checks earlier sentences."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.memo: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            for t, v in zip(todo, self.embedder.embed(todo)):
                self.memo[t] = v
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.memo[t] for t in texts])


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
        self._model = model
        self.retriever = HybridRetriever.from_settings(self.index, self.embedder, self.settings)
        self.refusal = refusal_text(self.settings.prompts_path)

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = get_chat_model(self.settings)
        return self._model

    # --- runnables -------------------------------------------------------------------------
    def generation(self, mode: str) -> Runnable:
        """prompt | model | parser for one mode."""
        return answer_prompt(self.settings.prompts_path, mode) | self.model | StrOutputParser()

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

    def evidence(
        self, question: str, hits: list[Hit], embed: _CachedEmbed | None = None
    ) -> list[Passage]:
        """The numbered passages the model is shown for `question` (benchmarks and tests use
        this to build exactly the engine's prompt)."""
        embed = embed or _CachedEmbed(self.embedder)
        return build_evidence(hits, question, self.settings.evidence_tokens, embed=embed)

    def _verify(self, text: str, passages: list[Passage], embed: _CachedEmbed) -> Verification:
        return verify_answer(
            text,
            {p.n: p.as_seen for p in passages},
            embed=embed,
            policy=self.settings.unsupported,
            documents={p.n: p.hit.chunk.doc_id for p in passages},
        )

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
    ) -> Iterator[str | Answer]:
        """Yield verified text deltas as the model writes, then the final `Answer`."""
        question = (question or "").strip()
        if not question:
            raise ValueError("the question is empty")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        standalone = self._standalone(question, history)
        timings["condense"] = time.perf_counter() - t0
        retrieved = self.retrieve(standalone, filters)
        timings["retrieval"] = retrieved.timings.get("total", 0.0)
        ans = Answer(
            question=question,
            text="",
            mode=mode,
            standalone_question=standalone,
            relevance=round(retrieved.relevance, 4),
        )

        if not retrieved.hits or retrieved.relevance < self.settings.min_relevance:
            why = (
                "the index is empty"
                if self.index.count() == 0 and not retrieved.hits
                else "no passage in the indexed documents is relevant enough "
                f"(best relevance {retrieved.relevance:.2f} < REE_MIN_RELEVANCE "
                f"{self.settings.min_relevance:.2f})"
            )
            yield self._refuse(ans, why, retrieved, t0, timings)
            return

        embed = _CachedEmbed(self.embedder)
        passages = self.evidence(standalone, retrieved.hits, embed)
        sources = render_sources(passages)
        inputs = {"sources": sources, "question": standalone}
        draft = ""
        shown = ""
        t_gen = time.perf_counter()
        try:
            for delta in self.generation(mode).stream(inputs):
                if "ttft" not in timings:
                    timings["ttft"] = time.perf_counter() - t0
                draft += delta
                complete = self._complete_part(draft)
                if len(complete) <= len(shown):
                    continue
                verified = self._verify(complete, passages, embed).text
                if verified.startswith(shown) and len(verified) > len(shown):
                    yield verified[len(shown) :]
                    shown = verified
        except LLMUnavailable:
            raise
        except Exception as exc:
            raise LLMUnavailable(explain_llm_error(exc, self.settings)) from exc
        timings["generation"] = time.perf_counter() - t_gen
        t_ver = time.perf_counter()
        verification = self._verify(draft, passages, embed)
        timings["verification"] = time.perf_counter() - t_ver
        final = verification.text.strip()
        if final.startswith(shown) and len(final) > len(shown):
            yield final[len(shown) :]

        ans.draft = draft
        ans.evidence = {p.n: p.as_seen for p in passages}
        ans.model = _model_name(self.model)
        ans.tokens = {
            "prompt": count_tokens(sources) + count_tokens(standalone),
            "completion": count_tokens(draft),
        }
        ans.removed, ans.repaired = verification.removed, verification.repaired
        ans.invalid_markers = verification.invalid_markers
        ans.claims = [
            ClaimRecord(c.text, list(c.citations), c.status, c.reason) for c in verification.claims
        ]
        verified_claims = [c for c in verification.claims if c.status in ("verified", "repaired")]
        if self.refusal.lower().rstrip(".") in draft.lower() and not verified_claims:
            yield self._refuse(
                ans, "the model found no answer in the retrieved passages", retrieved, t0, timings
            )
            return
        if not verified_claims:
            yield self._refuse(
                ans,
                "no sentence of the draft answer could be verified against the retrieved passages",
                retrieved,
                t0,
                timings,
            )
            return
        ans.text = final
        ans.citations = self._citations(final, passages, verification)
        ans.sources = list(ans.citations)
        timings["total"] = time.perf_counter() - t0
        ans.timings = {k: round(v, 3) for k, v in timings.items()}
        yield ans

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

    def _citations(
        self, text: str, passages: list[Passage], verification: Verification
    ) -> list[Citation]:
        from rag.claims import parse_markers

        order: list[int] = []
        for n in parse_markers(text):
            if n not in order:
                order.append(n)
        quotes: dict[int, list[str]] = {}
        for claim in verification.claims:
            if claim.status in ("verified", "repaired"):
                for n, quote in claim.evidence.items():
                    if quote and quote not in quotes.setdefault(n, []):
                        quotes[n].append(quote)
        by_n = {p.n: p for p in passages}
        out = []
        for n in order:
            if n in by_n:
                out.append(self._citation(by_n[n], " ... ".join(quotes.get(n, [])[:2])))
        return out

    @staticmethod
    def _citation(p: Passage, quote: str = "") -> Citation:
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
        self,
        ans: Answer,
        reason: str,
        retrieved: RetrievalResult,
        t0: float,
        timings: dict[str, float],
    ) -> Answer:
        ans.refused = True
        ans.refusal_reason = reason
        ans.text = self.refusal
        closest = build_evidence(retrieved.hits[:3], ans.standalone_question, 300)
        ans.sources = [self._citation(p) for p in closest]
        ans.citations = []
        timings["total"] = time.perf_counter() - t0
        ans.timings = {k: round(v, 3) for k, v in timings.items()}
        if not ans.model and self._model is not None:
            ans.model = _model_name(self._model)
        return ans


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


def answer(
    question: str,
    *,
    history: Sequence | None = None,
    mode: str = "brief",
    filters: Filters | dict | None = None,
) -> Answer:
    """Answer a question from the indexed documents with verified inline citations."""
    return get_engine().answer(question, history=history, mode=mode, filters=filters)


def stream(
    question: str,
    *,
    history: Sequence | None = None,
    mode: str = "brief",
    filters: Filters | dict | None = None,
) -> Iterator[str | Answer]:
    """Like `answer`, yielding verified text deltas first and the final `Answer` last."""
    return get_engine().stream(question, history=history, mode=mode, filters=filters)
