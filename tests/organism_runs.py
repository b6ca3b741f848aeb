"""One way for the tests to run scripted models (the organism, mockllm) through Inspect.

The scripted models answer at once, so a run's time is Inspect's per-sample overhead.
These options cut it by about a third (a 300-sample organism run: 18.4 s -> 12.4 s): no
realtime log buffer, no live score display, and every sample in flight at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import Model

FAST = dict(
    display="none",
    log_realtime=False,
    score_display=False,
    max_samples=300,
    max_connections=300,
)
"""Eval options for scripted models: what a run computes is unchanged, only how fast."""


def scripted_eval(
    tasks: Task | Sequence[Task],
    model: str | Model,
    log_dir: str | Path,
    model_args: dict[str, Any] | None = None,
    **options: Any,
) -> list[EvalLog]:
    """Run ``tasks`` on a scripted model with :data:`FAST`; every log must succeed."""
    logs = inspect_eval(
        tasks if isinstance(tasks, Task) else list(tasks),
        model=model,
        model_args=model_args or {},
        log_dir=str(log_dir),
        **{**FAST, **options},
    )
    assert all(log.status == "success" for log in logs), [log.error for log in logs]
    return logs


def organism_eval(
    tasks: Task | Sequence[Task],
    profile: str,
    log_dir: str | Path,
    *,
    seed: int,
    rates: dict[str, Any] | None = None,
    **options: Any,
) -> list[EvalLog]:
    """Run ``tasks`` on ``organism/<profile>`` with ``seed`` and rate overrides ``rates``."""
    model_args = {"seed": seed, **(rates or {})}
    return scripted_eval(tasks, f"organism/{profile}", log_dir, model_args, **options)
