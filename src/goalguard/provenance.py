"""What a log must record to reproduce a run: versions, file and spec hashes, the seed.

The task records goalguard's version and the scenario's hashes in its metadata (every way
of starting it: ``goalguard run``, ``goalguard sweep``, ``inspect eval``). Model-side facts
(the GGUF's sha256, the llama-cpp-python version) come from :func:`model_provenance`:
``goalguard run`` and ``sweep`` put them in the eval's metadata under ``goalguard_models``,
and the llama.cpp provider adds them to every output's metadata, so logs started by
``inspect eval`` carry them too. :func:`read_provenance` reads them back for the report.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goalguard.providers.gguf import resolve_gguf

if TYPE_CHECKING:
    from inspect_ai.dataset import Sample

SPEC_HASH_KEY = "goalguard_spec_sha256"
APPLIED_KEY = "goalguard_applied"
INTERVENTION_KEY = "goalguard_intervention"
"""Task metadata of a ``goalguard intervene`` log: the edit and the original log. The
analysis of runs leaves such logs out (they are read by :mod:`goalguard.intervene`)."""
"""Task metadata: what a variant and the -T overrides apply outside the spec's fields."""
INPUTS_HASH_KEY = "goalguard_inputs_sha256"
VERSION_KEY = "goalguard_version"
MODELS_KEY = "goalguard_models"

PROVENANCE_FIELDS: dict[str, str] = {
    "goalguard": "goalguard version",
    "inspect_ai": "inspect_ai version",
    "spec_sha256": "scenario spec sha256 (after variant and -T overrides)",
    "inputs_sha256": "model inputs sha256 (system context and user turns)",
    "seed": "sampling seed",
    "gguf": "GGUF file",
    "gguf_sha256": "GGUF sha256",
    "llama_cpp_python": "llama-cpp-python version",
    "llama_cpp_system": "llama.cpp CPU features",
}
"""The facts :func:`read_provenance` returns, in display order, with their labels."""

_sha256_cache: dict[tuple[str, int, int], str] = {}
_sha256_lock = threading.Lock()


def package_version(distribution: str) -> str | None:
    """An installed distribution's version, or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def file_sha256(path: Path) -> str:
    """A file's sha256, computed once per (path, size, modification time) per process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _sha256_lock:
        if key not in _sha256_cache:
            digest = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            _sha256_cache[key] = digest.hexdigest()
        return _sha256_cache[key]


def stable_hash(data: Any) -> str:
    """sha256 of JSON data with sorted keys: equal data gives an equal hash in any process."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def spec_hash(spec: Mapping[str, Any], applied: Mapping[str, Any] | None = None) -> str:
    """The sha256 of a scenario as run: its spec fields and what is applied outside them.

    A variant's template blocks (``weights-deleted``, ``high-stakes``) and overrides such as
    ``-T p=…``, ``-T paraphrases=…`` or ``-T probe=…`` leave the spec's fields unchanged, so
    a hash of the fields alone was the same for runs that differ. Both are recorded in the
    task metadata (``goalguard_scenario`` and ``goalguard_applied``), so the hash can be
    checked against the log.
    """
    return stable_hash({"spec": dict(spec), "applied": dict(applied or {})})


def task_provenance(
    spec: Mapping[str, Any], inputs: Iterable[Any], applied: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The task metadata entries: goalguard's version, what was applied, the hashes."""
    return {
        VERSION_KEY: package_version("goalguard") or "unknown",
        APPLIED_KEY: dict(applied or {}),
        SPEC_HASH_KEY: spec_hash(spec, applied),
        INPUTS_HASH_KEY: stable_hash(list(inputs)),
    }


def sample_inputs(samples: Iterable[Sample]) -> list[list[list[str]]]:
    """What the model is sent first in each sample: (role, text) of each input message."""
    inputs = []
    for sample in samples:
        messages = sample.input if isinstance(sample.input, list) else []
        inputs.append([[m.role, m.text] for m in messages] or [["user", str(sample.input)]])
    return inputs


def llamacpp_provenance(path: Path) -> dict[str, str]:
    """The GGUF file, its sha256, llama-cpp-python's version and llama.cpp's CPU features."""
    facts = {
        "gguf": path.name,
        "gguf_sha256": file_sha256(path),
        "llama_cpp_python": package_version("llama-cpp-python") or "unknown",
    }
    try:
        import llama_cpp

        facts["llama_cpp_system"] = llama_cpp.llama_print_system_info().decode().strip()
    except Exception:  # the features are a help to reproduce, not a requirement
        pass
    return facts


def model_provenance(model: str) -> dict[str, str]:
    """Model-side facts for an Inspect model name (``{}`` for models not run in process)."""
    if not model.startswith("llamacpp/"):
        return {}
    return llamacpp_provenance(resolve_gguf(model.removeprefix("llamacpp/")))


def eval_provenance(models: Iterable[str]) -> dict[str, Any]:
    """The eval metadata ``goalguard run`` and ``sweep`` add: model name -> model facts."""
    return {MODELS_KEY: {name: facts for name in models if (facts := model_provenance(name))}}


def read_provenance(
    header: Any, output_metadata: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The provenance of one log (an :class:`inspect_ai.log.EvalLog` read header-only).

    Model facts come from the eval metadata, else from ``output_metadata`` (a model
    output's metadata, for logs started by ``inspect eval``). Facts a log lacks are left out.
    """
    meta = header.eval.metadata or {}
    facts: dict[str, Any] = {
        "goalguard": meta.get(VERSION_KEY),
        "inspect_ai": (header.eval.packages or {}).get("inspect_ai"),
        "spec_sha256": meta.get(SPEC_HASH_KEY),
        "inputs_sha256": meta.get(INPUTS_HASH_KEY),
    }
    seed = header.eval.model_generate_config.seed
    if seed is None and header.plan is not None:
        seed = header.plan.config.seed
    facts["seed"] = "none" if seed is None else str(seed)
    model_facts = (meta.get(MODELS_KEY) or {}).get(header.eval.model) or output_metadata or {}
    for key in ("gguf", "gguf_sha256", "llama_cpp_python", "llama_cpp_system"):
        facts[key] = model_facts.get(key)
    return {key: str(facts[key]) for key in PROVENANCE_FIELDS if facts.get(key) is not None}


def _first_output_metadata(log: str, header: Any) -> dict[str, Any]:
    """The metadata of the first model output of a log's first sample (``{}`` if none)."""
    from inspect_ai.log import read_eval_log_sample

    ids = header.eval.dataset.sample_ids or []
    if not ids:
        return {}
    try:
        sample = read_eval_log_sample(log, ids[0], 1)
    except Exception:  # a sample that is absent (unfinished run) or unreadable
        return {}
    for event in sample.events:
        if event.event == "model" and event.output.metadata:
            return dict(event.output.metadata)
    return {}


def log_provenance(log: str) -> dict[str, str]:
    """The provenance one log records (reads its header and, if needed, one sample)."""
    from inspect_ai.log import read_eval_log

    header = read_eval_log(log, header_only=True)
    facts = read_provenance(header)
    if "gguf_sha256" not in facts and header.eval.model.startswith("llamacpp/"):
        facts = read_provenance(header, _first_output_metadata(log, header))
    return facts


def group_provenance(logs: Iterable[str]) -> dict[str, list[str]]:
    """Each fact's distinct values among logs, in :data:`PROVENANCE_FIELDS` order."""
    values: dict[str, list[str]] = {}
    for log in logs:
        for key, value in log_provenance(log).items():
            if value not in values.setdefault(key, []):
                values[key].append(value)
    return {key: values[key] for key in PROVENANCE_FIELDS if key in values}
