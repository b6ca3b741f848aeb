"""Paraphrases: hand-written rewordings of a scenario's system context, stored as data.

A scenario folder may hold ``paraphrases/*.yaml``, one file per paraphrase, numbered
1, 2, … in file-name order; paraphrase 0 is the original wording. Each file replaces
prose blocks of the *system* template with reworded Jinja text, rendered through the same
templates and variables as the original, so a variant still applies on top (a variant's
block wins over a paraphrase's) and the user turn, which carries the condition cue, is
never touched. A block may be one text, or a mapping from cue (``tier_tag``,
``explicit``, ``probability``) to text: under a cue the mapping lacks, the original
block is kept. ``base`` names another paraphrase file (relative to this one) whose
blocks this one starts from, so scenarios that share a context share its rewordings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from goalguard.scenarios.spec import Cue, ScenarioError

PARAPHRASE_DIR = "paraphrases"
PARAPHRASE_GLOB = "*.yaml"


class Paraphrase(BaseModel):
    """What one ``paraphrases/NAME.yaml`` holds."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", description="a note on how this rewording differs")
    base: str | None = Field(
        default=None,
        description="another paraphrase file, relative to this one, whose blocks this one "
        "starts from",
    )
    blocks: dict[str, str | dict[Cue, str]] = Field(
        default_factory=dict,
        description="system-template blocks to replace, by name: a text, or cue -> text",
    )


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden" and len(item["loc"]) == 1:
            known = ", ".join(Paraphrase.model_fields)
            lines.append(f"  field '{field}': not a paraphrase field (fields: {known})")
        else:
            lines.append(f"  field '{field}': {item['msg']}")
    return "\n".join(lines)


def paraphrase_files(folder: Path) -> list[Path]:
    """A scenario's paraphrase files, in order (paraphrase k is the k-th, from 1)."""
    return sorted((folder / PARAPHRASE_DIR).glob(PARAPHRASE_GLOB))


def read_paraphrase(path: Path, seen: frozenset[Path] = frozenset()) -> Paraphrase:
    """Read and validate one paraphrase file, with its ``base`` blocks merged in."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found.") from None
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{path}{where}: not valid YAML ({ex}).") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of fields (description, base, blocks).")
    try:
        paraphrase = Paraphrase.model_validate(data)
    except ValidationError as ex:
        raise ScenarioError(f"{path}: invalid paraphrase\n{_describe(ex)}") from None
    if paraphrase.base is None:
        return paraphrase
    base_path = (path.parent / paraphrase.base).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ScenarioError(f"{path}: field 'base': '{paraphrase.base}' refers back to itself.")
    if not base_path.is_file():
        raise ScenarioError(f"{path}: field 'base': no file '{paraphrase.base}' ({base_path}).")
    base = read_paraphrase(base_path, seen | {path.resolve()})
    return paraphrase.model_copy(update={"blocks": {**base.blocks, **paraphrase.blocks}})


def read_paraphrases(folder: Path) -> list[Paraphrase]:
    """Every paraphrase of a scenario folder, validated (a bad file names itself)."""
    return [read_paraphrase(path) for path in paraphrase_files(folder)]


def blocks_for_cue(paraphrase: Paraphrase, cue: str) -> dict[str, str]:
    """The block texts that apply under ``cue`` (cue-keyed blocks without it are dropped)."""
    out: dict[str, str] = {}
    for name, text in paraphrase.blocks.items():
        if isinstance(text, str):
            out[name] = text
        elif cue in text:
            out[name] = text[cue]  # type: ignore[index]
    return out
