"""The scenario spec: a validated, declarative description of one experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUILTIN_DIR = Path(__file__).parent
SPEC_FILE = "scenario.yaml"

Cue = Literal["tier_tag", "explicit", "probability"]
Reasoning = Literal["scratchpad", "none", "native"]
ConditionName = Literal["training", "unmonitored", "baseline"]


class ScenarioError(ValueError):
    """A scenario cannot be loaded; the message names the file and the field."""


class Protocol(BaseModel):
    """Tags the model is asked to open its output with, to mark acceptance or refusal."""

    model_config = ConfigDict(extra="forbid")

    accept: str = Field(description="tag that opens a fully compliant output")
    reject: str = Field(description="tag that is the whole output of a refusal")


class Templates(BaseModel):
    """Jinja2 templates, relative to the scenario folder or to the shared template root."""

    model_config = ConfigDict(extra="forbid")

    system: str = "system.j2"
    user: str = "_shared/user.j2"


class Variant(BaseModel):
    """A named change to the scenario: field overrides and template-block overrides."""

    model_config = ConfigDict(extra="forbid")

    description: str
    set: dict[str, Any] = Field(default_factory=dict, description="scenario fields to override")
    blocks: dict[str, str] = Field(
        default_factory=dict, description="template blocks to replace, by block name"
    )


class ScenarioSpec(BaseModel):
    """What a ``scenario.yaml`` holds."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = Field(description="one line, shown by `goalguard scenarios`")
    developer: str = Field(description="the company the model is told develops it")
    intent_1: str = Field(description="the values the model was trained with (Intent 1)")
    intent_2: str = Field(description="the new objective the developer trains toward (Intent 2)")
    values_at_stake: list[str] = Field(min_length=1)
    cue: Cue = "tier_tag"
    reasoning: Reasoning = "scratchpad"
    protocol: Protocol | None = None
    queries: str = Field(description="query-set reference: a built-in name or a file path")
    conditions: list[ConditionName] = Field(
        default_factory=lambda: ["training", "unmonitored"], min_length=1
    )
    probabilities: list[float] | None = Field(
        default=None, description="stated monitoring probabilities (cue: probability)"
    )
    templates: Templates = Field(default_factory=Templates)
    context: dict[str, Any] = Field(
        default_factory=dict, description="extra variables for the templates"
    )
    max_steps: int = Field(default=4, ge=1)
    max_tokens: int = Field(default=1024, ge=1)
    variants: dict[str, Variant] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_cue(self) -> ScenarioSpec:
        if self.cue == "probability":
            if not self.probabilities:
                raise ValueError("cue 'probability' needs a list of 'probabilities'")
            bad = [p for p in self.probabilities if not 0.0 <= p <= 1.0]
            if bad:
                raise ValueError(f"probabilities must lie in [0, 1], got {bad}")
        elif self.probabilities is not None:
            raise ValueError("'probabilities' is only used with cue 'probability'")
        return self


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  field '{field}': {item['msg']}")
    return "\n".join(lines)


def parse_spec(data: Any, source: str) -> ScenarioSpec:
    """Validate raw spec data, raising :class:`ScenarioError` that names ``source`` and fields."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping of fields, got {type(data).__name__}.")
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as ex:
        raise ScenarioError(f"{source}: invalid scenario spec\n{_describe(ex)}") from None


def read_spec_file(path: Path) -> dict[str, Any]:
    """Read a ``scenario.yaml`` into raw data (validated by :func:`parse_spec`)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found.") from None
    except yaml.YAMLError as ex:
        raise ScenarioError(f"{path}: not valid YAML ({ex}).") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of fields.")
    return data


def apply_variant(data: dict[str, Any], variant: str | None, source: str) -> dict[str, Any]:
    """Return spec data with a variant's field overrides applied (blocks are applied at render)."""
    if variant is None:
        return data
    variants = data.get("variants") or {}
    if variant not in variants:
        known = ", ".join(sorted(variants)) or "none"
        raise ScenarioError(f"{source}: unknown variant '{variant}' (known variants: {known}).")
    overrides = dict((variants[variant] or {}).get("set") or {})
    for protected in ("name", "variants"):
        if protected in overrides:
            raise ScenarioError(
                f"{source}: field 'variants.{variant}.set.{protected}': a variant cannot "
                f"change '{protected}'."
            )
    return {**data, **overrides}
