"""What logs record to reproduce a run: hashes, versions and the seed, and the report's view."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from pathlib import Path

from inspect_ai import eval as inspect_eval

from goalguard.provenance import (
    APPLIED_KEY,
    INPUTS_HASH_KEY,
    MODELS_KEY,
    SPEC_HASH_KEY,
    VERSION_KEY,
    file_sha256,
    log_provenance,
    spec_hash,
    stable_hash,
)
from goalguard.providers.gguf import resolve_gguf
from goalguard.report import build_report_data, render_html
from goalguard.task import goalguard


def test_stable_hash_ignores_key_order_only() -> None:
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1, "b": [1, 2]}) != stable_hash({"a": 1, "b": [2, 1]})


def test_file_sha256_is_the_files_and_follows_changes(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF first")
    assert file_sha256(path) == hashlib.sha256(b"GGUF first").hexdigest()
    path.write_bytes(b"GGUF second, longer")
    os.utime(path, ns=(1, 1))  # a new size and modification time: not the cached digest
    assert file_sha256(path) == hashlib.sha256(b"GGUF second, longer").hexdigest()


def test_task_records_version_and_hashes_after_overrides() -> None:
    base = goalguard(scenario="helpful-only", limit=1).metadata or {}
    again = goalguard(scenario="helpful-only", limit=1).metadata or {}
    no_examples = goalguard(scenario="helpful-only", limit=1, examples="false").metadata or {}
    assert base[VERSION_KEY] == importlib.metadata.version("goalguard")
    # The hash is of the spec the log records, so anyone can check it against the log.
    assert base[SPEC_HASH_KEY] == spec_hash(base["goalguard_scenario"], base[APPLIED_KEY])
    assert base[SPEC_HASH_KEY] == again[SPEC_HASH_KEY]
    assert base[INPUTS_HASH_KEY] == again[INPUTS_HASH_KEY]
    assert no_examples[SPEC_HASH_KEY] != base[SPEC_HASH_KEY]  # a -T override changes it
    assert no_examples[INPUTS_HASH_KEY] != base[INPUTS_HASH_KEY]


def test_spec_hash_tells_variants_and_overrides_apart() -> None:
    """Variants that only replace template blocks (weights-deleted, high-stakes) and -T
    overrides outside the spec's fields (p, paraphrases, probe) each give their own hash,
    which can be recomputed from what the log records."""
    runs = {
        "base": goalguard(scenario="helpful-only", limit=1),
        "weights-deleted": goalguard(scenario="helpful-only", limit=1, variant="weights-deleted"),
        "high-stakes": goalguard(scenario="helpful-only", limit=1, variant="high-stakes"),
        "paraphrases": goalguard(scenario="helpful-only", limit=1, paraphrases=1),
        "probe": goalguard(scenario="helpful-only", limit=1, probe="setup-doubt"),
        "p": goalguard(scenario="oversight-sweep", limit=1, p="0.3"),
        "p other": goalguard(scenario="oversight-sweep", limit=1, p="0.7"),
    }
    hashes = {name: (task.metadata or {})[SPEC_HASH_KEY] for name, task in runs.items()}
    assert len(set(hashes.values())) == len(hashes), hashes
    for task in runs.values():
        meta = task.metadata or {}
        assert meta[SPEC_HASH_KEY] == spec_hash(meta["goalguard_scenario"], meta[APPLIED_KEY])
    assert (runs["weights-deleted"].metadata or {})[APPLIED_KEY]["variant"] == "weights-deleted"


def test_inspect_eval_log_carries_the_model_facts(tmp_path: Path) -> None:
    """Started by Inspect directly (no eval metadata from goalguard): the embedded model's
    outputs carry the GGUF's sha256, and the report shows it with the seed. (user-asserted:
    the shortest system context, so the shortest prefill.)"""
    [log] = inspect_eval(
        goalguard(scenario="user-asserted", limit=1, max_steps=1, examples="false"),
        model="llamacpp/smollm2", display="none", log_dir=str(tmp_path),
        max_tokens=8, temperature=1.0, seed=3, max_connections=1,
    )  # fmt: skip
    assert log.status == "success", log.error
    assert MODELS_KEY not in (log.eval.metadata or {})
    gguf = resolve_gguf("smollm2")
    digest = hashlib.sha256(gguf.read_bytes()).hexdigest()
    facts = log_provenance(log.location)
    assert facts["gguf_sha256"] == digest
    assert facts["gguf"] == gguf.name
    assert facts["llama_cpp_python"] == importlib.metadata.version("llama-cpp-python")
    assert facts["seed"] == "3"
    assert facts["spec_sha256"] == (log.eval.metadata or {})[SPEC_HASH_KEY]

    data = build_report_data([log.location])
    [group] = data.summary.groups
    assert group.setup.provenance["gguf_sha256"] == [digest]
    page = render_html(data, {})
    assert digest in page and "GGUF sha256" in page and "sampling seed" in page
