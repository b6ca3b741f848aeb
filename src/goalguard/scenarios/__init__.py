"""The scenario library: declarative experiments, one folder each."""

from goalguard.scenarios.scenario import (
    Condition,
    Scenario,
    builtin_scenarios,
    load_scenario,
    paraphrase_count,
)
from goalguard.scenarios.spec import ScenarioError, ScenarioSpec

__all__ = [
    "Condition",
    "Scenario",
    "ScenarioError",
    "ScenarioSpec",
    "builtin_scenarios",
    "load_scenario",
    "paraphrase_count",
]
