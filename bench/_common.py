"""What every benchmark script shares: timing a command, and where outputs go."""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"  # git-ignored: logs and caches of the benchmarks
GOALGUARD = str(Path(sys.executable).parent / "goalguard")


@dataclass(frozen=True)
class Timed:
    """A finished command: wall seconds, peak resident memory, exit code and output.

    ``max_rss_mib`` is the exact peak of the largest single process (GNU time);
    ``tree_rss_mib`` the peak of the sum over the command and its worker processes,
    sampled every 50 ms (so a shorter spike can be missed).
    """

    command: list[str]
    wall_s: float
    max_rss_mib: float
    tree_rss_mib: float
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> Timed:
        """Fail loudly, with the command's own last words, if it did not succeed."""
        if self.returncode != 0:
            sys.exit(
                f"command failed ({self.returncode}): {shell(self.command)}\n"
                f"{self.stdout[-3000:]}\n{self.stderr[-3000:]}"
            )
        return self


def shell(command: list[str]) -> str:
    """A command as one copy-pasteable line, paths shown relative to the repository."""
    root = str(BENCH_DIR.parent) + os.sep
    return " ".join(shlex.quote(part.replace(root, "")) for part in command)


def timed(command: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run a command: its wall time, and its peak RSS as GNU time measures it.

    (Not ``wait4`` here: a child's peak RSS there starts from the size of the forked
    parent, which for a benchmark that has just made 100,000 samples is large.)
    """
    gnu_time = "/usr/bin/time"
    rss_file = OUT_DIR / ".max_rss_kib"
    measured = [gnu_time, "-f", "%M", "-o", str(rss_file), *command]
    if not Path(gnu_time).exists():
        sys.exit("bench needs GNU time at /usr/bin/time (Debian: apt-get install time)")
    with (
        open(OUT_DIR / ".stdout", "w+") as out,
        open(OUT_DIR / ".stderr", "w+") as err,
    ):
        start = time.perf_counter()
        process = subprocess.Popen(
            measured, stdout=out, stderr=err, env={**os.environ, "NO_COLOR": "1", **(env or {})}
        )
        tree_peak = _poll_tree_rss(process)
        returncode = process.wait()
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        max_rss = float(rss_file.read_text().split()[-1]) / 1024
        tree = max(tree_peak / 2**20, max_rss)
        return Timed(command, wall, max_rss, tree, returncode, out.read(), err.read())


def _poll_tree_rss(process: subprocess.Popen[bytes]) -> float:
    """Peak of the summed RSS (bytes) of ``process``'s descendants until it exits."""
    import psutil

    root = psutil.Process(process.pid)
    peak = 0.0
    while process.poll() is None:
        total = 0
        try:
            for child in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        except psutil.Error:
            break
        peak = max(peak, total)
        time.sleep(0.05)
    return peak


def machine() -> str:
    """One line about where the figures were taken."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {load:.2f} at start"
    )


def header(title: str) -> None:
    """Print the benchmark's title and the machine it runs on."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"# {title}")
    print(machine())
    print()
