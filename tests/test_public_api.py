"""The Python API as a user calls it: `import rag`, then `rag.answer` and `rag.stream`, repeatedly.

Each check runs in a fresh interpreter, because that is where the old bug lived: the first
`rag.answer(...)` imported the engine, which imported a submodule named `rag.answer` and rebound
the name, so the second call raised "'module' object is not callable". The fast test serves the
LLM from the OpenAI-compatible stub on loopback; the slow one uses the packaged local model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_ingest_support import link_models, subprocess_env

from openai_stub import OpenAIStub

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
QUESTION = "What price floor for NdPr products did DoD commit to?"
COLLECTION = "api-test"

SCRIPT = f"""
import json, sys
import rag

question = {QUESTION!r}
first = rag.answer(question)
second = rag.answer(question)
pieces = list(rag.stream(question))
third = rag.answer(question, mode="insights")
print(json.dumps({{
    "types": [type(rag.answer).__name__, type(rag.stream).__name__],
    "answers": [a.text for a in (first, second, third)],
    "refused": [a.refused for a in (first, second, third)],
    "cited": [bool(a.citations) for a in (first, second, third)],
    "stream_text": "".join(p for p in pieces if isinstance(p, str)),
    "stream_last": type(pieces[-1]).__name__,
    "stream_final": pieces[-1].text,
}}))
"""


def _index_sample(home: Path, embedder_home: Path) -> None:
    """Index two sample briefs into `home` (the subprocess reuses the exported embedder)."""
    link_models(embedder_home, home)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest",
            str(SAMPLE / "mp-materials-dod-partnership-2025.md"),
            str(SAMPLE / "lynas-rare-earths-company-profile.md"),
            "--collection",
            COLLECTION,
            "--json",
        ],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=home,
    )
    assert done.returncode == 0, done.stderr


def _run_api(home: Path, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=subprocess_env(home, collection=COLLECTION, **env),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=home,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check(result: dict, must: str) -> None:
    assert result["types"] == ["function", "function"]
    assert result["stream_last"] == "Answer"
    assert result["answers"][0] == result["answers"][1]  # temperature 0: the same answer twice
    assert result["stream_final"] == result["answers"][0]
    assert result["stream_text"].strip() == result["stream_final"].strip()
    assert not any(result["refused"]) and all(result["cited"])
    assert must in result["answers"][0]


def test_answer_twice_stream_then_answer_again(tmp_path: Path, embedder_home: Path, embedder):
    home = tmp_path / "home"
    home.mkdir()
    _index_sample(home, embedder_home)
    with OpenAIStub() as stub:
        result = _run_api(
            home, llm="openai", llm_base_url=stub.base_url, llm_model="stub-model", condense="rules"
        )
        brief_requests = [
            r for r in stub.requests if "\nAngle: " not in r["messages"][-1]["content"]
        ]
        assert len(brief_requests) == 3  # three brief answers, one generation each
    _check(result, must="110")  # the stub quotes the best-matching sentence


@pytest.mark.slow
def test_answer_twice_with_the_local_model(llm_home: Path, embedder_home: Path, embedder):
    _index_sample(llm_home, embedder_home)
    _check(_run_api(llm_home, llm="local"), must="110")
