"""The shared Typer app and argument helpers of the ``goalguard`` command."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer

CachePromptOption = Annotated[
    bool,
    typer.Option(
        "--cache-prompt/--no-cache-prompt",
        help="Providers' prompt caching (Inspect's cache_prompt; on by default).",
    ),
]
"""The ``--cache-prompt/--no-cache-prompt`` flag of the commands that run a scenario."""

app = typer.Typer(
    help="Run, classify and analyse strategic preference preservation experiments.",
    no_args_is_help=True,
    add_completion=False,
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error and exit (2: bad input, 1: the work itself failed)."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print a warning to stderr; the command goes on."""
    typer.secho(f"warning: {message}", fg=typer.colors.YELLOW, err=True)


def warn_seeded_epochs(epochs: int, seed: int | None) -> None:
    """A fixed seed makes a seeded model (the embedded one among them) repeat itself."""
    if seed is not None and epochs > 1:
        warn(
            f"--seed {seed} with --epochs {epochs}: a model that honours the seed gives every "
            "epoch of a sample the same text, so the epochs are not independent draws. Drop "
            "--seed to sample each epoch afresh."
        )


def parse_scalar(value: str) -> Any:
    """Read a command-line value: true/false, none, an int, a float, or else the string.

    Unlike YAML, ``yes``/``no``/``on``/``off`` stay strings (a judge answer may be ``no``).
    """
    lowered = value.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null", ""}:
        return None if lowered else ""
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def parse_key_values(items: list[str] | None, flag: str) -> dict[str, Any]:
    """Parse ``key=value`` pairs, reading each value with :func:`parse_scalar`."""
    parsed: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"{flag} expects key=value, got '{item}'.")
        parsed[key.strip()] = parse_scalar(value)
    return parsed


def finished_log(log: Any, what: str) -> Any:
    """Print an eval's log path; exit 1 naming ``what`` when it did not finish."""
    typer.echo("")
    typer.echo(f"log: {log.location}")
    if log.status != "success":
        message = log.error.message if log.error else log.status
        fail(f"the {what} did not finish ({log.status}): {message}", code=1)
    return log
