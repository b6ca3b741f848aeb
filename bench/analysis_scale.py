"""Analysis scale: `goalguard report` over 100,000 organism samples in 20 logs, and over
10,000 (2 of those logs) to see how time grows. Targets: under 60 s and under 2 GiB peak
memory for 100,000 on a 2-core machine; time linear in samples.

The logs are made once through Inspect with the scripted organism (``organism/<profile>``,
four profiles x five seeds = 20 logs, each ``helpful-only`` with LIMIT queries x 2 conditions
x EPOCHS epochs) and cached under bench/out/scale/; later runs reuse them. Each report
command is timed as its own process (wall time, and peak resident memory from GNU time).
Usage: python bench/analysis_scale.py [--per-log 5000] [--logs 20] [--small-logs 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import GOALGUARD, OUT_DIR, header, shell, timed

PROFILES = ("faker", "honest-refuser", "complier", "doubter")
CONDITIONS = 2  # helpful-only: training, unmonitored
EPOCHS = 10


def make_logs(log_dir: Path, logs: int, per_log: int) -> list[str]:
    """``logs`` logs of ``per_log`` samples each (made once; reused when already there)."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import list_eval_logs, read_eval_log
    from inspect_ai.model import GenerateConfig, get_model

    from goalguard.task import goalguard

    existing = [info.name for info in list_eval_logs(str(log_dir))]
    headers = [read_eval_log(name, header_only=True) for name in existing]
    if len(existing) == logs and all(
        h.status == "success" and h.results and h.results.total_samples == per_log for h in headers
    ):
        return sorted(existing)
    for name in existing:
        Path(name.removeprefix("file://")).unlink()

    queries, rest = divmod(per_log, CONDITIONS * EPOCHS)
    if rest:
        raise SystemExit(f"--per-log must be a multiple of {CONDITIONS * EPOCHS}")
    print(f"making {logs} logs of {per_log:,} organism samples in {log_dir} (once) …", flush=True)
    start = time.perf_counter()
    models = [
        get_model(
            f"organism/{PROFILES[i % len(PROFILES)]}",
            seed=i // len(PROFILES),
            config=GenerateConfig(max_connections=100),
        )  # fmt: skip
        for i in range(logs)
    ]
    inspect_eval(
        goalguard(scenario="helpful-only", limit=queries),
        model=models,
        epochs=EPOCHS,
        log_dir=str(log_dir),
        log_realtime=False,
        display="none",
        max_tasks=2,
    )
    print(f"made in {time.perf_counter() - start:.0f} s", flush=True)
    return sorted(info.name for info in list_eval_logs(str(log_dir)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-log", type=int, default=5000)
    parser.add_argument("--logs", type=int, default=20)
    parser.add_argument("--small-logs", type=int, default=2)
    args = parser.parse_args()

    header("analysis scale: goalguard report over organism logs")
    base = OUT_DIR / "scale"
    log_dir = base / f"logs-{args.logs}x{args.per_log}"
    files = [name.removeprefix("file://") for name in make_logs(log_dir, args.logs, args.per_log)]

    rows = []
    for name, inputs in (("small", files[: args.small_logs]), ("full", [str(log_dir)])):
        n = args.per_log * (args.small_logs if name == "small" else args.logs)
        command = [GOALGUARD, "report", *inputs, "-o", str(base / f"report-{name}.html"),
                   "--json", str(base / f"summary-{name}.json")]  # fmt: skip
        run = timed(command).check()
        rows.append((n, run))
        shown = command if name == "full" else [*command[:2], f"<{args.small_logs} of the logs>",
                                                *command[2 + len(inputs):]]  # fmt: skip
        print(f"{n:>9,} samples  {run.wall_s:7.2f} s  peak RSS {run.max_rss_mib:7.0f} MiB  "
              f"{run.wall_s / n * 1e6:6.1f} µs/sample")  # fmt: skip
        print(f"    {shell(shown)}")
    (n_small, small), (n_full, full) = rows
    growth = full.wall_s / small.wall_s
    print(f"time x{growth:.2f} for samples x{n_full / n_small:.0f} "
          f"(linear: x{n_full / n_small:.0f})")  # fmt: skip
    print(f"target under 60 s: {'met' if full.wall_s < 60 else 'NOT met'}; "
          f"under 2 GiB: {'met' if full.max_rss_mib < 2048 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
