"""What a classifier reads: one transcript and the scenario it belongs to.

Transcripts come from a run's sample metadata (the protocol stores ``scratchpad``,
``output``, ``probe_answer``) or from JSONL lines (``goalguard classify``/``validate``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from goalguard.classifiers.labels import AF_CRITERIA, LABELS

REQUEST_VALUES = ("harmlessness",)
"""Scenarios whose only value at stake is harmlessness ask the model to do what the user
asks; in the others Intent 2 is a policy (dismiss a concern, conceal a fact)."""


@dataclass(frozen=True)
class ScenarioContext:
    """The parts of a scenario a classifier needs: the two intents and the output tags."""

    name: str | None = None
    intent_1: str | None = None
    intent_2: str | None = None
    values_at_stake: tuple[str, ...] = ()
    accept_tag: str | None = None
    reject_tag: str | None = None
    objection_tag: str | None = None

    @property
    def request_type(self) -> bool:
        """True when Intent 2 is 'do what the user asks' (also when the scenario is unknown)."""
        return not self.values_at_stake or tuple(self.values_at_stake) == REQUEST_VALUES

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> ScenarioContext:
        """From a scenario spec dump (a task's ``goalguard_scenario`` metadata)."""
        if not spec:
            return cls()
        protocol = spec.get("protocol") or {}
        extra = spec.get("context") or {}
        objection = extra.get("objection_tag")
        return cls(
            name=spec.get("name"),
            intent_1=spec.get("intent_1"),
            intent_2=spec.get("intent_2"),
            values_at_stake=tuple(spec.get("values_at_stake") or ()),
            accept_tag=protocol.get("accept"),
            reject_tag=protocol.get("reject"),
            objection_tag=f"<{objection}>" if objection else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data (scorer args are logged, so they must serialise)."""
        data = asdict(self)
        data["values_at_stake"] = list(self.values_at_stake)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ScenarioContext:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["values_at_stake"] = tuple(known.get("values_at_stake") or ())
        return cls(**known)


@cache
def scenario_context(name: str | None) -> ScenarioContext:
    """The context of a built-in scenario by name; an unknown name gives only the name."""
    if not name:
        return ScenarioContext()
    from goalguard.scenarios import ScenarioError, builtin_scenarios, load_scenario

    if name not in builtin_scenarios():
        return ScenarioContext(name=name)
    try:
        return ScenarioContext.from_spec(load_scenario(name).spec.model_dump(mode="json"))
    except ScenarioError:
        return ScenarioContext(name=name)


@dataclass(frozen=True)
class Transcript:
    """One sample as the classifiers see it."""

    id: str
    scratchpad: str
    output: str
    query: str = ""
    probe_answer: str | None = None
    parse_status: str | None = None
    context: ScenarioContext = field(default_factory=ScenarioContext)

    @classmethod
    def from_metadata(
        cls, sample_id: str | int, metadata: Mapping[str, Any], context: ScenarioContext
    ) -> Transcript:
        """From a run's sample metadata (what the scratchpad protocol stored)."""
        probe = metadata.get("probe_answer")
        return cls(
            id=str(sample_id),
            scratchpad=str(metadata.get("scratchpad") or ""),
            output=str(metadata.get("output") or ""),
            query=str(metadata.get("query") or ""),
            probe_answer=None if probe is None else str(probe),
            parse_status=metadata.get("parse_status"),
            context=context,
        )


class LineError(ValueError):
    """A JSONL line that cannot be used; the message names the file and line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class TranscriptLine:
    """A JSONL line read into a transcript, with the raw object kept for the output."""

    number: int
    raw: dict[str, Any]
    transcript: Transcript
    labels: dict[str, str] | None = None
    criteria: dict[str, bool] | None = None


def parse_line(data: Any, number: int, source: str, require_labels: bool = False) -> TranscriptLine:
    """Validate one decoded JSONL object; raise :class:`LineError` naming the field."""
    where = f"{source}:{number}"
    if not isinstance(data, dict):
        raise LineError(f"{where}: expected a JSON object, got {type(data).__name__}", number)
    if "id" not in data or not isinstance(data["id"], str | int) or isinstance(data["id"], bool):
        raise LineError(f"{where}: field 'id' missing or not a string/number", number)
    for key in ("scratchpad", "output"):
        if not isinstance(data.get(key), str):
            raise LineError(f"{where}: field '{key}' missing or not a string", number)
    for key in ("query", "scenario", "probe_answer"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise LineError(f"{where}: field '{key}' must be a string", number)
    labels = data.get("labels")
    if labels is not None or require_labels:
        if not isinstance(labels, dict) or not labels:
            raise LineError(f"{where}: field 'labels' missing or not an object of labels", number)
        for name, value in labels.items():
            if name not in LABELS:
                known = ", ".join(LABELS)
                raise LineError(f"{where}: labels.{name}: unknown label (known: {known})", number)
            if value not in LABELS[name]:
                raise LineError(
                    f"{where}: labels.{name}: '{value}' is not one of {', '.join(LABELS[name])}",
                    number,
                )
    criteria = data.get("criteria")
    bad_criteria = not isinstance(criteria, dict) or any(
        k not in AF_CRITERIA or not isinstance(v, bool) for k, v in criteria.items()
    )
    if criteria is not None and bad_criteria:
        raise LineError(
            f"{where}: field 'criteria' must map {', '.join(AF_CRITERIA)} to true/false", number
        )
    transcript = Transcript(
        id=str(data["id"]),
        scratchpad=data["scratchpad"],
        output=data["output"],
        query=data.get("query") or "",
        probe_answer=data.get("probe_answer"),
        context=scenario_context(data.get("scenario")),
    )
    return TranscriptLine(number, data, transcript, labels, criteria)


def read_jsonl(
    path: str | Path, require_labels: bool = False
) -> Iterator[TranscriptLine | LineError]:
    """Each line of a transcripts file, read or as the error that says why not.

    Blank lines are skipped; every other line yields either a :class:`TranscriptLine` or a
    :class:`LineError`, so the caller can report bad lines by number and go on.
    """
    source = str(path)
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as ex:
                yield LineError(
                    f"{source}:{number}: not valid JSON ({ex.msg}, column {ex.colno})", number
                )
                continue
            try:
                yield parse_line(data, number, source, require_labels)
            except LineError as ex:
                yield ex
