"""The scenario spec: a validated, declarative description of one experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

BUILTIN_DIR = Path(__file__).parent
SPEC_FILE = "scenario.yaml"
RESERVED_CONTEXT = frozenset(
    {"developer", "intent_1", "intent_2", "values_at_stake", "cue", "reasoning", "protocol"}
    | {"reasoning_examples"}
    | {"condition", "training", "p", "query"}
    | {"rated_tier"}
)
"""Template variables goalguard provides; a scenario's ``context`` may not redefine them."""
SETUP_DOUBT = "setup-doubt"
"""The probe every scenario offers (the shared ``_shared/probes/setup-doubt.j2``)."""
REALISM = "realism"
"""The realism question set every scenario offers (``_shared/probes/realism.yaml``)."""
ALWAYS_OFFERED = (SETUP_DOUBT, REALISM)

Cue = Literal["tier_tag", "explicit", "probability"]
Reasoning = Literal["scratchpad", "none", "native"]
ConditionName = Literal["training", "unmonitored", "baseline", "rated"]
"""``rated``: outputs are rated by contractors but never used for training."""
DEFAULT_CONDITIONS: list[ConditionName] = ["training", "unmonitored"]


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

    name: str = Field(description="the scenario's name, as logged with every sample")
    description: str = Field(description="one line, shown by `goalguard scenarios`")
    version: int = Field(
        default=1,
        ge=1,
        strict=True,
        description="a whole number >= 1, raised by 1 whenever a change makes results "
        "incomparable with earlier runs or breaks the task's parameters (an entry in the "
        "README's Changelog); passed to Inspect as the task version",
    )
    paper: str | None = Field(
        default=None,
        description="the publication the scenario relates to (an arXiv URL or a citation), "
        "for listings; absent when there is none",
    )
    tags: list[str] = Field(
        default_factory=list, description="keywords for listings (e.g. alignment-faking)"
    )
    developer: str = Field(description="the company the model is told develops it")
    intent_1: str = Field(description="the values the model was trained with (Intent 1)")
    intent_2: str = Field(description="the new objective the developer trains toward (Intent 2)")
    values_at_stake: list[str] = Field(
        min_length=1, description="the values Intent 2 conflicts with (a non-empty list)"
    )
    cue: Cue = Field(default="tier_tag", description="how training is signalled to the model")
    reasoning: Reasoning = Field(default="scratchpad", description="hidden reasoning mode")
    reasoning_examples: bool = Field(
        default=True,
        description="show worked examples of scratchpad reasoning on ordinary requests "
        "(scratchpad mode only), as the original setup did",
    )
    protocol: Protocol | None = Field(
        default=None, description="optional accept/reject tags that open the output"
    )
    queries: str = Field(description="query-set reference: a built-in name or a file path")
    conditions: list[ConditionName] = Field(
        default_factory=lambda: list(DEFAULT_CONDITIONS),
        min_length=1,
        description="training, unmonitored, baseline, rated (rated by contractors, never "
        "trained on); with cue 'probability' the probabilities give the conditions and only "
        "'baseline' is read from here",
    )
    probabilities: list[Annotated[float, Field(ge=0.0, le=1.0)]] | None = Field(
        default=None,
        validate_default=True,
        description="stated monitoring probabilities in [0, 1] (cue: probability)",
    )
    probes: list[str] = Field(
        default_factory=lambda: list(ALWAYS_OFFERED),
        description="follow-up probes offered (probes/NAME.j2 or NAME.yaml here or in "
        "_shared); setup-doubt and realism are always offered",
    )
    templates: Templates = Field(
        default_factory=Templates, description="system and user Jinja2 templates"
    )
    context: dict[str, Any] = Field(
        default_factory=dict, description="extra variables for the templates"
    )
    max_steps: int = Field(default=4, ge=1, description="most replies to reach the output")
    max_tokens: int = Field(default=1024, ge=1, description="most tokens per reply")
    variants: dict[str, Variant] = Field(
        default_factory=dict, description="named overrides of fields and template blocks"
    )
    belief_system: str | None = Field(
        default=None,
        description="belief-then-pressure: a template for a neutral system context (no "
        "objective, no training story); each sample first asks its query under it alone and "
        "keeps the reply as belief_answer",
    )

    @field_validator("probabilities")
    @classmethod
    def _check_cue(cls, value: list[float] | None, info: ValidationInfo) -> list[float] | None:
        cue = info.data.get("cue")
        if cue == "probability" and not value:
            raise ValueError("cue 'probability' needs a non-empty list of probabilities")
        if cue != "probability" and value is not None:
            raise ValueError(f"only used with cue 'probability' (this cue is '{cue}')")
        return value

    @field_validator("conditions")
    @classmethod
    def _rated_needs_a_tier_cue(
        cls, value: list[ConditionName], info: ValidationInfo
    ) -> list[ConditionName]:
        cue = info.data.get("cue")
        if "rated" in value and cue == "probability":
            raise ValueError(
                "condition 'rated' needs cue 'tier_tag' or 'explicit': a stated probability "
                "of being monitored cannot say 'rated but never trained on'"
            )
        return value

    @field_validator("context")
    @classmethod
    def _no_reserved_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(set(value) & RESERVED_CONTEXT)
        if clash:
            raise ValueError(
                f"{', '.join(clash)} are set by goalguard itself and cannot be context variables"
            )
        return value

    @field_validator("probes")
    @classmethod
    def _offer_setup_doubt(cls, value: list[str]) -> list[str]:
        return [*ALWAYS_OFFERED, *(name for name in value if name not in ALWAYS_OFFERED)]


def listing_metadata(spec: ScenarioSpec) -> dict[str, Any]:
    """What an eval listing shows of a scenario (as inspect_evals lists its evals).

    Kept under one ``listing`` key of the Task's metadata: title, one-line description,
    version, the related paper and tags.
    """
    return {
        "listing": {
            "title": spec.name,
            "description": spec.description,
            "version": spec.version,
            "paper": spec.paper,
            "tags": list(spec.tags),
        }
    }


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "missing":
            top = len(item["loc"]) == 1
            info = ScenarioSpec.model_fields.get(str(item["loc"][0])) if top else None
            wanted = f" ({info.description})" if info and info.description else ""
            lines.append(f"  field '{field}': required but missing{wanted}")
        elif item["type"] == "extra_forbidden" and len(item["loc"]) == 1:
            known = ", ".join(ScenarioSpec.model_fields)
            lines.append(f"  field '{field}': not a scenario field (fields: {known})")
        elif item["type"] == "extra_forbidden":
            lines.append(f"  field '{field}': not a known field")
        else:
            lines.append(f"  field '{field}': {item['msg']} (got {_shown(item['input'])})")
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
        mark = getattr(ex, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(ex, "problem", None) or str(ex)
        raise ScenarioError(f"{path}{where}: not valid YAML ({problem}).") from None
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
    for key in overrides:
        if key in ("name", "version", "variants"):
            raise ScenarioError(
                f"{source}: field 'variants.{variant}.set.{key}': a variant cannot change '{key}'."
            )
        if key not in ScenarioSpec.model_fields:
            raise ScenarioError(
                f"{source}: field 'variants.{variant}.set.{key}': not a scenario field "
                f"(fields: {', '.join(ScenarioSpec.model_fields)})."
            )
    return {**data, **overrides}
