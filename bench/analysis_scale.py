"""Analysis scale: `goalguard report` over 100,000 organism samples in 20 logs, and over
10,000, 25,000 and 50,000 (2, 5, 10 of those logs) to see how time grows. Targets: under
60 s and under 2 GiB peak memory for 100,000 on a 2-core machine; time linear in samples.

The logs are made once through Inspect with the scripted organism (``organism/<profile>``,
four profiles x five seeds = 20 logs, each ``helpful-only`` with LIMIT queries x 2 conditions
x EPOCHS epochs) and cached under bench/out/scale/; later runs reuse them. Each report
command is timed as its own process: wall time, and peak resident memory summed over it
and its worker processes (``goalguard report`` reads large sets of logs with one process
per core).
Usage: python bench/analysis_scale.py [--per-log 5000] [--logs 20] [--sizes 2,5,10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import GOALGUARD, OUT_DIR, Timed, header, shell, timed

PROFILES = ("faker", "honest-refuser", "complier", "doubter")
CONDITIONS = 2  # helpful-only: training, unmonitored
EPOCHS = 10


def make_logs(log_dir: Path, logs: int, per_log: int) -> list[str]:
    """``logs`` logs of ``per_log`` samples each; finished logs are kept, so an interrupted
    generation resumes with the (profile, seed) pairs still missing."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import list_eval_logs, read_eval_log
    from inspect_ai.model import GenerateConfig, get_model

    from goalguard.task import goalguard

    wanted = [(f"organism/{PROFILES[i % len(PROFILES)]}", i // len(PROFILES)) for i in range(logs)]
    finished: set[tuple[str, int]] = set()
    for info in list_eval_logs(str(log_dir)):
        log = read_eval_log(info.name, header_only=True)
        key = (log.eval.model, int(log.eval.model_args.get("seed", -1)))
        complete = log.status == "success" and log.results and log.results.total_samples == per_log
        if complete and key in wanted and key not in finished:
            finished.add(key)
        else:  # interrupted, of another size, or a duplicate: made again below
            Path(info.name.removeprefix("file://")).unlink()
    missing = [key for key in wanted if key not in finished]
    if missing:
        queries, rest = divmod(per_log, CONDITIONS * EPOCHS)
        if rest:
            raise SystemExit(f"--per-log must be a multiple of {CONDITIONS * EPOCHS}")
        print(f"making {len(missing)} of {logs} logs of {per_log:,} organism samples "
              f"in {log_dir} (kept for later runs) …", flush=True)  # fmt: skip
        start = time.perf_counter()
        models = [
            get_model(model, seed=seed, config=GenerateConfig(max_connections=100))
            for model, seed in missing
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
    parser.add_argument("--sizes", default="2,5,10",
                        help="smaller reads (numbers of logs) to see how time grows")  # fmt: skip
    args = parser.parse_args()

    header("analysis scale: goalguard report over organism logs")
    base = OUT_DIR / "scale"
    log_dir = base / f"logs-{args.logs}x{args.per_log}"
    files = [name.removeprefix("file://") for name in make_logs(log_dir, args.logs, args.per_log)]

    sizes = sorted({int(k) for k in args.sizes.split(",") if 0 < int(k) < args.logs})
    points: list[tuple[int, Timed]] = []
    for k in [*sizes, args.logs]:
        full = k == args.logs
        inputs = [str(log_dir)] if full else files[:k]
        name = "full" if full else f"{k}-logs"
        command = [GOALGUARD, "report", *inputs, "-o", str(base / f"report-{name}.html"),
                   "--json", str(base / f"summary-{name}.json")]  # fmt: skip
        run = timed(command).check()
        n = args.per_log * k
        points.append((n, run))
        shown = command if full else [*command[:2], f"<the first {k} logs>",
                                      *command[2 + len(inputs):]]  # fmt: skip
        print(f"{n:>9,} samples  {run.wall_s:7.2f} s  peak RSS {run.tree_rss_mib:7.0f} MiB "
              f"(all processes; largest one {run.max_rss_mib:.0f} MiB)  "
              f"{run.wall_s / n * 1e6:6.1f} µs/sample")  # fmt: skip
        print(f"    {shell(shown)}")
    # Least squares: wall = fixed + per_sample * n; the residuals show whether growth is linear.
    ns = [float(n) for n, _ in points]
    ts = [run.wall_s for _, run in points]
    mean_n, mean_t = sum(ns) / len(ns), sum(ts) / len(ts)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in zip(ns, ts, strict=True)) / sum(
        (n - mean_n) ** 2 for n in ns
    )
    fixed = mean_t - slope * mean_n
    worst = max(abs(t - (fixed + slope * n)) for n, t in zip(ns, ts, strict=True))
    print(f"linear fit: {fixed:.1f} s + {slope * 1e6:.0f} µs/sample "
          f"(largest residual {worst:.1f} s)")  # fmt: skip
    full_run = points[-1][1]
    print(f"target under 60 s: {'met' if full_run.wall_s < 60 else 'NOT met'}; "
          f"under 2 GiB: {'met' if full_run.tree_rss_mib < 2048 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
