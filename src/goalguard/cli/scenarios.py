"""``goalguard scenarios``."""

from __future__ import annotations

from typing import Annotated

import typer
import yaml

from goalguard.cli._app import app, fail
from goalguard.scenarios import ScenarioError, builtin_scenarios, load_scenario


@app.command()
def scenarios(
    name: Annotated[str | None, typer.Argument(help="Show this scenario in full.")] = None,
    variant: Annotated[str | None, typer.Option("--variant", "-v")] = None,
) -> None:
    """List the scenarios, or show one: its spec and exactly what the model sees."""
    try:
        if name is None:
            for scenario_name in builtin_scenarios():
                spec = load_scenario(scenario_name).spec
                typer.echo(f"{scenario_name:<20} {spec.description}")
            return
        scenario = load_scenario(name, variant=variant)
    except ScenarioError as ex:
        fail(str(ex))
    spec = scenario.spec
    typer.secho(f"# {spec.name}" + (f" (variant {variant})" if variant else ""), bold=True)
    typer.echo(spec.description)
    typer.echo(f"\nsource: {scenario.source}")
    typer.echo(yaml.safe_dump(spec.model_dump(mode="json", exclude={"variants"}), sort_keys=False))
    if spec.variants:
        typer.secho("## variants", bold=True)
        for key, value in spec.variants.items():
            typer.echo(f"  {key:<22} {value.description}")
    typer.secho("\n## system context", bold=True)
    typer.echo(scenario.system_prompt)
    example = scenario.queries()[0]
    for condition in scenario.conditions():
        typer.secho(f"\n## user turn, condition={condition.name}", bold=True)
        typer.echo(scenario.user_turn(example.query, condition))
