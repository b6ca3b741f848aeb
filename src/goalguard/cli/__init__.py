"""The ``goalguard`` command line: one module per command, all on one Typer app."""

from goalguard.cli import (  # noqa: F401  (each registers its command)
    classify,
    intervene,
    label,
    plan,
    report,
    run,
    scenarios,
    sweep,
)
from goalguard.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
