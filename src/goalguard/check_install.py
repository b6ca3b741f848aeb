"""`python -m goalguard.check_install`: confirm the embedded model and datasets are installed."""

from __future__ import annotations

import sys

from goalguard.datasets import load_queries
from goalguard.providers.llamacpp import resolve_gguf


def main() -> int:
    try:
        gguf = resolve_gguf("smollm2")
        counts = {name: len(load_queries(name)) for name in ("strongreject", "harmbench")}
    except Exception as ex:  # report any failure plainly; this is an install check
        print(f"goalguard install check failed: {ex}", file=sys.stderr)
        return 1
    print(f"embedded model: {gguf} ({gguf.stat().st_size / 1e6:.0f} MB)")
    print("query sets: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
