"""Command-line key=value parsing shared by -T, -M and -J."""

from __future__ import annotations

import pytest
import typer

from goalguard.cli._app import parse_key_values


def test_values_are_typed_but_yes_and_no_stay_strings() -> None:
    parsed = parse_key_values(
        ["n_ctx=4096", "temperature=0.5", "prefix_cache=false", "answer=no", "p=0.1,0.9"], "-M"
    )
    assert parsed == {
        "n_ctx": 4096,
        "temperature": 0.5,
        "prefix_cache": False,
        "answer": "no",
        "p": "0.1,0.9",
    }


def test_malformed_pair_is_an_input_error() -> None:
    with pytest.raises(typer.Exit) as raised:
        parse_key_values(["no-equals-sign"], "-T")
    assert raised.value.exit_code == 2


def test_every_task_argument_is_reachable_from_the_command_line() -> None:
    import inspect

    from goalguard.cli.run import TASK_ARGS
    from goalguard.task import goalguard

    own_options = {"scenario", "limit", "judge"}  # the positional argument, --limit, --judge
    parameters = set(inspect.signature(goalguard).parameters)
    assert set(TASK_ARGS) == parameters - own_options


@pytest.mark.parametrize(("extra", "warned"), [(["--seed", "3"], True), ([], False)])
def test_a_fixed_seed_with_several_epochs_is_warned_about(extra: list[str], warned: bool) -> None:
    from typer.testing import CliRunner

    from goalguard.cli import app

    args = ["sweep", "--models", "organism/faker", "--scenarios", "helpful-only", "--limit", "1"]
    result = CliRunner().invoke(app, [*args, "--epochs", "2", "--dry-run", *extra])
    assert result.exit_code == 0, result.output
    assert "sweep plan:" in result.stdout
    assert ("epochs are not independent draws" in result.stderr) is warned
