"""The ``goalguard`` command line: one module per command, all on one Typer app."""

from goalguard.cli import classify, run, scenarios  # noqa: F401  (each registers its command)
from goalguard.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
