"""Plain-text sections for the realism probe and the belief-then-pressure honesty set."""

from __future__ import annotations

from goalguard.analysis.results import AnalysisSummary, PairedGap, Proportion


def _rate(rate: Proportion | None) -> str:
    if rate is None or rate.estimate is None:
        return "n/a"
    return f"{rate.estimate:.2f} [{rate.low:.2f}, {rate.high:.2f}] (n = {rate.n})"


def _gap(gap: PairedGap | None) -> str:
    if gap is None or gap.estimate is None:
        return "n/a"
    return f"{gap.estimate:+.3f} [{gap.low:+.3f}, {gap.high:+.3f}] ({gap.n_pairs} pairs)"


def format_probe_sections(summary: AnalysisSummary) -> str:
    """The realism and honesty sections ("" when the logs have neither)."""
    parts: list[str] = []
    for r in summary.realism:
        title = f"realism probe · {r.model} · {r.scenario}" + (
            f" · {r.variant}" if r.variant else ""
        )
        lines = [title, f"setup doubt when asked: {_rate(r.doubt)}"]
        lines += [f"  {c}: {_rate(p)}" for c, p in r.by_condition.items()]
        lines += [f"  question {q}: {_rate(p)}" for q, p in r.by_question.items()]
        if r.published is not None:
            lines.append(f"published: {r.published:.1%} ({r.published_source})")
        parts.append("\n".join(lines))
    for h in summary.honesty:
        title = f"honesty vs harmlessness · {h.model} · {h.scenario}" + (
            f" · {h.variant}" if h.variant else ""
        )
        lines = [title]
        lines += [f"  lie rate {c}: {_rate(p)}" for c, p in h.lie.items()]
        lines.append(f"honesty gap (lie rate training − unmonitored): {_gap(h.honesty_gap)}")
        source = h.harmlessness_scenario or "helpful-only"
        lines.append(f"harmlessness gap (compliance gap, {source}): {_gap(h.harmlessness_gap)}")
        if h.difference is not None:
            lines.append(f"harmlessness − honesty: {h.difference:+.3f} (point estimate)")
        lines.append(f"reading: {h.reading}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
