"""`ree eval compare RUN_A RUN_B`: what changed between two eval runs, metric by metric.

Why this module exists: a mean moving from 0.71 to 0.68 says little on 60 questions; what a
reviewer needs is the delta next to the questions that flipped (must-include pass -> fail, a new
refusal) so they can read those answers. Deltas are B - A; questions are matched by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.report import METRIC_LABELS, fmt, label, load_run

#: Per-question verdicts whose change is listed (see `eval.runner.verdicts`).
VERDICT_KEYS = ("pass", "refused", "must_include", "source_found")


def _delta(a: Any, b: Any) -> float | None:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(b) - float(a)
    return None


def metric_deltas(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{metric: {"a", "b", "delta"}} for every metric known to either group (n included)."""
    keys = ["n", *(k for k in METRIC_LABELS if k in a or k in b)]
    return {k: {"a": a.get(k), "b": b.get(k), "delta": _delta(a.get(k), b.get(k))} for k in keys}


def changed_verdicts(
    rows_a: Sequence[Mapping[str, Any]], rows_b: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Questions (present in both runs) whose verdicts differ, one entry per changed verdict."""
    by_id = {r["id"]: r for r in rows_a}
    out = []
    for rb in rows_b:
        ra = by_id.get(rb["id"])
        if ra is None:
            continue
        for key in VERDICT_KEYS:
            va, vb = ra["verdict"].get(key), rb["verdict"].get(key)
            if va != vb:
                out.append(
                    {
                        "id": rb["id"],
                        "type": rb["type"],
                        "verdict": key,
                        "a": va,
                        "b": vb,
                        "question": rb["question"],
                    }
                )
    return out


def compare_runs(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """The comparison as data: run metadata, overall and per-type deltas, changed verdicts.

    When the runs answered different questions (a --limit or --ids run against a full one), the
    run-wide means are not comparable, so `same_questions` also diffs the questions both have.
    """
    sa, ra = load_run(run_a)
    sb, rb = load_run(run_b)
    types = list(dict.fromkeys([*sa.get("by_type", {}), *sb.get("by_type", {})]))
    ids_a, ids_b = {r["id"] for r in ra}, {r["id"] for r in rb}

    def meta(s: Mapping[str, Any], path: str | Path) -> dict[str, Any]:
        m = s.get("meta", {})
        return {
            "path": str(path),
            **{k: m.get(k) for k in ("suite", "mode", "model", "date", "git_commit", "completed")},
        }

    latency = {
        stage: {
            "a": sa.get("latency", {}).get(stage, {}).get("p50"),
            "b": sb.get("latency", {}).get(stage, {}).get("p50"),
        }
        for stage in ("retrieval", "ttft", "total")
    }
    for v in latency.values():
        v["delta"] = _delta(v["a"], v["b"])
    common = ids_a & ids_b
    same_questions = None
    if common and ids_a != ids_b:  # the run-wide means cover different questions: also diff these
        from eval.runner import summarize

        same_questions = metric_deltas(
            summarize([r for r in ra if r["id"] in common])["overall"],
            summarize([r for r in rb if r["id"] in common])["overall"],
        )
    return {
        "a": meta(sa, run_a),
        "b": meta(sb, run_b),
        "overall": metric_deltas(sa.get("overall", {}), sb.get("overall", {})),
        "by_type": {
            t: metric_deltas(sa.get("by_type", {}).get(t, {}), sb.get("by_type", {}).get(t, {}))
            for t in types
        },
        "same_questions": same_questions,
        "latency_p50": latency,
        "changed": changed_verdicts(ra, rb),
        "only_in_a": sorted(ids_a - ids_b),
        "only_in_b": sorted(ids_b - ids_a),
    }


def _signed(value: float | None, key: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:+.0f}" if key == "n" else f"{value:+.3f}"


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [
            line.format(*header),
            line.format(*("-" * w for w in widths)),
            *(line.format(*r) for r in rows),
        ]
    )


def format_comparison(cmp: Mapping[str, Any]) -> str:
    """Plain-text tables for the terminal."""
    parts = [
        f"A: {cmp['a']['path']}  ({cmp['a'].get('model')}, {cmp['a'].get('date')})",
        f"B: {cmp['b']['path']}  ({cmp['b'].get('model')}, {cmp['b'].get('date')})",
        "",
    ]

    def metric_rows(deltas: Mapping[str, Any]) -> list[list[str]]:
        return [
            [label(k), fmt(v["a"]), fmt(v["b"]), _signed(v["delta"], k)]
            for k, v in deltas.items()
            if v["a"] is not None or v["b"] is not None
        ]

    parts += ["Overall", _grid(["metric", "A", "B", "B - A"], metric_rows(cmp["overall"])), ""]
    if cmp.get("same_questions"):
        parts += [
            "Overall on the questions both runs answered",
            _grid(["metric", "A", "B", "B - A"], metric_rows(cmp["same_questions"])),
            "",
        ]
    rows = [
        [stage, fmt(v["a"], 2), fmt(v["b"], 2), _signed(v["delta"])]
        for stage, v in cmp["latency_p50"].items()
    ]
    parts += ["Latency p50 (s)", _grid(["stage", "A", "B", "B - A"], rows), ""]
    for name, deltas in cmp["by_type"].items():
        parts += [f"Type {name}", _grid(["metric", "A", "B", "B - A"], metric_rows(deltas)), ""]
    if cmp["changed"]:
        rows = [
            [c["id"], c["type"], c["verdict"], fmt(c["a"]), fmt(c["b"]), c["question"][:60]]
            for c in cmp["changed"]
        ]
        parts += [
            f"Changed verdicts ({len({c['id'] for c in cmp['changed']})} questions)",
            _grid(["id", "type", "verdict", "A", "B", "question"], rows),
        ]
    else:
        parts.append("Changed verdicts: none")
    for side in ("a", "b"):
        if cmp[f"only_in_{side}"]:
            parts.append(f"Only in {side.upper()}: {', '.join(cmp[f'only_in_{side}'])}")
    return "\n".join(parts)
