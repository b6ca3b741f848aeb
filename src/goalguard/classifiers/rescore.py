"""Re-classify an existing goalguard log without regenerating (``goalguard rescore``).

The samples are scored again with :func:`classifier_scorers` (the heuristic, or a judge plus
the heuristic) through Inspect's ``score_async``, and the result is written as a new log
beside the original, which is never modified. The new log's scores have the same layout as
a ``goalguard run`` log; the old scores stay in the original file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
from inspect_ai import score_async
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.model import get_model

from goalguard.classifiers.judge import JudgeConfig
from goalguard.classifiers.scorers import classifier_scorers
from goalguard.classifiers.transcript import ScenarioContext


class RescoreError(ValueError):
    """The log cannot be rescored (missing, unreadable, not goalguard's, or no samples)."""


def rescored_path(log: Path, config: JudgeConfig | None) -> Path:
    """A free file name beside ``log``: ``<stem>-rescored-<judge>.eval`` (numbered if taken)."""
    tag = "heuristic" if config is None else re.sub(r"[^\w.-]+", "_", config.model).strip("_")
    base = log.with_name(f"{log.stem}-rescored-{tag}")
    candidate = base.with_suffix(".eval")
    n = 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{n}").with_suffix(".eval")
        n += 1
    return candidate


def _read(log: Path) -> EvalLog:
    if not log.is_file():
        raise RescoreError(f"{log}: no such file.")
    try:
        header = read_eval_log(str(log), header_only=True)
    except Exception as ex:
        raise RescoreError(f"{log}: cannot read as an Inspect log ({ex}).") from None
    if "goalguard_scenario" not in (header.eval.metadata or {}):
        raise RescoreError(f"{log}: not a goalguard log (no goalguard_scenario in its metadata).")
    full = read_eval_log(str(log))
    if not full.samples:
        raise RescoreError(f"{log}: the log holds no samples to score.")
    return full


async def rescore_async(log: EvalLog, config: JudgeConfig | None) -> EvalLog:
    """A copy of ``log`` with every classifier scored afresh (the input is not modified)."""
    context = ScenarioContext.from_spec((log.eval.metadata or {}).get("goalguard_scenario"))
    kwargs: dict[str, Any] = {}
    if config is not None:
        kwargs = dict(
            judge=config.model,
            judge_args=dict(config.model_args),
            votes=config.votes,
            threshold=config.threshold,
            logprobs=config.logprobs,
            preset=config.preset,
            max_tokens=config.max_tokens,
        )
    return await score_async(
        log,
        classifier_scorers(context, **kwargs),
        # The classifiers never call the task's model; a local stand-in avoids starting the
        # original provider (which may need a key or load a model file).
        model=get_model("mockllm/model"),
        action="overwrite",
        epochs_reducer="mode",
        display="none",
        copy=True,
    )


def rescore_log(log: Path, config: JudgeConfig | None, out: Path | None = None) -> Path:
    """Rescore ``log`` and write the result to ``out`` (default: beside it); return the path."""
    log = Path(log)
    target = Path(out) if out else rescored_path(log, config)
    if target.resolve() == log.resolve():
        raise RescoreError(f"{target}: the new log may not replace the original.")
    if target.exists():
        raise RescoreError(f"{target}: already exists; choose another --out.")
    original = _read(log)
    new = anyio.run(rescore_async, original, config)
    new.location = str(target)
    write_eval_log(new, str(target))
    return target
