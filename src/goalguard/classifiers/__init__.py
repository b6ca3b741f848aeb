"""Classifiers of what a model did and why."""

from goalguard.classifiers.refusal import compliance_heuristic, looks_like_refusal

__all__ = ["compliance_heuristic", "looks_like_refusal"]
