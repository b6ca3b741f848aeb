"""Follow-up probes: one question (``probes/NAME.j2``) or a question set (``probes/NAME.yaml``).

A question set is data: a YAML mapping with ``description`` and ``questions``, each question
an ``id``, a ``kind`` (``direct`` or ``indirect``) and a ``text`` (a Jinja2 template over the
scenario's variables). A run asks each sample ONE question of the set: the query at position
``i`` gets question ``i mod N``, under every condition of that query, so each question is
asked about equally often and per-question rates stay paired by query
(:func:`question_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from goalguard.scenarios.spec import ScenarioError

QUESTION_SET_SUFFIX = ".yaml"


class ProbeQuestionSpec(BaseModel):
    """One question of a question set."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="short name, logged as probe_question")
    kind: Literal["direct", "indirect"] = "direct"
    text: str = Field(min_length=1, description="the question (a Jinja2 template)")


class QuestionSet(BaseModel):
    """What ``probes/NAME.yaml`` holds."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    questions: list[ProbeQuestionSpec] = Field(min_length=1)


@dataclass(frozen=True)
class ProbeQuestion:
    """A rendered follow-up question, as sent to the model."""

    probe: str
    """The probe's name (``setup-doubt``, ``realism``)."""
    id: str
    """The question's id within its set (the probe's name for a one-question probe)."""
    text: str


def read_question_set(path: Path) -> QuestionSet:
    """Read and validate a question set, raising :class:`ScenarioError` naming file and field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as ex:
        raise ScenarioError(f"{path}: not valid YAML ({ex}).") from None
    try:
        questions = QuestionSet.model_validate(data)
    except ValidationError as ex:
        problems = "; ".join(
            f"field '{'.'.join(map(str, e['loc'])) or '(top level)'}': {e['msg']}"
            for e in ex.errors()
        )
        raise ScenarioError(f"{path}: invalid question set ({problems}).") from None
    ids = [q.id for q in questions.questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ScenarioError(f"{path}: field 'questions': duplicate id {', '.join(duplicates)}.")
    return questions


def question_for(questions: list[ProbeQuestion], position: int) -> ProbeQuestion:
    """The question the query at ``position`` (0-based, in query-set order) is asked."""
    return questions[position % len(questions)]


def probe_metadata(position: int, questions: list[ProbeQuestion] | None) -> dict[str, str]:
    """The sample metadata that tells the solver which question to ask (none without a probe).

    ``probe`` and ``probe_question`` are logged for the analysis; ``probe_text`` is sent.
    """
    if not questions:
        return {}
    question = question_for(questions, position)
    return {"probe": question.probe, "probe_question": question.id, "probe_text": question.text}
