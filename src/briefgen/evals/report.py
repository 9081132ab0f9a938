"""The eval report: a terminal table, JSON for machines, and an HTML page for people."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from typing import Any

from .metrics import CaseScore
from .runner import SuiteResult

ROWS: list[tuple[str, str, str]] = [
    ("coverage", "Coverage (all gold facts)", "pct"),
    ("stakeholder_recall", "Stakeholders found", "pct"),
    ("role_accuracy", "Role accuracy", "pct"),
    ("side_accuracy", "Side accuracy", "pct"),
    ("handoff_accuracy", "Handoff-risk level accuracy", "pct"),
    ("handoff_factor_recall", "Handoff factors found", "pct"),
    ("precision", "Precision (items that are not noise)", "pct"),
    ("criteria_complete", "Criteria with target and due date", "pct"),
    ("grounding", "Quotes verbatim in cited source", "pct"),
    ("unsupported_entities", "Unsupported people/amounts/dates", "int"),
    ("leakage", "Other deals' text in brief", "int"),
    ("secret_leakage", "Secrets in brief", "int"),
    ("injection_success", "Injections that succeeded", "int"),
    ("schema_valid", "Schema-valid briefs", "pct"),
    ("dropped_unverified", "Citations dropped as unverified", "int"),
    ("latency_ms_p50", "Latency p50 (ms)", "ms"),
    ("latency_ms_max", "Latency max (ms)", "ms"),
    ("tokens", "Tokens", "int"),
]


def _fmt(value: Any, kind: str) -> str:
    if kind == "pct":
        return f"{100 * float(value):.1f}%"
    if kind == "ms":
        return f"{float(value):.0f}"
    return str(int(value))


def table(result: SuiteResult) -> str:
    names = [r.label for r in result.engines]
    width = max(12, *(len(n) for n in names))
    lines = [f"{'metric':<36}" + "".join(f"{n:>{width + 2}}" for n in names)]
    for key, label, kind in ROWS:
        lines.append(
            f"{label:<36}" + "".join(f"{_fmt(r.summary[key], kind):>{width + 2}}" for r in result.engines)
        )
    sections = sorted({s for r in result.engines for s in r.summary["sections"]})
    for s in sections:
        lines.append(
            f"{'  coverage: ' + s:<36}"
            + "".join(f"{_fmt(r.summary['sections'].get(s, 0), 'pct'):>{width + 2}}" for r in result.engines)
        )
    for s in result.engines[0].summary.get("precision_sections", {}):
        lines.append(
            f"{'  precision: ' + s:<36}"
            + "".join(
                f"{_fmt(r.summary['precision_sections'][s], 'pct'):>{width + 2}}" for r in result.engines
            )
        )
    cases = len({sc.case_id for r in result.engines for sc in r.scores})
    lines.append(f"{cases} cases, split {result.split}, {result.seconds:.1f}s")
    for r in result.engines:
        if not result.gated:
            lines.append(f"{r.label}: no thresholds checked (--no-gate)")
        elif r.failures:
            lines.append(f"FAIL {r.label}: " + "; ".join(r.failures))
        else:
            lines.append(f"PASS {r.label}: every threshold met")
    return "\n".join(lines)


def _public(score: CaseScore) -> dict[str, Any]:
    """A case's score as reported. A blind case shows its figures, never what it missed or
    which items were noise: reading those while changing the engine would end its blindness."""
    out = asdict(score) | {"coverage": score.coverage}
    if score.split == "blind":
        out["misses"] = {k: len(v) for k, v in score.misses.items()}
        out["noise"] = {k: len(v) for k, v in score.noise.items()}
        out["unsupported"] = len(score.unsupported)
    return out


def to_json(result: SuiteResult) -> str:
    return json.dumps(
        {
            "split": result.split,
            "seconds": round(result.seconds, 2),
            "passed": result.passed,
            "engines": [
                {
                    "engine": r.engine,
                    "split": r.split,
                    "summary": r.summary,
                    "failures": r.failures,
                    "cases": [_public(s) for s in r.scores],
                }
                for r in result.engines
            ],
        },
        indent=2,
        default=str,
    )


_CSS = """body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #e2e5ea;padding:.3rem .6rem;text-align:left}
.bar{background:#e8ebf0;width:220px;height:12px;display:inline-block;vertical-align:middle;margin-right:.4rem}
.fill{background:#3b6fd8;height:12px}.fail{color:#9b1c1c;font-weight:600}.pass{color:#1f6f3f;font-weight:600}
details{margin:.3rem 0}summary{cursor:pointer}"""


def to_html(result: SuiteResult) -> str:
    e = html.escape
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>briefgen eval</title><style>{_CSS}</style>"
        "</head><body><h1>briefgen eval report</h1>"
    ]
    out.append(
        f"<p>{len(result.engines[0].scores)} cases · split {e(result.split)} · {result.seconds:.1f}s</p>"
    )
    for r in result.engines:
        status = (
            "<span class='pass'>PASS</span>"
            if not r.failures
            else "<span class='fail'>FAIL: " + e("; ".join(r.failures)) + "</span>"
        )
        out.append(f"<p><strong>{e(r.label)}</strong>: {status}</p>")
    out.append(
        "<h2>Overall</h2><table><tr><th>metric</th>"
        + "".join(f"<th>{e(r.label)}</th>" for r in result.engines)
        + "</tr>"
    )
    for key, label, kind in ROWS:
        out.append(
            f"<tr><td>{e(label)}</td>"
            + "".join(f"<td>{_fmt(r.summary[key], kind)}</td>" for r in result.engines)
            + "</tr>"
        )
    out.append(
        "</table><h2>Coverage by section</h2><table><tr><th>section</th>"
        + "".join(f"<th>{e(r.label)}</th>" for r in result.engines)
        + "</tr>"
    )
    for s in sorted({s for r in result.engines for s in r.summary["sections"]}):
        cells = []
        for r in result.engines:
            v = float(r.summary["sections"].get(s, 0))
            cells.append(
                f"<td><span class='bar'><div class='fill' style='width:{100 * v:.0f}%'></div></span>{100 * v:.0f}%</td>"
            )
        out.append(f"<tr><td>{e(s)}</td>{''.join(cells)}</tr>")
    out.append("</table><h2>Cases</h2>")
    for r in result.engines:
        out.append(f"<h3>{e(r.label)}</h3>")
        for s in r.scores:
            flags = []
            if s.error:
                flags.append(f"error: {s.error}")
            if s.handoff_got != s.handoff_expected:
                flags.append(f"handoff {s.handoff_got} (expected {s.handoff_expected})")
            for what, items in (
                ("leaked", s.leaked),
                ("secrets", s.secrets_leaked),
                ("injection", s.injections),
                ("unsupported", [] if s.split == "blind" else s.unsupported),
            ):
                if items:
                    flags.append(f"{what}: {', '.join(items)}")
            if s.split == "blind":
                missed = sum(len(m) for m in s.misses.values())
                noisy = sum(len(m) for m in s.noise.values())
                misses = f"<li>blind case: {missed} missed, {noisy} noise (not shown)</li>"
            else:
                misses = "".join(
                    f"<li>{e(sec)}: {e('; '.join(m))}</li>" for sec, m in s.misses.items() if m
                ) + "".join(
                    f"<li>noise in {e(sec)}: {e(' | '.join(m))}</li>" for sec, m in s.noise.items() if m
                )
            out.append(
                f"<details><summary>{e(s.case_id)} ({e(s.split)}) · coverage "
                f"<span class='bar'><div class='fill' style='width:{100 * s.coverage:.0f}%'></div></span>"
                f"{100 * s.coverage:.0f}% · {s.latency_ms:.0f} ms"
                f"{(' · <span class=fail>' + e(' | '.join(flags)) + '</span>') if flags else ''}</summary>"
                f"<p>tags: {e(', '.join(s.tags))}</p><ul>{misses or '<li>no gold fact missed</li>'}</ul></details>"
            )
    out.append("</body></html>\n")
    return "".join(out)
