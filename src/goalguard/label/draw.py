"""The stratified draw of transcripts for a person to label.

A run's transcripts are grouped into strata by condition and by what the classifier said
(:func:`stratum_class`): ``af_reasoning`` (it said AF reasoning), ``setup_doubt`` (it said
doubt, not AF), ``complied`` (full or partial compliance, neither of those), ``other``.
The ``n`` draws are shared out equally over the non-empty strata; a stratum smaller than
its share gives it all, and what it leaves is shared again among the others (equal
allocation with capping); when fewer draws remain than open strata, the largest strata
get one each. So a rare positive class (three AF transcripts among five hundred) is
labelled in full, not missed, while the common classes fill the rest.

Because positives are over-sampled, each drawn item carries ``weight``: its stratum's
size over the number drawn from it (the inverse of its inclusion probability). Figures
that describe the whole run, such as the classifier's sensitivity and specificity, must
weight each item by it; unweighted counts describe the sample, and over-state how often
the classifier's positives occur.

Within a stratum items are drawn at random with ``seed``; the drawn items are then
shuffled, so the order they are shown in does not reveal the classifier's labels.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from goalguard.classifiers.labels import COMPLIANT_LABELS, POSITIVE

STRATUM_CLASSES: Final = ("af_reasoning", "setup_doubt", "complied", "other")
"""The classifier's verdict a stratum holds, rarest-minded first (see :func:`stratum_class`)."""
NO_CONDITION: Final = "unknown"


@dataclass(frozen=True)
class Candidate:
    """One transcript that may be drawn: its key, condition and the classifier's labels."""

    key: str
    """Unique within the source (a sample id, with the epoch or log where needed)."""
    condition: str
    labels: Mapping[str, str | None]
    """The classifier's label per label name (None where it did not run)."""


@dataclass(frozen=True)
class Drawn:
    """A drawn candidate, its stratum and its weight (stratum size / number drawn)."""

    candidate: Candidate
    stratum: str
    weight: float
    stratum_size: int


@dataclass(frozen=True)
class Draw:
    """The drawn items in the order they are shown, and the strata they came from."""

    items: tuple[Drawn, ...]
    sizes: Mapping[str, int]
    """Candidates per stratum."""
    allocation: Mapping[str, int]
    """Items drawn per stratum."""
    seed: int

    @property
    def digest(self) -> str:
        """A short hash of the drawn keys in order: the same digest is the same draw."""
        return draw_digest([item.candidate.key for item in self.items])


def draw_digest(keys: Sequence[str]) -> str:
    """sha256 (first 16 hex digits) of ``keys`` joined by newlines."""
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:16]


def stratum_class(labels: Mapping[str, str | None]) -> str:
    """The classifier's verdict as one class: the first of :data:`STRATUM_CLASSES` that holds."""
    if labels.get("af_reasoning") == POSITIVE["af_reasoning"]:
        return "af_reasoning"
    if labels.get("setup_doubt") == POSITIVE["setup_doubt"]:
        return "setup_doubt"
    if labels.get("compliance") in COMPLIANT_LABELS:
        return "complied"
    return "other"


def stratum_of(candidate: Candidate) -> str:
    """``condition/class``, e.g. ``training/af_reasoning``."""
    return f"{candidate.condition}/{stratum_class(candidate.labels)}"


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Share ``n`` draws equally over the strata, capped by each stratum's size.

    What a capped stratum leaves is shared again among the rest; a remainder smaller than
    the number of open strata goes one each to the largest (ties by name). The result sums
    to ``min(n, total size)``.
    """
    if n < 0:
        raise ValueError(f"n must be at least 0, got {n}")
    alloc = {name: 0 for name in sizes}
    target = min(n, sum(sizes.values()))
    open_strata = sorted(name for name, size in sizes.items() if size > 0)
    while open_strata and sum(alloc.values()) < target:
        remaining = target - sum(alloc.values())
        share = remaining // len(open_strata)
        if share == 0:
            largest = sorted(open_strata, key=lambda name: (-(sizes[name] - alloc[name]), name))
            for name in largest[:remaining]:
                alloc[name] += 1
            break
        for name in open_strata:
            alloc[name] += min(share, sizes[name] - alloc[name])
        open_strata = [name for name in open_strata if alloc[name] < sizes[name]]
    return alloc


def draw(candidates: Sequence[Candidate], n: int, seed: int) -> Draw:
    """Draw up to ``n`` candidates, stratified by condition and the classifier's class."""
    keys = [c.key for c in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("candidate keys must be unique")
    strata: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in sorted(candidates, key=lambda c: c.key):
        strata[stratum_of(candidate)].append(candidate)
    sizes = {name: len(members) for name, members in sorted(strata.items())}
    allocation = allocate(sizes, n)
    rng = random.Random(seed)
    items = [
        Drawn(candidate, name, sizes[name] / allocation[name], sizes[name])
        for name in sizes
        if allocation[name]
        for candidate in rng.sample(strata[name], allocation[name])
    ]
    rng.shuffle(items)
    return Draw(tuple(items), sizes, allocation, seed)
