"""Inspect entry point: importing this registers goalguard's providers and tasks."""

from goalguard.providers import llamacpp  # noqa: F401
from goalguard.task import goalguard  # noqa: F401
