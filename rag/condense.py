"""Multi-turn: turn a follow-up into a standalone question for retrieval.

"And Japan?" retrieves nothing useful on its own. With a fast model we ask it to rewrite the
follow-up (prompt `prompts/condense.md`); on the local CPU model that costs a few seconds, so
`REE_CONDENSE=auto` uses the cheap rule instead: a follow-up that looks dependent (short, or starts
with a pronoun or a connective) is prefixed with the previous user question. History is cut to the
last few turns either way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser

from rag.prompting import condense_prompt

MAX_TURNS = 3
_DEPENDENT = re.compile(
    r"^(and|but|what about|how about|also|then|so|why|how|it|its|they|their|them|this|that|these|"
    r"those|he|she|there|same|compare|versus|vs)\b",
    re.I,
)

Turn = tuple[str, str]  # (role, text) with role "user" | "assistant"


def normalize_history(history: Sequence | None) -> list[Turn]:
    """Accept [(role, text)], [{"role":..,"content":..}] or [(user, assistant)] pairs."""
    out: list[Turn] = []
    for item in history or []:
        if isinstance(item, dict):
            role, content = str(item.get("role", "user")), item.get("content", "")
            if isinstance(content, list):  # gradio multimodal content
                content = " ".join(
                    str(c.get("text", c)) if isinstance(c, dict) else str(c) for c in content
                )
            out.append(("assistant" if role == "assistant" else "user", str(content)))
        elif isinstance(item, list | tuple) and len(item) == 2:
            a, b = item
            if a in ("user", "assistant", "human", "ai"):
                out.append(("assistant" if a in ("assistant", "ai") else "user", str(b)))
            else:
                out.extend([("user", str(a)), ("assistant", str(b or ""))])
    return out[-2 * MAX_TURNS :]


def looks_dependent(question: str) -> bool:
    words = question.split()
    return len(words) <= 4 or bool(_DEPENDENT.match(question.strip()))


def condense_by_rules(question: str, history: list[Turn]) -> str:
    previous = [text for role, text in history if role == "user"]
    if not previous or not looks_dependent(question):
        return question
    return f"{previous[-1].rstrip(' ?')} - follow-up: {question}"


def condense_with_llm(question: str, history: list[Turn], model: BaseChatModel, folder) -> str:
    convo = "\n".join(
        f"{'User' if role == 'user' else 'Assistant'}: {text[:400]}" for role, text in history
    )
    chain = condense_prompt(folder) | model.bind(max_tokens=60) | StrOutputParser()
    out = chain.invoke({"history": convo, "question": question}).strip().splitlines()
    candidate = out[0].strip() if out else ""
    return candidate if 3 <= len(candidate) <= 300 else condense_by_rules(question, history)


def condense(
    question: str, history: Sequence | None, *, model: BaseChatModel | None, how: str, folder
) -> str:
    """The standalone question used for retrieval (the original when there is no history)."""
    turns = normalize_history(history)
    if not turns:
        return question
    use_llm = how == "llm" or (
        how == "auto" and model is not None and model._llm_type != "llama-cpp"
    )
    if use_llm and model is not None and looks_dependent(question):
        return condense_with_llm(question, turns, model, folder)
    return condense_by_rules(question, turns)
