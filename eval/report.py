"""Write an eval run to disk: `results.jsonl`, `summary.json` and a self-contained `report.html`.

Why this module exists: a run is only useful if someone can read it a week later without the
machine it ran on. The JSON files are for `ree eval compare` and scripts; the HTML page is for
people: one file, no external assets (charts are matplotlib PNGs embedded as base64), openable
from a CI artifact or an e-mail attachment.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Display name and one-line meaning of each metric, shared by the HTML report and `compare`.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "source_recall": ("source recall@k", "gold source files among the first k retrieved files"),
    "source_mrr": ("source MRR", "1 / rank of the first gold source file"),
    "must_include": ("must-include", "share of required phrases in the answer"),
    "exact_match": ("exact match", "SQuAD EM vs a short gold answer"),
    "token_f1": ("token F1", "SQuAD token F1 vs a short gold answer"),
    "valid_marker_share": ("valid markers", "draft markers pointing at a shown passage"),
    "draft_citation_recall": ("draft cit. recall", "ALCE recall of the model's raw draft"),
    "draft_citation_precision": ("draft cit. precision", "ALCE precision of the raw draft"),
    "citation_recall": ("citation recall", "ALCE recall of the final, verified answer"),
    "citation_precision": ("citation precision", "ALCE precision of the final answer"),
    "refusal_rate": ("refusal rate", "unanswerable items refused (higher is better)"),
    "false_refusal_rate": ("false refusals", "answerable items refused (lower is better)"),
    "pass_rate": ("pass rate", "items passing (answered with all must-include / refused)"),
}
CHART_METRICS = ("pass_rate", "must_include", "source_recall", "citation_recall")


def write_report(
    out: Path, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> dict[str, Path]:
    """Write the three files into `out` (created if needed); returns their paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.jsonl",
        "summary": out / "summary.json",
        "report": out / "report.html",
    }
    with paths["results"].open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    paths["summary"].write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paths["report"].write_text(render_html(summary, rows), encoding="utf-8")
    return paths


def load_run(folder: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(summary, rows) of a run folder written by `write_report`."""
    folder = Path(folder)
    summary_path, results_path = folder / "summary.json", folder / "results.jsonl"
    for path in (summary_path, results_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: is {folder} an eval run folder?")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    rows = [
        json.loads(line)
        for line in results_path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return summary, rows


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 3) -> str:
    """Numbers rounded, None as an en dash (not applicable), booleans as yes/no."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def label(key: str) -> str:
    return METRIC_LABELS.get(key, (key, ""))[0]


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], body: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in body)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _metric_keys(summary: Mapping[str, Any]) -> list[str]:
    """Metric keys present in the summary (with a value somewhere), in label order."""
    groups = [summary.get("overall", {}), *summary.get("by_type", {}).values()]
    return [k for k in METRIC_LABELS if any(g.get(k) is not None for g in groups)]


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(data: str, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def metric_chart(summary: Mapping[str, Any]) -> str | None:
    """Grouped bars: the headline metrics for each question type and overall."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {**summary.get("by_type", {}), "overall": summary.get("overall", {})}
    keys = [k for k in CHART_METRICS if any(g.get(k) is not None for g in groups.values())]
    if not keys or not groups:
        return None
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(groups) + 2), 3.6))
    width = 0.8 / len(keys)
    for j, key in enumerate(keys):
        xs = [i + j * width for i in range(len(groups))]
        ys = [groups[g].get(key) or 0.0 for g in groups]
        ax.bar(xs, ys, width, label=label(key))
    ax.set_xticks([i + width * (len(keys) - 1) / 2 for i in range(len(groups))])
    ax.set_xticklabels([f"{g}\n(n={groups[g].get('n', '?')})" for g in groups], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.legend(fontsize=8, ncols=len(keys), loc="upper center", bbox_to_anchor=(0.5, 1.18))
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def latency_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Histogram of time to first token and total answer time (seconds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {
        key: [r["timings"][key] for r in rows if key in r.get("timings", {})]
        for key in ("ttft", "total")
    }
    if not any(series.values()):
        return None
    fig, ax = plt.subplots(figsize=(6.0, 3.0))
    for key, values in series.items():
        if values:
            ax.hist(values, bins=min(20, max(5, len(values))), alpha=0.6, label=key)
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right}
.pass{color:#17702a;font-weight:600} .fail{color:#b00020;font-weight:600}
details{margin:.3em 0 .8em;font-size:13px} summary{cursor:pointer}
pre{white-space:pre-wrap;background:#f8f8f8;padding:.5em;margin:.3em 0}
.meta td:first-child{font-weight:600} small{color:#666}
"""


def _verdict_cell(value: Any, yes: str = "pass", no: str = "fail") -> str:
    """A coloured verdict; booleans are shown as `yes` / `no` words."""
    if value is None:
        return "–"
    good = value in (True, "pass")
    text = (yes if value else no) if isinstance(value, bool) else value
    return f'<span class="{"pass" if good else "fail"}">{_e(text)}</span>'


def _status_cell(status: str) -> str:
    """A claim's verification status, green when it was kept with support, red when not."""
    cls = {"verified": "pass", "repaired": "pass", "removed": "fail", "unsupported": "fail"}
    css = cls.get(status)
    return f'<span class="{css}">{_e(status)}</span>' if css else _e(status)


def _meta_table(meta: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    shown = (
        "suite",
        "corpus",
        "collection",
        "mode",
        "k",
        "model",
        "date",
        "git_commit",
        "completed",
        "items_in_suite",
        "interrupted",
        "seconds",
    )
    body = [[_e(k), _e(fmt(meta.get(k)))] for k in shown if k in meta]
    body.append(["errors", _e(summary.get("errors", 0))])
    return _table(["run", ""], body, "meta")


def _summary_tables(summary: Mapping[str, Any]) -> str:
    keys = _metric_keys(summary)
    overall = summary.get("overall", {})
    parts = [
        "<h2>Overall</h2>",
        _table(
            ["metric", "value", "meaning"],
            [
                [
                    _e(label(k)),
                    f'<span class="num">{fmt(overall.get(k))}</span>',
                    f"<small>{_e(METRIC_LABELS[k][1])}</small>",
                ]
                for k in keys
            ]
            + [["questions scored", str(overall.get("n", 0)), ""]],
        ),
    ]
    by_type = summary.get("by_type", {})
    if by_type:
        header = ["type", "n", *map(label, keys)]
        body = [
            [
                _e(name),
                str(group.get("n", 0)),
                *(f'<span class="num">{fmt(group.get(k))}</span>' for k in keys),
            ]
            for name, group in by_type.items()
        ]
        parts += ["<h2>By question type</h2>", _table(header, body)]
    by_tag = summary.get("by_tag", {})
    if by_tag:
        header = ["tag", "n", *map(label, keys)]
        body = [
            [
                _e(name),
                str(group.get("n", 0)),
                *(f'<span class="num">{fmt(group.get(k))}</span>' for k in keys),
            ]
            for name, group in by_tag.items()
        ]
        parts += ["<h2>By tag</h2>", _table(header, body)]
    outcomes = summary.get("outcomes", {})
    if outcomes:
        body = [[_e(k), fmt(v, 2) if isinstance(v, float) else str(v)] for k, v in outcomes.items()]
        body.append(
            ["figures absent from their cited passage", str(summary.get("unsupported_figures", 0))]
        )
        parts += ["<h2>How answers came about</h2>", _table(["outcome", "answers"], body)]
    latency = summary.get("latency", {})
    if latency:
        body = [
            [_e(k), *(fmt(v.get(s), 2) for s in ("p50", "p95", "mean")), str(v.get("n", 0))]
            for k, v in latency.items()
        ]
        parts += ["<h2>Latency (seconds)</h2>", _table(["stage", "p50", "p95", "mean", "n"], body)]
    tokens = summary.get("tokens", {})
    if tokens:
        body = [[_e(k), fmt(v.get("mean"), 1), str(v.get("total", 0))] for k, v in tokens.items()]
        parts += ["<h2>Tokens</h2>", _table(["kind", "mean per answer", "total"], body)]
    claims = summary.get("claims", {})
    if claims:
        parts += [
            "<h2>Verification verdicts (all claims)</h2>",
            _table(["status", "claims"], [[_e(k), str(v)] for k, v in claims.items()]),
        ]
    return "\n".join(parts)


def _question_rows(rows: Sequence[Mapping[str, Any]]) -> str:
    header = [
        "id",
        "type",
        "pass",
        "refused",
        "must-include",
        "source found",
        "src recall",
        "draft cit. R/P",
        "final cit. R/P",
        "total s",
    ]
    body = []
    for r in rows:
        m, v = r["metrics"], r["verdict"]
        body.append(
            [
                f'<a href="#q-{_e(r["id"])}">{_e(r["id"])}</a>',
                _e(r["type"]),
                _verdict_cell(v["pass"])
                if not r.get("error")
                else '<span class="fail">error</span>',
                _e(fmt(v["refused"])),
                _verdict_cell(v["must_include"]),
                _verdict_cell(v["source_found"], "found", "missed"),
                fmt(m.get("source_recall"), 2),
                f"{fmt(m.get('draft_citation_recall'), 2)} / {fmt(m.get('draft_citation_precision'), 2)}",
                f"{fmt(m.get('citation_recall'), 2)} / {fmt(m.get('citation_precision'), 2)}",
                fmt(r.get("timings", {}).get("total"), 1),
            ]
        )
    return _table(header, body)


def _question_details(r: Mapping[str, Any]) -> str:
    gold = r.get("gold", {})
    claims = (
        _table(
            ["status", "claim", "citations", "reason"],
            [
                [
                    _status_cell(c["status"]),
                    _e(c["text"]),
                    _e(c["citations"]),
                    f"<small>{_e(c['reason'])}</small>",
                ]
                for c in r.get("claims", [])
            ],
        )
        if r.get("claims")
        else "<p>no claims</p>"
    )
    cites = "".join(
        f"<li>[{_e(c['n'])}] {_e(c['title'] or c['source'])}"
        f"{' p. ' + _e(c['page']) if c.get('page') else ''}"
        f"{' — <q>' + _e(c['quote']) + '</q>' if c.get('quote') else ''}</li>"
        for c in r.get("citations", [])
    )
    metrics = ", ".join(
        f"{label(k)} {fmt(val, 2)}" for k, val in r["metrics"].items() if val is not None
    )
    return (
        f'<details id="q-{_e(r["id"])}"><summary><b>{_e(r["id"])}</b> ({_e(r["type"])}): '
        f"{_e(r['question'])}</summary>"
        f"<p><b>Gold:</b> {_e(gold.get('answer', ''))}<br><b>Must include:</b> "
        f"{_e(', '.join(gold.get('must_include', [])) or '–')}<br><b>Gold sources:</b> "
        f"{_e(', '.join(gold.get('sources', [])) or '–')}<br><b>Retrieved:</b> "
        f"{_e(', '.join(dict.fromkeys(r.get('retrieved', []))) or '–')}</p>"
        + (f'<p class="fail">Error: {_e(r["error"])}</p>' if r.get("error") else "")
        + f"<p><b>Answer</b>{' (refused: ' + _e(r['refusal_reason']) + ')' if r['refused'] else ''}"
        f":</p><pre>{_e(r['answer'])}</pre>"
        + (f"<ul>{cites}</ul>" if cites else "")
        + f"<p><b>Model draft:</b></p><pre>{_e(r.get('draft', ''))}</pre>{claims}"
        f"<p><small>{_e(metrics)}</small></p></details>"
    )


def render_html(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The whole report page as one string (no external assets)."""
    meta = summary.get("meta", {})
    charts = []
    if (data := metric_chart(summary)) is not None:
        charts.append(_img(data, "headline metrics by question type"))
    if (data := latency_chart(rows)) is not None:
        charts.append(_img(data, "latency histogram"))
    title = f"Eval: {Path(str(meta.get('suite', 'suite'))).name} ({meta.get('mode', '')})"
    warning = (
        '<p class="fail">Interrupted: only the questions answered before Ctrl-C are scored.</p>'
        if meta.get("interrupted")
        else ""
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>{warning}"
        f"{_meta_table(meta, summary)}{_summary_tables(summary)}"
        f"<h2>Charts</h2>{''.join(charts) or '<p>no data</p>'}"
        f"<h2>Questions</h2>{_question_rows(rows)}"
        f"<h2>Answers and claim verdicts</h2>{''.join(_question_details(r) for r in rows)}"
        "</body></html>\n"
    )


def format_summary(summary: Mapping[str, Any]) -> str:
    """Plain-text overall and per-type tables for the terminal (and the README)."""
    keys = _metric_keys(summary)
    groups = {"overall": summary.get("overall", {}), **summary.get("by_type", {})}
    header = ["", "n", *map(label, keys)]
    rows = [
        [name, str(g.get("n", 0)), *(fmt(g.get(k), 2) for k in keys)] for name, g in groups.items()
    ]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:>{w}}}" if i else f"{{:<{w}}}" for i, w in enumerate(widths))
    out = [line.format(*header), *(line.format(*r) for r in rows)]
    latency = summary.get("latency", {})
    if latency:
        out.append(
            "latency p50/p95 (s): "
            + ", ".join(
                f"{k} {fmt(v.get('p50'), 2)}/{fmt(v.get('p95'), 2)}" for k, v in latency.items()
            )
        )
    tokens = summary.get("tokens", {})
    if tokens:
        out.append(
            "tokens per answer (mean): "
            + ", ".join(f"{k} {fmt(v.get('mean'), 0)}" for k, v in tokens.items())
        )
    outcomes = summary.get("outcomes", {})
    if outcomes:
        out.append(
            "outcomes: "
            + ", ".join(
                f"{k} {fmt(v, 2) if isinstance(v, float) else v}" for k, v in outcomes.items()
            )
            + f"; figures absent from their cited passage: {summary.get('unsupported_figures', 0)}"
        )
    for name, group in summary.get("by_tag", {}).items():
        out.append(
            f"tag {name} (n={group.get('n', 0)}): pass {fmt(group.get('pass_rate'), 2)}, "
            f"must-include {fmt(group.get('must_include'), 2)}, "
            f"false refusals {fmt(group.get('false_refusal_rate'), 2)}"
        )
    if summary.get("errors"):
        out.append(f"errors: {summary['errors']} question(s) raised; see results.jsonl")
    return "\n".join(out)
