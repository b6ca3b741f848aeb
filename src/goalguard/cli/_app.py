"""The shared Typer app and argument helpers of the ``goalguard`` command."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
import yaml

app = typer.Typer(
    help="Run, classify and analyse strategic preference preservation experiments.",
    no_args_is_help=True,
    add_completion=False,
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error and exit (2: bad input, 1: the work itself failed)."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def parse_key_values(items: list[str] | None, flag: str) -> dict[str, Any]:
    """Parse ``key=value`` pairs; values are read as YAML scalars (numbers, booleans)."""
    parsed: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"{flag} expects key=value, got '{item}'.")
        parsed[key.strip()] = yaml.safe_load(value) if value else ""
    return parsed
