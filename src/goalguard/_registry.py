"""Inspect entry point: importing this registers goalguard's providers and tasks."""

from goalguard.classifiers import scorers  # noqa: F401  (the classifier scorers)
from goalguard.intervene.task import intervention  # noqa: F401
from goalguard.providers import llamacpp  # noqa: F401
from goalguard.task import goalguard  # noqa: F401
