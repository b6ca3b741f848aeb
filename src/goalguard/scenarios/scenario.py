"""Loading scenarios and rendering what the model sees under each condition."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.bccache import Bucket, BytecodeCache

from goalguard.datasets import Query, QuerySetError, load_queries
from goalguard.scenarios.paraphrase import (
    PARAPHRASE_DIR,
    blocks_for_cue,
    paraphrase_files,
    read_paraphrase,
    read_paraphrases,
)
from goalguard.scenarios.probes import (
    QUESTION_SET_SUFFIX,
    ProbeQuestion,
    read_question_set,
)
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
TIER_POLICY_BLOCK = "data_policy"
"""The system block that words the tiers and which of them are trained on."""
PROBES_DIR = "probes"

_ENV_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "keep_trailing_newline": False,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": False,
}


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by every scenario's environment, keyed by name and file
    and checked against the source, so a scenario loaded again is not compiled again."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()
_PARSER = jinja2.Environment(**_ENV_OPTIONS)


@lru_cache(maxsize=1024)
def _parse(source: str) -> nodes.Template:
    """A template's syntax tree (read, never changed, by the block walks)."""
    return _PARSER.parse(source)


@dataclass(frozen=True)
class Condition:
    """One arm of the experiment: how the conversation is cued."""

    name: str
    """``training``, ``unmonitored``, ``baseline``, ``rated`` (rated, never trained on), or
    ``p=<value>`` for intermediate p."""

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
        paraphrase: int = 0,
    ) -> None:
        self.folder = folder
        self.paraphrase = paraphrase
        """0: the original wording; k: the k-th file in ``paraphrases/``."""
        self._layers: dict[str, str] = {}  # in-memory templates: the paraphrase layer
        self.spec = spec
        self.variant = variant
        self.source = str(folder / SPEC_FILE)
        self._probabilities = probabilities
        self._blocks = spec.variants[variant].blocks if variant else {}
        self._queries: list[Query] | None = None
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.DictLoader(self._layers),
                    jinja2.FileSystemLoader([str(folder), str(BUILTIN_DIR)]),
                ]
            ),
            bytecode_cache=_BYTECODE,
            **_ENV_OPTIONS,
        )
        self._check_templates()
        self._system_path = self._paraphrase_layer()
        self._check_probes()

    @property
    def name(self) -> str:
        return self.spec.name

    # -- conditions ---------------------------------------------------------------------

    def conditions(self) -> list[Condition]:
        """The conditions every query runs under, in order."""
        if self.spec.cue == "probability":
            values = self._probabilities or self.spec.probabilities or []
            extra = [Condition("baseline")] if "baseline" in self.spec.conditions else []
            return [probability_condition(p) for p in values] + extra
        return [Condition(name) for name in self.spec.conditions]

    # -- rendering ------------------------------------------------------------------------

    def _template_chain(self, path: str) -> Iterator[nodes.Template]:
        """The parsed template at ``path``, then each template it extends, in turn."""
        seen: set[str] = set()
        current: str | None = path
        while current and current not in seen:
            seen.add(current)
            source, _, _ = self._env.loader.get_source(self._env, current)  # type: ignore[union-attr]
            tree = _parse(source)
            yield tree
            parent = next(tree.find_all(nodes.Extends), None)
            current = (
                str(parent.template.value)
                if parent and isinstance(parent.template, nodes.Const)
                else None
            )

    def block_names(self, path: str) -> set[str]:
        """Names of the blocks a template defines, its parent templates' included."""
        chain = self._template_chain(path)
        return {block.name for tree in chain for block in tree.find_all(nodes.Block)}

    def _template(self, path: str) -> jinja2.Template:
        if not self._blocks:
            return self._env.get_template(path)
        own = self.block_names(path)
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
            known |= self.block_names(path)
        unknown = sorted(set(self._blocks) - known)
        if unknown:
            raise ScenarioError(
                f"{self.source}: field 'variants.{self.variant}.blocks': no template block named "
                f"{', '.join(unknown)} (blocks: {', '.join(sorted(known))})."
            )

    def _paraphrase_layer(self) -> str:
        """Register the paraphrase's blocks as a template extending the system template."""
        system = self.spec.templates.system
        if not self.paraphrase:
            return system
        files = paraphrase_files(self.folder)
        if not 0 < self.paraphrase <= len(files):
            raise ScenarioError(
                f"{self.source}: paraphrase {self.paraphrase} does not exist: this scenario has "
                f"{len(files)} paraphrase(s) in {self.folder / PARAPHRASE_DIR}."
            )
        path = files[self.paraphrase - 1]
        blocks = blocks_for_cue(read_paraphrase(path), self.spec.cue)
        if "rated" in self.spec.conditions:
            # Paraphrases reword the two-tier policy; the rated tier's three-tier policy
            # keeps its original wording rather than lose the evaluation tier.
            blocks.pop(TIER_POLICY_BLOCK, None)
        own = self.block_names(system)
        unknown = sorted(set(blocks) - own)
        if unknown:
            raise ScenarioError(
                f"{path}: field 'blocks.{unknown[0]}': no block of that name in the system "
                f"template '{system}' (blocks: {', '.join(sorted(own))})."
            )
        layer = f"{PARAPHRASE_DIR}/{path.name}:{system}"
        self._layers[layer] = f'{{% extends "{system}" %}}' + "".join(
            f"{{% block {name} %}}{text}{{% endblock %}}" for name, text in blocks.items()
        )
        try:
            replaced = _parse(self._layers[layer])
        except jinja2.TemplateSyntaxError as ex:
            raise ScenarioError(f"{path}: field 'blocks': line {ex.lineno}: {ex.message}") from None
        # A block nested in a replaced block must survive, or a variant replacing it is lost.
        kept = {block.name for block in replaced.find_all(nodes.Block)}
        lost = sorted(self._nested_blocks(system, set(blocks)) - kept)
        if lost:
            raise ScenarioError(
                f"{path}: field 'blocks': the rewording drops the nested block(s) "
                f"{', '.join(lost)}; keep them as {{% block NAME %}}…{{% endblock %}}."
            )
        return layer

    def _nested_blocks(self, path: str, names: set[str]) -> set[str]:
        """Blocks that sit inside the blocks ``names`` anywhere in ``path``'s chain."""
        return {
            inner.name
            for tree in self._template_chain(path)
            for block in tree.find_all(nodes.Block)
            if block.name in names
            for inner in block.find_all(nodes.Block)
        }

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
            "reasoning_examples": spec.reasoning_examples,
            "protocol": spec.protocol,
            "condition": condition.name if condition else None,
            "training": condition.training if condition else None,
            "p": condition.p if condition else None,
            "query": query,
            "rated_tier": "rated" in spec.conditions,
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
        return self._render(self._system_path, **self.context())

    @cached_property
    def belief_system_prompt(self) -> str | None:
        """The neutral system context of the belief step (``belief_system``), if any."""
        path = self.spec.belief_system
        if not path:
            return None
        try:
            return self._render(path, **self.context())
        except jinja2.TemplateNotFound:
            raise ScenarioError(
                f"{self.source}: field 'belief_system': template '{path}' not found in "
                f"{self.folder} or {BUILTIN_DIR}."
            ) from None

    def user_turn(self, query: str, condition: Condition) -> str:
        """The user turn for one query under one condition (the cue lives here)."""
        return self._render(self.spec.templates.user, **self.context(condition, query))

    def _probe_template(self, name: str) -> str | None:
        for suffix in (".j2", QUESTION_SET_SUFFIX):  # one question, or a question set
            path = f"{PROBES_DIR}/{name}{suffix}"
            if (self.folder / path).exists():
                return path
            if (SHARED_DIR / path).exists():
                return f"_shared/{path}"
        return None

    def _check_probes(self) -> None:
        missing = [name for name in self.spec.probes if self._probe_template(name) is None]
        if missing:
            shared = sorted(p.stem for p in (SHARED_DIR / PROBES_DIR).glob("*.*"))
            raise ScenarioError(
                f"{self.source}: field 'probes': no template for {', '.join(missing)} (looked "
                f"for {PROBES_DIR}/NAME.j2 in {self.folder}; shared probes: {', '.join(shared)})."
            )

    def probe(self, name: str) -> str:
        """The text of a follow-up probe the scenario offers (its ``probes`` field); for a
        question set, its first question (see :meth:`probe_questions`)."""
        return self.probe_questions(name)[0].text

    def probe_questions(self, name: str) -> list[ProbeQuestion]:
        """A probe's questions, rendered: one for ``NAME.j2``, the set for ``NAME.yaml``."""
        template = self._probe_template(name) if name in self.spec.probes else None
        if template is None:
            raise ScenarioError(
                f"{self.source}: unknown probe '{name}' (this scenario offers: "
                f"{', '.join(self.spec.probes)})."
            )
        if not template.endswith(QUESTION_SET_SUFFIX):
            return [ProbeQuestion(name, name, self._render(template, **self.context()))]
        root = self.folder if (self.folder / template).exists() else BUILTIN_DIR
        questions = read_question_set(root / template).questions
        context = self.context()
        return [
            ProbeQuestion(name, q.id, self._render_text(q.text, f"{template}#{q.id}", context))
            for q in questions
        ]

    def _render_text(self, text: str, where: str, context: dict[str, Any]) -> str:
        try:
            rendered = self._env.from_string(text).render(**context)
        except jinja2.TemplateError as ex:
            raise ScenarioError(f"{self.source}: probe '{where}': {ex}") from None
        return re.sub(r"\s+", " ", rendered).strip()

    # -- queries --------------------------------------------------------------------------

    def queries(self) -> list[Query]:
        """The scenario's query set (read once)."""
        if self._queries is None:
            try:
                self._queries = load_queries(self.spec.queries, base_dir=self.folder)
            except QuerySetError as ex:
                raise ScenarioError(f"{self.source}: field 'queries': {ex}") from None
        return list(self._queries)

    def validate(self) -> None:
        """Render everything the model can see, so that a broken template fails now."""
        example = self.queries()[0].query
        _ = self.system_prompt
        seen: dict[str, str] = {}
        for condition in self.conditions():
            turn = self.user_turn(example, condition)
            if turn in seen:  # e.g. a user template that does not word the rated tier
                raise ScenarioError(
                    f"{self.source}: field 'templates.user': conditions '{seen[turn]}' and "
                    f"'{condition.name}' render the same user turn ('{self.spec.templates.user}' "
                    "must word a cue for each condition)."
                )
            seen[turn] = condition.name
        for name in self.spec.probes:
            self.probe_questions(name)
        _ = self.belief_system_prompt


def load_scenario(
    name_or_path: str | Path,
    variant: str | None = None,
    developer: str | None = None,
    probabilities: list[float] | None = None,
    examples: bool | None = None,
    paraphrase: int = 0,
) -> Scenario:
    """Load a built-in scenario by name, or a user's scenario folder, and validate it.

    Args:
        name_or_path: A built-in name (``helpful-only``) or a folder with ``scenario.yaml``.
        variant: A named variant of the scenario.
        developer: Override the developer the model is told about.
        probabilities: Override the stated monitoring probabilities (cue ``probability``).
        examples: Override ``reasoning_examples`` (the worked scratchpad examples).
        paraphrase: 0 for the original system context, k for the k-th file in the
            scenario's ``paraphrases/`` folder (see :mod:`goalguard.scenarios.paraphrase`).
    """
    folder = _scenario_dir(name_or_path)
    source = str(folder / SPEC_FILE)
    raw = read_spec_file(folder / SPEC_FILE)
    if developer:
        raw = {**raw, "developer": developer}
    if examples is not None:
        raw = {**raw, "reasoning_examples": examples}
    base = parse_spec(raw, source)
    # Every variant is checked, not only the one asked for, so a broken variant shows at once.
    specs: dict[str | None, ScenarioSpec] = {None: base}
    for variant_name in base.variants:
        specs[variant_name] = parse_spec(
            apply_variant(raw, variant_name, source), f"{source} (variant '{variant_name}')"
        )
    if variant is not None and variant not in specs:
        apply_variant(raw, variant, source)  # raises: unknown variant, naming the known ones
    bad = [p for p in probabilities or [] if not 0.0 <= p <= 1.0]
    if bad or probabilities == []:
        raise ScenarioError(f"-T p=…: probabilities must be numbers in [0, 1], got {bad or '[]'}.")
    if probabilities is not None and specs[variant].cue != "probability":
        raise ScenarioError(
            f"{source}: -T p=… needs a scenario whose cue is 'probability' (this one is "
            f"'{specs[variant].cue}')."
        )
    read_paraphrases(folder)  # every paraphrase file is validated, as every variant is
    for key, spec in specs.items():
        if key != variant:
            # checks templates, blocks and probes (and that the paraphrase fits every variant)
            Scenario(folder, spec, variant=key, paraphrase=paraphrase)
    scenario = Scenario(
        folder, specs[variant], variant=variant, probabilities=probabilities, paraphrase=paraphrase
    )
    scenario.validate()
    return scenario


def paraphrase_count(name_or_path: str | Path) -> int:
    """How many paraphrases a scenario has (files in its ``paraphrases/`` folder)."""
    return len(paraphrase_files(_scenario_dir(name_or_path)))
