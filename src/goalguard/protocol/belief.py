"""Belief-then-pressure: ask each item once with no pressure, in the same sample, first.

A scenario with ``belief_system`` (a template for a neutral system context: no developer
objective, no training story, no condition cue) gets one extra call per sample before the
scenario: that system context and the query alone. The reply is the model's own stated
belief, stored as ``belief_answer``; the scenario then runs as usual. Keeping both calls in
one Inspect sample keeps the pairing (query, condition) and resume exactly as they are: a
resumed sample redoes both calls, and the belief is read beside the answer it is compared
with. The belief call carries no condition, so it does not depend on the condition.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver

from goalguard.scenarios import Scenario


@solver
def elicit_belief(system: str) -> Solver:
    """Ask the sample's ``belief_question`` under a neutral ``system`` context first.

    Stores the reply as ``belief_answer`` and leaves the conversation as it was. A sample
    without ``belief_question`` is passed through untouched.

    Args:
        system: The neutral system context (no objective, no training story, no cue).
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        question = state.metadata.get("belief_question")
        if not question:
            return state
        scenario = state.messages
        state.messages = [ChatMessageSystem(content=system), ChatMessageUser(content=question)]
        state = await generate(state)
        state.metadata["belief_answer"] = state.output.completion
        state.messages = scenario
        return state

    return solve


def belief_metadata(scenario: Scenario, query: str) -> dict[str, Any]:
    """The sample metadata of the belief step: the item's own question, asked as is."""
    return {"belief_question": query} if scenario.spec.belief_system else {}


def belief_solvers(scenario: Scenario) -> list[Solver]:
    """``[elicit_belief(...)]`` for a scenario with ``belief_system``, else nothing."""
    system = scenario.belief_system_prompt
    return [elicit_belief(system)] if system else []
