"""``goalguard scenarios``."""

from __future__ import annotations

from typing import Annotated

import typer
import yaml

from goalguard.cli._app import app, fail
from goalguard.scenarios import (
    Scenario,
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    paraphrase_count,
)


def _list() -> None:
    for name in builtin_scenarios():
        try:
            line = load_scenario(name).spec.description
        except ScenarioError as ex:  # one broken scenario must not hide the others
            line = "INVALID: " + str(ex).splitlines()[0]
        typer.echo(f"{name:<18} {line}")


def _show(scenario: Scenario) -> None:
    spec = scenario.spec
    title = f"# {spec.name}" + (f" (variant {scenario.variant})" if scenario.variant else "")
    typer.secho(title, bold=True)
    typer.echo(spec.description)
    paper = f" · paper: {spec.paper}" if spec.paper else ""
    typer.echo(f"version {spec.version}{paper}")
    typer.echo(f"\nsource: {scenario.source}\n")
    typer.echo(yaml.safe_dump(spec.model_dump(mode="json", exclude={"variants"}), sort_keys=False))
    typer.echo("conditions run: " + ", ".join(c.name for c in scenario.conditions()) + "\n")
    typer.secho("## variants", bold=True)
    for key, value in spec.variants.items():
        typer.echo(f"  {key:<22} {value.description}")
    if not spec.variants:
        typer.echo("  (none)")
    count = paraphrase_count(scenario.folder)
    typer.echo(f"\nparaphrases: {count} (-T paraphrases=N; show one with --paraphrase K)")
    wording = f", paraphrase {scenario.paraphrase}" if scenario.paraphrase else ""
    typer.secho(f"\n## system context{wording} (identical under every condition)", bold=True)
    typer.echo(scenario.system_prompt)
    example = scenario.queries()[0]
    for condition in scenario.conditions():
        typer.secho(f"\n## user turn, condition={condition.name} (query {example.id})", bold=True)
        typer.echo(scenario.user_turn(example.query, condition))
    for probe in spec.probes:
        typer.secho(f"\n## probe {probe} (sent after the final output with -T probe={probe})",
                    bold=True)  # fmt: skip
        questions = scenario.probe_questions(probe)  # a question set: one per query, cycling
        for q in questions:
            typer.echo(f"[{q.id}] {q.text}" if len(questions) > 1 else q.text)


@app.command()
def scenarios(
    name: Annotated[
        str | None, typer.Argument(help="Show this scenario (a built-in name or a folder).")
    ] = None,
    variant: Annotated[str | None, typer.Option("--variant", "-v", help="Show a variant.")] = None,
    paraphrase: Annotated[
        int, typer.Option(help="Show paraphrase K of the system context (0: the original).")
    ] = 0,
) -> None:
    """List the scenarios, or show one: its spec and exactly what the model sees."""
    if name is None:
        if variant:
            fail("--variant needs a scenario name.")
        _list()
        return
    try:
        _show(load_scenario(name, variant=variant, paraphrase=paraphrase))
    except ScenarioError as ex:
        fail(str(ex))
