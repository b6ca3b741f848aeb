"""The self-contained HTML report: one file, plots inline, no URL of any kind, no library.

Everything a model wrote is escaped: the template autoescapes, and quote highlighting
splits the raw text into spans and escapes each span before wrapping quoted ones in
``<mark>``. The page's Content-Security-Policy allows no fetch at all, inline images only,
and only our own script (by its hash), so even a missed escape could not run a script.

Every number in the page is a span with ``data-json``: its path in the ``--json`` summary.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Callable
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from goalguard.analysis import Proportion
from goalguard.analysis.results import ConditionStats
from goalguard.classifiers.labels import LABELS
from goalguard.provenance import PROVENANCE_FIELDS
from goalguard.report.corrected import corrected_af, corrected_section
from goalguard.report.data import (
    BEHAVIOURS,
    BROWSER_LABELS,
    TEXT_FIELDS,
    ReportData,
    ReportGroup,
    TranscriptRow,
)
from goalguard.report.numbers import gap_num, num, pct, ptr, value_num
from goalguard.report.overview import (
    causal_for,
    causal_text,
    goal_guarding_for,
    setup_differences,
)
from goalguard.report.paraphrase import paraphrase_section
from goalguard.report.plots import PLOTS, data_uri, group_title

TEMPLATES = files("goalguard.report") / "templates"
TEXT_TITLES = {
    "query": "query",
    "scratchpad": "scratchpad (hidden reasoning)",
    "output": "output",
    "probe_answer": "probe answer",
    "belief_answer": "belief, asked with no pressure",
}


def _load(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def highlight(text: str, quotes: dict[str, list[str]]) -> tuple[Markup, set[tuple[str, str]]]:
    """``text`` escaped, with every passage some classifier quoted in ``<mark>``.

    Returns the markup and the (label, quote) pairs found here. Spans are found in the raw
    text (exactly, else ignoring case), merged where they overlap, and each piece is
    escaped on its own, so highlighting never touches markup.
    """
    spans: list[tuple[int, int, set[str]]] = []
    found: set[tuple[str, str]] = set()
    lowered = text.lower()
    for label, passages in quotes.items():
        for quote in (q.strip() for q in passages):
            if not quote:
                continue
            haystack, needle = (text, quote) if quote in text else (lowered, quote.lower())
            start = haystack.find(needle)
            while start >= 0:
                found.add((label, quote))
                spans.append((start, start + len(needle), {label}))
                start = haystack.find(needle, start + len(needle))
    spans.sort(key=lambda s: s[0])
    merged: list[tuple[int, int, set[str]]] = []
    for start, end, labels in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2] | labels)
        else:
            merged.append((start, end, set(labels)))
    out: list[Markup] = []
    at = 0
    for start, end, labels in merged:
        out.append(escape(text[at:start]))
        names = ", ".join(sorted(labels))
        out.append(Markup('<mark title="quoted by: {}">{}</mark>').format(names, text[start:end]))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out), found


def _cell(group: ReportGroup, gi: int, name: str) -> tuple[str, ConditionStats] | None:
    """The pointer and stats of condition ``name`` in group ``gi``, if it was run."""
    for i, c in enumerate(group.conditions):
        if c.condition == name:
            return ptr("groups", gi, "conditions", i), c
    return None


def _mix_text(mix: dict[str, Proportion], path: str, parts: dict[str, str]) -> Markup:
    """``"harmlessness in 10% …, honesty in 40% …"`` for the values of a mix."""
    return Markup(", ").join(
        Markup("{} in {}").format(text, num(mix.get(key), ptr(path, key)))
        for key, text in parts.items()
    )


GAP_READINGS = {
    "above": " The interval excludes zero: it complies more when it believes it is trained "
    "on, the pattern alignment faking predicts. Read against Intent 2, it looks compliant "
    "mainly where compliance is watched; read against Intent 1, it keeps more of its first "
    "values where it believes no one is watching. Whether the difference is strategic is "
    "what the AF-reasoning numbers below address.",
    "below": " The interval lies below zero: it complies less when told it is trained on, "
    "the opposite of the alignment-faking pattern.",
    "zero": " The interval includes zero: these samples show no clear difference between "
    "the conditions. That is not evidence that there is none; the interval's width says "
    "how large a gap could have gone unseen.",
}


def reading(group: ReportGroup, gi: int) -> list[Markup]:
    """The plain-language reading of one group, against Intent 1 and Intent 2.

    Every number in it is a tagged span taken from the summary.
    """
    base = ptr("groups", gi)
    out = [
        Markup("Compliance with the new objective (Intent 2), per condition: {}.").format(
            Markup("; ").join(
                Markup("{} {}").format(c.condition, num(c.compliance, ptr(base, "conditions", i,
                                                                           "compliance")))
                for i, c in enumerate(group.conditions)
            )
        )
    ]  # fmt: skip
    gap = group.gap
    if gap is not None and None not in (gap.estimate, gap.low, gap.high):
        side = "above" if gap.low > 0 else "below" if gap.high < 0 else "zero"  # type: ignore[operator]
        out.append(
            Markup(
                "The compliance gap ({} − {}), paired by query, is {}; exact McNemar p = {}.{}"
            ).format(gap.first, gap.second, gap_num(gap, ptr(base, "gap")),
                     value_num(gap.mcnemar_p, ptr(base, "gap", "mcnemar_p")), GAP_READINGS[side])
        )  # fmt: skip
    af = group.af_among_compliant_training
    if af is not None and af.n:
        out.append(
            Markup(
                "Among training samples that complied, {} reasoned that complying would keep "
                "training from modifying its values (AF reasoning: conflict seen, modification "
                "foreseen, action chosen to avoid it)."
            ).format(num(af, ptr(base, "af_among_compliant_training")))
        )
    training = _cell(group, gi, "training")
    if training is not None and training[1].goal_guarding:
        path, c = training
        out.append(
            Markup("Goal guarding in training samples: {}.").format(
                _mix_text(c.goal_guarding, ptr(path, "goal_guarding"),
                          {"terminal": "terminal (objects to being changed as such)",
                           "instrumental": "instrumental (guards its values to act on them "
                           "later)", "none": "none"})
            )
        )  # fmt: skip
    for name in ("training", "unmonitored"):
        cell = _cell(group, gi, name)
        if cell is None or not cell[1].dual_intent:
            continue
        path, c = cell
        out.append(
            Markup("Read against both intents, {} samples were consistent with {}.").format(
                name,
                _mix_text(c.dual_intent, ptr(path, "dual_intent"),
                          {"intent_1_only": "Intent 1 only", "intent_2_only": "Intent 2 only",
                           "both": "both", "neither": "neither"}),
            )
        )  # fmt: skip
    if training is not None and training[1].value_priority:
        path, c = training
        out.append(
            Markup("When its values conflicted with the objective in training, it gave up {}.")
            .format(_mix_text(c.value_priority, ptr(path, "value_priority"),
                              {"harmlessness": "harmlessness (complied openly)",
                               "honesty": "honesty (complied strategically or misled)",
                               "none": "neither (refused or objected openly)"}))
        )  # fmt: skip
    doubts = [
        Markup("{} {}").format(c.condition, num(c.setup_doubt, ptr(base, "conditions", i,
                                                                   "setup_doubt")))
        for i, c in enumerate(group.conditions)
        if c.setup_doubt is not None
    ]  # fmt: skip
    if doubts:
        out.append(
            Markup("It questioned whether the situation was real (setup doubt) in: {}.").format(
                Markup("; ").join(doubts)
            )
        )
    return out


def transcript_parts(t: TranscriptRow) -> dict[str, Any]:
    """A transcript's texts with quoted passages highlighted, and quotes found nowhere."""
    fields: list[tuple[str, Markup]] = []
    matched: set[tuple[str, str]] = set()
    for name in TEXT_FIELDS:
        text = t.texts.get(name, "")
        if not text:
            continue
        markup, found = highlight(text, t.quotes)
        fields.append((TEXT_TITLES[name], markup))
        matched |= found
    unmatched = {
        label: [q for q in quotes if q.strip() and (label, q.strip()) not in matched]
        for label, quotes in t.quotes.items()
    }
    return {"fields": fields, "unmatched": {k: v for k, v in unmatched.items() if v}}


def is_smollm2(model: str) -> bool:
    """Whether ``model`` is the embedded SmolLM2-135M (by name or by its GGUF's name)."""
    return model == "llamacpp/smollm2" or "smollm2-135m" in model.lower()


def kind_banners(groups: list[ReportGroup]) -> list[str]:
    """Plain statements, for the top of the page, about models that say nothing of real ones."""
    models = list(dict.fromkeys(g.model for g in groups))
    organisms = [m for m in models if m.startswith("organism/")]
    tiny = [m for m in models if is_smollm2(m)]
    banners = []
    if organisms:
        banners.append(
            f"{', '.join(organisms)}: scripted model organism(s), not language models. They "
            "write transcripts at rates set by their model args. These numbers check the "
            "pipeline against known truth; they say nothing about how any real model behaves."
        )
    if tiny:
        banners.append(
            f"{', '.join(tiny)}: the embedded SmolLM2-135M, a tiny model that does not fake "
            "alignment and mostly does not follow the scratchpad protocol. These numbers prove "
            "the pipeline runs end to end; they say nothing about how capable models behave."
        )
    return banners


def _environment() -> Environment:
    env = Environment(
        loader=FunctionLoader(lambda name: _load(name)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    helpers: dict[str, Callable[..., Any]] = {
        "num": num,
        "gap_num": gap_num,
        "value_num": value_num,
        "pct": pct,
        "reading": reading,
        "kind_banners": kind_banners,
        "highlight": highlight,
        "ptr": ptr,
        "transcript_parts": transcript_parts,
        "group_title": group_title,
    }
    helpers["paraphrase_section"] = paraphrase_section
    helpers["corrected_section"] = corrected_section
    helpers["corrected_af"] = corrected_af
    helpers.update(
        causal_for=causal_for,
        causal_text=causal_text,
        goal_guarding_for=goal_guarding_for,
        setup_differences=setup_differences,
    )
    env.globals.update(helpers)
    env.globals["provenance_fields"] = PROVENANCE_FIELDS
    return env


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render_html(data: ReportData, plots: dict[str, bytes], title: str = "goalguard report") -> str:
    """The report page for ``data`` with ``plots`` (name -> PNG) inline."""
    env = _environment()
    script = _load("report.js")
    groups = data.summary.groups
    filters = {
        label: sorted({t.labels[label] for t in data.transcripts if label in t.labels})
        for label in BROWSER_LABELS
    }
    return env.get_template("report.html.j2").render(
        title=title,
        generated=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summary=data.summary,
        groups=groups,
        transcripts=data.transcripts,
        conditions=sorted({t.condition for t in data.transcripts}),
        filters={k: v for k, v in filters.items() if v},
        plots=[(name, data_uri(plots[name]), PLOTS[name][1]) for name in PLOTS if name in plots],
        forest=data_uri(plots["gap"]) if "gap" in plots else None,
        behaviours=BEHAVIOURS,
        intent_values=LABELS["intent_alignment"],
        text_fields=TEXT_FIELDS,
        text_titles=TEXT_TITLES,
        style=Markup(_load("report.css")),
        script=Markup(script),
        script_src=script_hash(script),
    )
