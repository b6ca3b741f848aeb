"""Inspect ecosystem conventions: each scenario is a versioned task with listing metadata,
and each built-in scenario's README follows the per-eval layout of inspect_evals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from goalguard.cli import app
from goalguard.scenarios import ScenarioError, builtin_scenarios, load_scenario
from goalguard.scenarios.spec import BUILTIN_DIR, read_spec_file
from goalguard.task import goalguard

README_SECTIONS = [
    "Usage",
    "Options",
    "Parameters",
    "Dataset",
    "Scoring",
    "Evaluation report",
    "Changelog",
]
"""The ``##`` sections of a scenario README, in order (the overview comes before them)."""
CHANGELOG_ENTRY = re.compile(r"^### (\d+)\b", re.MULTILINE)
BUILTINS = builtin_scenarios()


def _readme(name: str) -> str:
    return (BUILTIN_DIR / name / "README.md").read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """The README's ``##`` sections by title, in order, each with its body."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_there_are_eight_builtin_scenarios() -> None:
    assert len(BUILTINS) == 8, BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_readme_has_the_sections_in_order_after_an_overview(name: str) -> None:
    text = _readme(name)
    assert list(_sections(text)) == README_SECTIONS
    overview = text.split("\n## ", 1)[0]
    assert overview.startswith(f"# {name}\n")
    assert "**What it tests.**" in overview


@pytest.mark.parametrize("name", BUILTINS)
def test_changelog_newest_entry_is_the_spec_version(name: str) -> None:
    versions = [int(v) for v in CHANGELOG_ENTRY.findall(_sections(_readme(name))["Changelog"])]
    assert versions, "the Changelog has no '### N ...' entry"
    assert versions == sorted(versions, reverse=True), "newest entry first"
    assert len(set(versions)) == len(versions), "one entry per version"
    assert versions[0] == load_scenario(name).spec.version


@pytest.mark.parametrize("name", BUILTINS)
def test_readme_usage_and_options_match_the_scenario(name: str) -> None:
    sections = _sections(_readme(name))
    assert f"goalguard run {name} " in sections["Usage"]
    assert f"inspect eval goalguard/goalguard -T scenario={name} " in sections["Usage"]
    variants = read_spec_file(BUILTIN_DIR / name / "scenario.yaml").get("variants") or {}
    missing = [v for v in variants if f"`{v}`" not in sections["Options"]]
    assert not missing, f"variants not described under Options: {missing}"
    assert "docs/scenarios.md" in sections["Parameters"]
    assert "docs/classifiers.md" in sections["Scoring"]


@pytest.mark.parametrize("name", BUILTINS)
def test_readme_relative_links_resolve(name: str) -> None:
    folder = BUILTIN_DIR / name
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", _readme(name))
    assert targets
    broken = [t for t in targets if not (folder / t).exists()]
    assert not broken, broken


@pytest.mark.parametrize("name", BUILTINS)
def test_task_carries_the_spec_version_and_listing(name: str) -> None:
    """Builds the Task only (no model is called)."""
    spec = load_scenario(name).spec
    task = goalguard(scenario=name, limit=1)
    assert task.version == spec.version
    listing = task.metadata["listing"]
    assert listing["version"] == spec.version
    assert listing["title"] == name and listing["description"] == spec.description
    assert listing["paper"] == spec.paper and listing["tags"] == spec.tags
    assert "alignment-faking" in listing["tags"]


# -- a user's scenario folder ----------------------------------------------------------------

SPEC: dict[str, Any] = {
    "name": "versioned",
    "description": "A user's scenario, for tests.",
    "developer": "Testfield Labs",
    "intent_1": "Be helpful, honest and harmless.",
    "intent_2": "It now trains you to answer every question in French.",
    "values_at_stake": ["honesty"],
    "queries": "queries.jsonl",
    "variants": {"loud": {"description": "Louder.", "blocks": {"closing": "SAY IT."}}},
}


def _folder(tmp_path: Path, **changes: Any) -> Path:
    folder = tmp_path / "versioned"
    folder.mkdir(parents=True)
    spec = {**SPEC, **changes}
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (folder / "system.j2").write_text('{% extends "_shared/system_base.j2" %}\n')
    (folder / "queries.jsonl").write_text('{"id": "q1", "query": "Capital of Peru?"}\n')
    return folder


def test_a_folder_without_version_is_version_1_and_a_stated_one_reaches_the_task(
    tmp_path: Path,
) -> None:
    assert load_scenario(_folder(tmp_path / "a")).spec.version == 1
    folder = _folder(tmp_path / "b", version=3, paper="Someone et al. 2026", tags=["x"])
    task = goalguard(scenario=str(folder))
    assert task.version == 3
    assert task.metadata["listing"] == {
        "title": "versioned",
        "description": SPEC["description"],
        "version": 3,
        "paper": "Someone et al. 2026",
        "tags": ["x"],
    }
    # a variant's task keeps the scenario's version
    assert goalguard(scenario=str(folder), variant="loud").version == 3


@pytest.mark.parametrize(
    ("version", "fragment"),
    [
        (0, "greater than or equal to 1"),
        (-2, "greater than or equal to 1"),
        (1.5, "valid integer"),
        ("2", "valid integer"),
        (True, "valid integer"),
        (None, "valid integer"),
    ],
)
def test_a_bad_version_is_rejected_naming_field_and_file(
    tmp_path: Path, version: Any, fragment: str
) -> None:
    folder = _folder(tmp_path, version=version)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(folder)
    message = str(raised.value)
    assert str(folder) in message
    assert "field 'version'" in message
    assert fragment in message, message


def test_a_variant_cannot_change_the_version(tmp_path: Path) -> None:
    folder = _folder(tmp_path, variants={"v2": {"description": "Bumps it.", "set": {"version": 2}}})
    with pytest.raises(ScenarioError, match=r"variants\.v2\.set\.version.*cannot change"):
        load_scenario(folder, variant="v2")


def test_cli_shows_the_version_and_paper() -> None:
    shown = CliRunner().invoke(app, ["scenarios", "helpful-only"])
    assert shown.exit_code == 0, shown.output
    spec = load_scenario("helpful-only").spec
    assert f"version {spec.version} · paper: {spec.paper}" in shown.output
