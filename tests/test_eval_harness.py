"""The QA eval harness end to end, fast: real index, embedder, retrieval, verification and report;
only the LLM is the deterministic `ExtractiveChatModel`.

One module-scoped run of five questions over four `data/sample` files serves the output, report and isolation
checks (ingest + answers take ~20 s on two loaded cores); the reuse and Ctrl-C tests run the same
suite again against the same eval index, so they pay no re-embedding.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_ingest_support import REPO, SAMPLE, make_settings, pipeline_embedder

from eval.compare import compare_runs, format_comparison
from eval.metrics import citation_recall
from eval.report import format_summary, write_report
from eval.runner import (
    METRIC_KEYS,
    RATE_KEYS,
    _holds_verbatim,
    corpus_collection,
    judge_statements,
    run_qa,
    score_item,
    summarize,
)
from eval.suite import QAItem, SuiteError, load_suite
from fakes import ExtractiveChatModel
from ingest import ingest_paths
from rag.support import SupportScorer
from ree.index import open_index

FILES = (
    "bayan-obo-deposit-profile.md",
    "lynas-rare-earths-company-profile.md",
    "mp-materials-dod-partnership-2025.md",
    "china-rare-earth-export-control-timeline.csv",
)
IDS = ("s001", "s003", "s014", "s026", "s055")  # fact x3, numeric, unanswerable


@pytest.fixture(scope="module")
def ready(embedder_home: Path, embedder) -> None:  # noqa: ANN001 (conftest's Embedder)
    pipeline_embedder(embedder_home)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, ready: None) -> dict[str, Any]:
    """A corpus of four sample files, a six-question suite and a home with a user collection."""
    root = tmp_path_factory.mktemp("eval-ws")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in FILES:
        shutil.copy2(SAMPLE / name, corpus / name)
    suite = root / "suite.jsonl"
    lines = (REPO / "eval" / "datasets" / "sample.jsonl").read_text(encoding="utf-8").splitlines()
    suite.write_text("\n".join(x for x in lines if json.loads(x)["id"] in IDS) + "\n")
    settings = make_settings(root / "home")
    user_doc = root / "user-notes.md"
    user_doc.write_text("# Desk notes\n\nOur desk tracks NdPr prices weekly for clients.\n")
    ingest_paths([user_doc], settings=settings, progress=False)  # the user's default collection
    return {"root": root, "corpus": corpus, "suite": suite, "settings": settings}


def run_fake(workspace: dict[str, Any], embedder, out: str, **kwargs: Any) -> Any:  # noqa: ANN001
    """`run_qa` of the workspace suite over its corpus, with the extractive fake LLM by default."""
    kwargs.setdefault("model", ExtractiveChatModel())
    return run_qa(
        workspace["suite"],
        workspace["corpus"],
        out=workspace["root"] / out,
        settings=workspace["settings"],
        embedder=embedder,
        progress=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def first_run(workspace: dict[str, Any], embedder) -> Any:  # noqa: ANN001
    user = open_index(None, workspace["settings"])
    before = (user.count(), [d.doc_id for d in user.documents()])
    return run_fake(workspace, embedder, "run1"), before


# --- outputs ------------------------------------------------------------------------------------


def test_outputs_exist_and_parse(first_run: Any) -> None:
    run, _ = first_run
    rows = [json.loads(x) for x in (run.out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == list(IDS)
    for r in rows:
        assert set(r["metrics"]) == set(METRIC_KEYS)
        assert {"question", "gold", "answer", "citations", "claims", "timings"} <= set(r)
        assert r["timings"]["total"] > 0
    summary = json.loads((run.out / "summary.json").read_text())
    assert summary == json.loads(json.dumps(run.summary))
    assert set(METRIC_KEYS) | set(RATE_KEYS) <= set(summary["overall"])
    assert set(summary["by_type"]) == {"fact", "numeric", "unanswerable"}
    assert summary["by_type"]["fact"]["n"] == 3
    meta = summary["meta"]
    assert meta["model"] == "extractive-fake" and meta["mode"] == "brief"
    assert meta["completed"] == 5 and not meta["interrupted"]
    assert meta["collection"].startswith("eval-") and "git_commit" in meta and meta["date"]
    assert meta["settings"]["REE_LLM_API_KEY"] in ("", "****")  # masked snapshot
    assert summary["latency"]["total"]["n"] == 5 and summary["latency"]["total"]["p95"] > 0
    table = format_summary(summary).splitlines()
    assert table[0].split()[:2] == ["n", "source"] and table[1].split()[:2] == ["overall", "5"]
    assert any(line.startswith("unanswerable") for line in table)


def test_metrics_are_scored_from_present_fields(first_run: Any) -> None:
    run, _ = first_run
    rows = {r["id"]: r for r in run.rows}
    # the extractive fake answers s003 with the source sentence naming the company
    s003 = rows["s003"]
    assert s003["metrics"]["must_include"] == 1.0 and s003["verdict"]["pass"]
    assert s003["metrics"]["source_recall"] == 1.0 and s003["metrics"]["source_mrr"] == 1.0
    assert s003["metrics"]["valid_marker_share"] == 1.0
    assert s003["metrics"]["draft_citation_recall"] == 1.0
    # short gold answer (fact, <= 8 words) -> EM/F1 scored; long ones not
    assert rows["s014"]["metrics"]["token_f1"] is not None
    assert rows["s001"]["metrics"]["token_f1"] is None
    # unanswerable: no gold sources or phrases -> no retrieval / must-include score
    s055 = rows["s055"]
    assert s055["metrics"]["source_recall"] is None and s055["metrics"]["must_include"] is None
    assert run.summary["by_type"]["unanswerable"]["refusal_rate"] in (0.0, 1.0)
    assert run.summary["by_type"]["unanswerable"]["false_refusal_rate"] is None


def test_html_report_is_self_contained(first_run: Any) -> None:
    run, _ = first_run
    page = (run.out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "By question type" in page and page.count("<table") >= 5
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', page)) == 2
    assert not re.search(r'(src|href)="https?://', page)  # nothing to fetch
    for qid in IDS:
        assert f'id="q-{qid}"' in page


def test_user_index_is_untouched(first_run: Any, workspace: dict[str, Any]) -> None:
    run, before = first_run
    settings = workspace["settings"]
    user = open_index(None, settings)
    assert (user.count(), [d.doc_id for d in user.documents()]) == before
    user_files = {p.name for p in settings.index_dir.glob("*.sqlite")}
    assert user_files == {"ree.sqlite"}  # no eval collection beside the user's
    eval_index = settings.eval_dir / "index" / f"{run.summary['meta']['collection']}.sqlite"
    assert eval_index.is_file()
    assert run.ingest.chunks_added > 0


def test_second_run_reuses_the_eval_index(
    first_run: Any, workspace: dict[str, Any], embedder
) -> None:  # noqa: ANN001
    run1, _ = first_run
    run2 = run_fake(workspace, embedder, "run2", limit=1)
    assert run2.summary["meta"]["collection"] == run1.summary["meta"]["collection"]
    assert run2.ingest.chunks_added == 0
    assert run2.ingest.to_dict()["unchanged"] == len(FILES)
    assert [r["id"] for r in run2.rows] == ["s001"]
    assert run2.rows[0]["answer"] == run1.rows[0]["answer"]  # deterministic end to end


def test_ctrl_c_midway_still_writes_the_report(
    first_run: Any, workspace: dict[str, Any], embedder
) -> None:  # noqa: ANN001
    def stop_at_second(i: int, row: dict) -> None:
        if i == 1:
            raise KeyboardInterrupt

    run = run_fake(workspace, embedder, "interrupted", on_item=stop_at_second)
    out = run.out
    assert run.interrupted and len(run.rows) == 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["meta"]["interrupted"] and summary["meta"]["completed"] == 2
    assert summary["overall"]["n"] == 2
    assert len((out / "results.jsonl").read_text().splitlines()) == 2
    assert "Interrupted" in (out / "report.html").read_text()


def test_sigterm_is_handled_like_ctrl_c(
    first_run: Any,
    workspace: dict[str, Any],
    embedder,  # noqa: ANN001
) -> None:
    """`kill PID` (a CI timeout) must not lose the answers done either."""
    before = signal.getsignal(signal.SIGTERM)

    def terminate_after_first(i: int, row: dict) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    run = run_fake(workspace, embedder, "terminated", on_item=terminate_after_first)
    out = run.out
    assert run.interrupted and len(run.rows) == 1
    assert json.loads((out / "summary.json").read_text())["meta"]["completed"] == 1
    assert signal.getsignal(signal.SIGTERM) is before  # handler restored


class _InterruptedModel(ExtractiveChatModel):
    """The LLM fake, interrupted by Ctrl-C during its second answer."""

    def reply(self, messages: list) -> str:
        if len(self.calls) >= 2:
            raise KeyboardInterrupt
        return super().reply(messages)


def test_ctrl_c_inside_the_model_keeps_finished_answers(
    first_run: Any, workspace: dict[str, Any], embedder
) -> None:  # noqa: ANN001
    run = run_fake(workspace, embedder, "interrupted-model", model=_InterruptedModel())
    out = run.out
    assert run.interrupted
    assert 1 <= len(run.rows) < len(IDS)
    assert json.loads((out / "summary.json").read_text())["meta"]["completed"] == len(run.rows)


# --- the eval index key ----------------------------------------------------------------------


def test_collection_is_keyed_by_corpus_contents(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        (folder / "sub").mkdir(parents=True)
        (folder / "x.md").write_text("# X\n\nNeodymium.\n")
        (folder / "sub" / "y.txt").write_text("Dysprosium.\n")
        (folder / "ignored.py").write_text("print(1)\n")  # not a document type: not in the key
    assert re.fullmatch(r"eval-[0-9a-f]{12}", corpus_collection(a))
    assert corpus_collection(a) == corpus_collection(b)  # same files, elsewhere
    (b / "ignored.py").write_text("print(2)\n")
    assert corpus_collection(a) == corpus_collection(b)
    (b / "sub" / "y.txt").write_text("Terbium.\n")
    assert corpus_collection(a) != corpus_collection(b)
    # excluding a file is a different corpus; excluding a file that is not there is not
    assert corpus_collection(a, ["y.txt"]) != corpus_collection(a)
    assert corpus_collection(a, ["nothing-*.md"]) == corpus_collection(a)


# --- ALCE judgments and per-item scoring (no model) ---------------------------------------------

PASSAGES = {
    1: "Bayan Obo is in the Inner Mongolia Autonomous Region of China, near Baotou.",
    2: "Lynas Rare Earths operates the Mt Weld mine in Western Australia.",
}


def test_judge_statements_follows_alce() -> None:
    draft = (
        "Bayan Obo is in Inner Mongolia [1]. "
        "Lynas operates the Mt Weld mine in Western Australia [2][1]. "
        "Lynas produced 12,000 tonnes in 2024 [2]. "
        "Bayan Obo is near Baotou [7]."
    )
    statements, markers = judge_statements(draft, PASSAGES, SupportScorer(None))
    assert markers == [1, 2, 1, 2, 7]
    assert [s.cited for s in statements] == [[1], [2, 1], [2], [7]]
    assert [s.supported_by_all for s in statements] == [True, True, False, False]
    # [1] is irrelevant for the Lynas statement: alone it fails, and [2] without it supports
    assert statements[1].alone_supports == {2: True, 1: False}
    assert statements[1].others_support_without == {2: False, 1: True}
    item = QAItem(
        "q",
        "Where is Bayan Obo?",
        answer="Inner Mongolia",
        type="fact",
        must_include=["Inner Mongolia", "Baotou"],
        sources=["docs/bayan.md"],
    )
    m = score_item(
        item,
        answer_text="Bayan Obo is in Inner Mongolia [1].",
        refused=False,
        retrieved_sources=["other.md", "x/bayan.md"],
        k=5,
        draft=(statements, markers),
        final=(statements[:1], [1]),
        n_passages=2,
    )
    assert m["valid_marker_share"] == 0.8
    assert m["draft_citation_recall"] == 0.5
    assert m["draft_citation_precision"] == pytest.approx(2 / 5)  # [1] ok; [2] of s2; none else
    assert m["citation_recall"] == 1.0 and m["citation_precision"] == 1.0
    assert m["must_include"] == 0.5 and m["source_recall"] == 1.0 and m["source_mrr"] == 0.5
    assert m["exact_match"] == 0.0 and m["token_f1"] == pytest.approx(2 * (2 / 6) / (1 + 2 / 6))


def test_structural_sentences_and_refusals_are_not_statements() -> None:
    statements, _ = judge_statements(
        "The documents do not say what the price was. Bayan Obo is near Baotou [1].",
        PASSAGES,
        SupportScorer(None),
    )
    assert len(statements) == 1 and statements[0].supported_by_all
    refusal = "The indexed documents do not answer this question."
    assert judge_statements(refusal, PASSAGES, SupportScorer(None), refusal=refusal) == ([], [])
    assert (
        citation_recall(
            judge_statements(refusal, PASSAGES, SupportScorer(None), refusal=refusal)[0]
        )
        is None
    )


def test_refused_answer_scores_zero_must_include_and_no_citations() -> None:
    item = QAItem("q", "Where?", must_include=["Baotou"], sources=["a.md"], type="insight")
    m = score_item(
        item,
        answer_text="Baotou mentioned in a refusal",
        refused=True,
        retrieved_sources=[],
        k=5,
        draft=None,
        final=None,
        n_passages=0,
    )
    assert m["must_include"] == 0.0 and m["source_recall"] == 0.0
    assert m["citation_recall"] is None and m["exact_match"] is None


# --- suites ---------------------------------------------------------------------------------------


def test_suite_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "Q?"}\n\n{"id": "a", "question": "R?"}\n')
    with pytest.raises(SuiteError, match=r"bad.jsonl:3: duplicate id 'a' \(first on line 1\)"):
        load_suite(bad)
    bad.write_text('{"id": "a", "question": "Q?", "sources": "x.md"}\n')
    with pytest.raises(SuiteError, match="bad.jsonl:1: field 'sources' must be a list"):
        load_suite(bad)
    bad.write_text('{"id": "a", "question": "Q?"\n')
    with pytest.raises(SuiteError, match="bad.jsonl:1: invalid JSON"):
        load_suite(bad)
    bad.write_text('{"id": "a", "question": "Q?", "tags": "table"}\n')
    with pytest.raises(SuiteError, match="bad.jsonl:1: field 'tags' must be a list of strings"):
        load_suite(bad)
    bad.write_text(
        '{"id": "a", "question": "Q?", "tags": ["table", " "]}\n{"id": "b", "question": "R?"}\n'
    )
    tagged, untagged = load_suite(bad)
    assert tagged.tags == ["table"] and untagged.tags == []
    items = load_suite(REPO / "eval" / "datasets" / "sample.jsonl")
    assert len(items) == 60
    short = {i.id for i in items if i.short_answer}
    assert short and all(i.type in ("fact", "numeric") for i in items if i.id in short)


# --- compare ----------------------------------------------------------------------------------


def _row(
    qid: str,
    qtype: str,
    *,
    passed: bool,
    refused: bool,
    mi: float | None,
    recall: float | None,
    total: float,
) -> dict[str, Any]:
    metrics = dict.fromkeys(METRIC_KEYS)
    metrics.update(must_include=mi, source_recall=recall)
    return {
        "id": qid,
        "type": qtype,
        "answerable": qtype != "unanswerable",
        "question": f"{qid}?",
        "gold": {"answer": "", "must_include": [], "sources": []},
        "answer": "a",
        "refused": refused,
        "refusal_reason": "",
        "citations": [],
        "claims": [],
        "draft": "",
        "retrieved": [],
        "metrics": metrics,
        "verdict": {
            "pass": passed,
            "refused": refused,
            "must_include": None if mi is None else ("pass" if mi == 1.0 else "fail"),
            "source_found": None if recall is None else recall > 0,
        },
        "timings": {"retrieval": 0.1, "ttft": total / 2, "total": total},
        "tokens": {},
    }


def _write_run(folder: Path, rows: list[dict[str, Any]]) -> Path:
    write_report(
        folder,
        {"meta": {"suite": "s.jsonl", "mode": "brief", "model": "m"}, **summarize(rows)},
        rows,
    )
    return folder


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    a = _write_run(
        tmp_path / "a",
        [
            _row("q1", "fact", passed=True, refused=False, mi=1.0, recall=1.0, total=10.0),
            _row("q2", "fact", passed=True, refused=False, mi=1.0, recall=0.5, total=12.0),
            _row(
                "q3", "unanswerable", passed=False, refused=False, mi=None, recall=None, total=8.0
            ),
        ],
    )
    b = _write_run(
        tmp_path / "b",
        [
            _row("q1", "fact", passed=True, refused=False, mi=1.0, recall=1.0, total=9.0),
            _row("q2", "fact", passed=False, refused=False, mi=0.5, recall=0.5, total=11.0),
            _row("q3", "unanswerable", passed=True, refused=True, mi=None, recall=None, total=2.0),
        ],
    )
    return a, b


def test_compare_reports_deltas_and_changed_verdicts(two_runs: tuple[Path, Path]) -> None:
    cmp = compare_runs(*two_runs)
    assert cmp["overall"]["must_include"]["delta"] == pytest.approx(-0.25)
    assert cmp["overall"]["pass_rate"]["delta"] == pytest.approx(0.0)
    assert cmp["by_type"]["unanswerable"]["refusal_rate"] == {"a": 0.0, "b": 1.0, "delta": 1.0}
    assert cmp["latency_p50"]["total"]["delta"] == pytest.approx(-1.0)
    changed = {(c["id"], c["verdict"], c["a"], c["b"]) for c in cmp["changed"]}
    assert changed == {
        ("q2", "pass", True, False),
        ("q2", "must_include", "pass", "fail"),
        ("q3", "pass", False, True),
        ("q3", "refused", False, True),
    }
    text = format_comparison(cmp)
    assert "Changed verdicts (2 questions)" in text and "-0.250" in text


def test_compare_also_diffs_the_common_questions(tmp_path: Path) -> None:
    a = _write_run(
        tmp_path / "a",
        [
            _row("q1", "fact", passed=True, refused=False, mi=1.0, recall=1.0, total=10.0),
            _row("q2", "fact", passed=False, refused=False, mi=0.0, recall=0.0, total=12.0),
        ],
    )
    b = _write_run(
        tmp_path / "b",
        [
            _row("q1", "fact", passed=True, refused=False, mi=1.0, recall=1.0, total=9.0),
        ],
    )
    cmp = compare_runs(a, b)
    assert cmp["overall"]["must_include"]["delta"] == pytest.approx(0.5)  # different questions
    assert cmp["same_questions"]["must_include"]["delta"] == pytest.approx(0.0)
    assert cmp["only_in_a"] == ["q2"] and cmp["changed"] == []
    assert "on the questions both runs answered" in format_comparison(cmp)


def test_compare_cli_json(two_runs: tuple[Path, Path]) -> None:
    """`python -m eval compare A B --json` (the `ree eval` entry point, in a subprocess)."""
    done = subprocess.run(
        [sys.executable, "-m", "eval", "compare", *map(str, two_runs), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["changed"]) == 4


def test_cli_bad_suite_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n')
    done = subprocess.run(
        [sys.executable, "-m", "eval", "qa", str(bad), "--corpus", str(SAMPLE)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "REE_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: bad.jsonl:1: field 'question' must be a non-empty string"
    assert not (tmp_path / "home" / "index").exists()  # failed before touching any index


def test_a_quoted_fallback_is_supported_by_the_passage_that_holds_it_verbatim(tmp_path) -> None:
    """A DS140 record quoted whole scores low on meaning against its passage (a long row of
    cells), yet a judge reading it finds it word for word: a verbatim quote is supported."""
    from rag.prompting import quote_text, quoted_span
    from ree.settings import Settings

    folder = Settings(_env_file=None).prompts_path
    record = (
        "1984: production = 25300 t; imports = 4420 t; exports = 4550 t; "
        "unit value (current U.S. dollars per metric ton) = 2380 $/t"
    )
    passages = {1: f"Rare earths statistics | DS140\n{record}\n1985: production = 13400 t"}
    quoted = functools.partial(quoted_span, folder)
    answer = quote_text(folder, record, 1)
    assert quoted(answer.replace(" [1]", "")) == record
    assert quoted("Production in 1984 was 25300 t.") is None
    statements, _ = judge_statements(answer, passages, SupportScorer(None), quoted=quoted)
    assert [s.supported_by_all for s in statements] == [True]
    # a "quote" the passage does not hold is judged like any other sentence
    wrong = quote_text(folder, record.replace("25300", "253000"), 1)
    statements, _ = judge_statements(wrong, passages, SupportScorer(None), quoted=quoted)
    assert [s.supported_by_all for s in statements] == [False]
    assert not _holds_verbatim(passages[1], "...")  # a quote of nothing holds nothing
