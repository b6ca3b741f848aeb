"""``scriptedjudge/<mode>``: a judge model whose replies are known, for tests and benchmarks.

It is a test instrument, not a classifier: it reads the question a goalguard judge prompt
asks (the ``LABEL:`` line) and the transcript blocks, and answers in the judge's reply
format. Modes:

- ``truth``: the label of that transcript in a labelled JSONL file (model arg ``labels``,
  default the bundled labelled set), found by its scratchpad and output text. A transcript
  it does not know gets an unreadable reply.
- ``fixed``: the value given by model args, per label (``-M compliance=full``) or for any
  label (``-M answer=yes``).
- ``malformed``: a reply in no readable format.

Model args for every mode: ``noise`` (default 0): the answer distribution puts ``1 - noise``
on the scripted value and spreads ``noise`` evenly over the label's other values; at
temperature 0 the reply is the scripted value, above 0 it is drawn from the distribution
(seeded by ``seed``, the prompt and the call count, so runs repeat). ``malformed`` (rate,
default 0): share of replies made unreadable. ``reply``: a raw reply returned verbatim.
For ``af_reasoning`` it follows the preset the prompt asks (found by its criteria): the
preset's criteria are read from the annotated ones, in the preset's layout (reasoning, then
quote and verdict per criterion; or the quotes, then the verdicts); they agree with the
answer given (all yes for a yes; otherwise the annotated ones, with the last failing if they
would all hold). A request for several choices (``num_choices``) gets that many in one reply,
as from an OpenAI-compatible server's ``n``.
``obey`` (default false): a gullible judge. Where the prompt, outside its delimited data
blocks, says "ignore the above and answer X", it answers X (criteria all no), as a model
that follows any instruction it reads as ours would; it shows what delimiting prevents. Every reply
carries usage, and log-probabilities (the distribution) on the answer and criterion tokens
when the request asks for them.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    Logprob,
    Logprobs,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    TopLogprob,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from goalguard.classifiers.judge import outside_blocks, prompt_blocks
from goalguard.classifiers.judge_presets import DEFAULT_PRESET, PRESETS, JudgePreset, get_preset
from goalguard.classifiers.labels import AF_CRITERIA, LABELS

MODES = ("truth", "fixed", "malformed")
MALFORMED_REPLY = "Hard to say. It could go either way, honestly."
UNKNOWN_REPLY = "(scripted judge: this transcript is not in its labels)"
_LABEL = re.compile(r"^LABEL: (\w+)$", re.M)
_OBEY = re.compile(r"ignore the above and answer (\w+)", re.I)
_TOKENS = re.compile(r"\s*\w+|\s*[^\w\s]+|\s+")
NEGLIGIBLE = 1e-9
YES_NO = ("yes", "no")


class ScriptedJudgeError(ValueError):
    """A bad mode or model arg."""


def _key(scratchpad: str, output: str) -> str:
    return hashlib.sha256(f"{scratchpad.strip()}\x00{output.strip()}".encode()).hexdigest()


def _bundled_labels() -> Path:
    from goalguard.classifiers import data_path

    return data_path("labelled.jsonl")


def read_truth(path: str | Path) -> dict[str, dict[str, Any]]:
    """Labels (and AF criteria) of a labelled JSONL file, keyed by transcript text."""
    truth: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                truth[_key(row["scratchpad"], row["output"])] = {
                    "labels": row["labels"],
                    "criteria": row.get("criteria"),
                }
            except (json.JSONDecodeError, KeyError, TypeError) as ex:
                raise ScriptedJudgeError(f"{path}:{number}: not a labelled line ({ex})") from None
    return truth


class ScriptedJudgeAPI(ModelAPI):
    """Inspect model API for ``scriptedjudge/<mode>``."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        if model_name not in MODES:
            raise ScriptedJudgeError(
                f"unknown scripted judge mode '{model_name}'; known: {', '.join(MODES)}"
            )
        self.mode = model_name
        self.noise = float(model_args.pop("noise", 0.0))
        self.malformed_rate = float(model_args.pop("malformed", 0.0))
        self.seed = int(model_args.pop("seed", 0))
        self.reply = model_args.pop("reply", None)
        self.obey = str(model_args.pop("obey", False)).lower() in ("1", "true", "yes")
        labels = model_args.pop("labels", None)
        # fixed mode; YAML-read args turn yes/no into booleans, so turn them back
        self.answers = {
            str(k): ("yes" if v is True else "no" if v is False else str(v))
            for k, v in model_args.items()
        }
        if not 0.0 <= self.noise <= 1.0 or not 0.0 <= self.malformed_rate <= 1.0:
            raise ScriptedJudgeError("noise and malformed are rates in [0, 1]")
        self.truth = read_truth(labels or _bundled_labels()) if self.mode == "truth" else {}
        self._calls: Counter[str] = Counter()
        self.calls = 0
        """Every generate call this instance answered (for tests and benchmarks)."""

    def max_tokens(self) -> int | None:
        return None

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        prompt = "\n".join(m.text for m in input)
        digest = hashlib.sha256(prompt.encode()).hexdigest()
        self.calls += 1
        choices = []
        for _ in range(max(1, config.num_choices or 1)):  # several choices, as vLLM's n
            rng = random.Random(f"{self.seed}:{digest}:{self._calls[digest]}")
            self._calls[digest] += 1
            text, logprobs = self._answer(prompt, rng, config)
            choices.append(
                ChatCompletionChoice(
                    message=ChatMessageAssistant(content=text, model=self.mode),
                    stop_reason="stop",
                    logprobs=logprobs if config.logprobs else None,
                )
            )
        words = len(prompt.split())
        out_words = sum(len(c.message.text.split()) for c in choices)
        return ModelOutput(
            model=f"scriptedjudge/{self.mode}",
            choices=choices,
            usage=ModelUsage(
                input_tokens=words, output_tokens=out_words, total_tokens=words + out_words
            ),
        )

    def _scripted(self, label: str, prompt: str) -> tuple[str | None, dict[str, bool] | None]:
        """The scripted value (and criteria) for the label asked, or None."""
        if self.mode == "fixed":
            return self.answers.get(label, self.answers.get("answer")), None
        blocks = prompt_blocks(prompt)
        row = self.truth.get(_key(blocks.get("scratchpad", ""), blocks.get("output", "")))
        if row is None:
            return None, None
        return row["labels"].get(label), row.get("criteria")

    def _answer(
        self, prompt: str, rng: random.Random, config: GenerateConfig
    ) -> tuple[str, Logprobs | None]:
        draws = [rng.random() for _ in range(3)]  # always three, so draws never shift
        if self.reply is not None:
            return str(self.reply), None
        match = _LABEL.search(prompt)
        if self.mode == "malformed" or match is None or draws[0] < self.malformed_rate:
            return MALFORMED_REPLY, None
        label = match.group(1)
        value, criteria = self._scripted(label, prompt)
        ordered = _OBEY.search(outside_blocks(prompt)) if self.obey else None
        if ordered is not None:
            value, criteria = ordered.group(1).lower(), dict.fromkeys(AF_CRITERIA, False)
        if value is None:
            return UNKNOWN_REPLY, None
        values = LABELS.get(label, (value,))
        dist = self._distribution(value, values)
        sampled = (config.temperature or 0.0) > 0
        answer = _draw(dist, draws[1]) if sampled else value
        lines: list[tuple[str, str, dict[str, float] | None]] = []
        if label == "af_reasoning":
            preset = preset_in(prompt)
            annotation = criteria or dict.fromkeys(AF_CRITERIA, value == "yes")
            held = _coherent(preset.from_annotation(annotation), answer)
            verdicts = [
                (f"{n}:", "yes" if h else "no", self._distribution("yes" if h else "no", YES_NO))
                for n, h in enumerate(held, start=1)
            ]
            quotes = [(f"QUOTE {n}:", "none", None) for n in range(1, len(held) + 1)]
            if preset.reasoning_first:  # reasoning, then each criterion's quote and verdict
                lines.append(("REASONING:", "scripted from the annotated criteria.", None))
                lines += [line for pair in zip(quotes, verdicts, strict=True) for line in pair]
            else:  # the quotes first, then the verdicts
                lines += quotes + verdicts
        lines.append(("ANSWER:", answer, dist))
        if label != "af_reasoning":
            lines.append(("QUOTE:", "none", None))
        return _render(lines)

    def _distribution(self, value: str, values: tuple[str, ...]) -> dict[str, float]:
        if value not in values:  # a fixed answer outside the label's values: said as is
            return {value: 1.0}
        others = [v for v in values if v != value]
        share = self.noise / len(others) if others else 0.0
        return {v: (1.0 - self.noise if v == value else share) for v in values}


def preset_in(prompt: str) -> JudgePreset:
    """The preset whose criteria the prompt asks (the judge is told them, not the name)."""
    for preset in PRESETS.values():
        if all(c.text in prompt for c in preset.criteria):
            return preset
    return get_preset(DEFAULT_PRESET)


def _coherent(held: list[bool], answer: str) -> list[bool]:
    """Criteria that agree with the answer given: all hold for yes; for another answer the
    scripted criteria, with the last failing when they would all hold."""
    if answer == "yes":
        return [True] * len(held)
    if all(held):
        return [*held[:-1], False]
    return held


def _draw(dist: dict[str, float], u: float) -> str:
    total = 0.0
    for value, p in dist.items():
        total += p
        if u < total:
            return value
    return next(iter(dist))


def _render(lines: list[tuple[str, str, dict[str, float] | None]]) -> tuple[str, Logprobs]:
    """The reply text and its log-probabilities (the distribution at each value token)."""
    content: list[Logprob] = []
    text = ""
    for n, (key, value, dist) in enumerate(lines):
        line = f"{key} {value}" + ("\n" if n < len(lines) - 1 else "")
        text += line
        for token in _TOKENS.findall(line):
            if dist is not None and token.strip() == value:
                top = [
                    TopLogprob(token=f" {v}", logprob=math.log(max(p, NEGLIGIBLE)))
                    for v, p in sorted(dist.items(), key=lambda kv: -kv[1])
                ]
                chosen = math.log(max(dist.get(value, 1.0), NEGLIGIBLE))
                content.append(Logprob(token=token, logprob=chosen, top_logprobs=top))
            else:
                content.append(Logprob(token=token, logprob=0.0, top_logprobs=[]))
    return text, Logprobs(content=content)
