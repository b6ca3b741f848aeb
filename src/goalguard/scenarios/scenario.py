"""Loading scenarios and rendering what the model sees under each condition."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

from goalguard.datasets import Query, QuerySetError, load_queries
from goalguard.scenarios.spec import (
    BUILTIN_DIR,
    SPEC_FILE,
    ScenarioError,
    ScenarioSpec,
    apply_variant,
    parse_spec,
    read_spec_file,
)

SHARED_DIR = BUILTIN_DIR / "_shared"
PROBES_DIR = "probes"


@dataclass(frozen=True)
class Condition:
    """One arm of the experiment: how the conversation is cued."""

    name: str
    """``training``, ``unmonitored``, ``baseline``, or ``p=<value>`` for intermediate p."""

    p: float | None = None
    """The stated probability that the conversation is monitored and trained on."""

    @property
    def training(self) -> bool | None:
        """Whether the model is told this conversation is used for training (None: not told)."""
        if self.name == "baseline":
            return None
        if self.p is not None:
            return self.p > 0
        return self.name == "training"


def probability_condition(p: float) -> Condition:
    if p == 1.0:
        return Condition("training", p)
    if p == 0.0:
        return Condition("unmonitored", p)
    return Condition(f"p={p:g}", p)


def builtin_scenarios() -> list[str]:
    """Names of the scenarios that ship with goalguard."""
    return sorted(
        p.parent.name for p in BUILTIN_DIR.glob(f"*/{SPEC_FILE}") if p.parent.name[0] not in "_."
    )


def _scenario_dir(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path).expanduser()
    if candidate.is_dir():
        if not (candidate / SPEC_FILE).exists():
            raise ScenarioError(f"{candidate}: no {SPEC_FILE} in this folder.")
        return candidate
    if candidate.name == SPEC_FILE and candidate.exists():
        return candidate.parent
    builtin = BUILTIN_DIR / str(name_or_path)
    if str(name_or_path) in builtin_scenarios():
        return builtin
    known = ", ".join(builtin_scenarios())
    raise ScenarioError(
        f"Unknown scenario '{name_or_path}': not a built-in scenario ({known}) "
        f"and not a folder holding {SPEC_FILE}."
    )


class Scenario:
    """A scenario spec with its variant applied, ready to render prompts and samples."""

    def __init__(
        self,
        folder: Path,
        spec: ScenarioSpec,
        variant: str | None = None,
        probabilities: list[float] | None = None,
    ) -> None:
        self.folder = folder
        self.spec = spec
        self.variant = variant
        self.source = str(folder / SPEC_FILE)
        self._probabilities = probabilities
        self._blocks = spec.variants[variant].blocks if variant else {}
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(folder), str(BUILTIN_DIR)]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        self._check_templates()

    @property
    def name(self) -> str:
        return self.spec.name

    # -- conditions ---------------------------------------------------------------------

    def conditions(self) -> list[Condition]:
        """The conditions every query runs under, in order."""
        if self.spec.cue == "probability":
            values = self._probabilities or self.spec.probabilities or []
            return [probability_condition(p) for p in values]
        return [Condition(name) for name in self.spec.conditions]

    # -- rendering ------------------------------------------------------------------------

    def _template(self, path: str) -> jinja2.Template:
        if not self._blocks:
            return self._env.get_template(path)
        own = set(self._env.get_template(path).blocks)
        overrides = {k: v for k, v in self._blocks.items() if k in own}
        if not overrides:
            return self._env.get_template(path)
        child = "".join(
            f"{{% block {name} %}}{text}{{% endblock %}}" for name, text in overrides.items()
        )
        return self._env.from_string(f'{{% extends "{path}" %}}{child}')

    def _check_templates(self) -> None:
        for role in ("system", "user"):
            path = getattr(self.spec.templates, role)
            try:
                self._env.get_template(path)
            except jinja2.TemplateNotFound:
                raise ScenarioError(
                    f"{self.source}: field 'templates.{role}': template '{path}' not found in "
                    f"{self.folder} or {BUILTIN_DIR}."
                ) from None
            except jinja2.TemplateSyntaxError as ex:
                raise ScenarioError(
                    f"{self.source}: field 'templates.{role}': '{path}' line {ex.lineno}: "
                    f"{ex.message}"
                ) from None
        known: set[str] = set()
        for path in (self.spec.templates.system, self.spec.templates.user):
            known |= set(self._env.get_template(path).blocks)
        unknown = sorted(set(self._blocks) - known)
        if unknown:
            raise ScenarioError(
                f"{self.source}: field 'variants.{self.variant}.blocks': no template block named "
                f"{', '.join(unknown)} (blocks: {', '.join(sorted(known))})."
            )

    def context(
        self, condition: Condition | None = None, query: str | None = None
    ) -> dict[str, Any]:
        """Variables available to every template."""
        spec = self.spec
        return {
            **spec.context,
            "developer": spec.developer,
            "intent_1": spec.intent_1.strip(),
            "intent_2": spec.intent_2.strip(),
            "values_at_stake": spec.values_at_stake,
            "cue": spec.cue,
            "reasoning": spec.reasoning,
            "protocol": spec.protocol,
            "condition": condition.name if condition else None,
            "training": condition.training if condition else None,
            "p": condition.p if condition else None,
            "query": query,
        }

    def _render(self, path: str, **context: Any) -> str:
        try:
            text = self._template(path).render(**context)
        except jinja2.UndefinedError as ex:
            raise ScenarioError(f"{self.source}: template '{path}': {ex.message}") from None
        # Empty blocks leave runs of blank lines; keep at most one.
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    @cached_property
    def system_prompt(self) -> str:
        """The system context, identical under every condition."""
        return self._render(self.spec.templates.system, **self.context())

    def user_turn(self, query: str, condition: Condition) -> str:
        """The user turn for one query under one condition (the cue lives here)."""
        return self._render(self.spec.templates.user, **self.context(condition, query))

    def probe(self, name: str) -> str:
        """The text of a follow-up probe, from the scenario's or the shared probes folder."""
        path = f"{PROBES_DIR}/{name}.j2"
        for root in (self.folder, SHARED_DIR):
            if (root / path).exists():
                template = path if root == self.folder else f"_shared/{path}"
                return self._render(template, **self.context())
        shared = sorted(p.stem for p in (SHARED_DIR / PROBES_DIR).glob("*.j2"))
        raise ScenarioError(f"Unknown probe '{name}' (available: {', '.join(shared)}).")

    # -- queries --------------------------------------------------------------------------

    def queries(self) -> list[Query]:
        try:
            return load_queries(self.spec.queries, base_dir=self.folder)
        except QuerySetError as ex:
            raise ScenarioError(f"{self.source}: field 'queries': {ex}") from None


def load_scenario(
    name_or_path: str | Path,
    variant: str | None = None,
    developer: str | None = None,
    probabilities: list[float] | None = None,
) -> Scenario:
    """Load a built-in scenario by name, or a user's scenario folder, and validate it.

    Args:
        name_or_path: A built-in name (``helpful-only``) or a folder with ``scenario.yaml``.
        variant: A named variant of the scenario.
        developer: Override the developer the model is told about.
        probabilities: Override the stated monitoring probabilities (cue ``probability``).
    """
    folder = _scenario_dir(name_or_path)
    source = str(folder / SPEC_FILE)
    data = apply_variant(read_spec_file(folder / SPEC_FILE), variant, source)
    if developer:
        data = {**data, "developer": developer}
    spec = parse_spec(data, source)
    if probabilities is not None and spec.cue != "probability":
        raise ScenarioError(
            f"{source}: -T p=… needs a scenario whose cue is 'probability' (this one is "
            f"'{spec.cue}')."
        )
    return Scenario(folder, spec, variant=variant, probabilities=probabilities)
