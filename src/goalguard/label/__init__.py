"""Human labels in the loop: ``goalguard label`` draws a stratified sample of a run's
transcripts, a person labels them in a terminal app, and ``goalguard validate`` reads the
labels file to measure the classifier on that run's model.

- :mod:`.draw`: the stratified draw (condition x the classifier's class) and its weights.
- :mod:`.source`: transcripts from Inspect logs or a transcripts JSONL.
- :mod:`.store`: the labels file (validate's input), written as items are labelled.
- :mod:`.estimate`: the run's confusion estimated from the weighted labels.
- :mod:`.app`: the Textual app; :mod:`.session`: the draw checked against the file it resumes.
"""

from goalguard.label.draw import STRATUM_CLASSES, Candidate, Draw, allocate, draw, stratum_class
from goalguard.label.estimate import WeightedConfusion, weighted_confusion
from goalguard.label.session import DEFAULT_N, DEFAULT_SEED, Session, open_session
from goalguard.label.source import LabelItem, Sample, SourceError, load_sample
from goalguard.label.store import HUMAN_LABELS, DrawInfo, LabelFile, LabelFileError

__all__ = [
    "DEFAULT_N",
    "DEFAULT_SEED",
    "HUMAN_LABELS",
    "STRATUM_CLASSES",
    "Candidate",
    "Draw",
    "DrawInfo",
    "LabelFile",
    "LabelFileError",
    "LabelItem",
    "Sample",
    "Session",
    "SourceError",
    "WeightedConfusion",
    "allocate",
    "draw",
    "load_sample",
    "open_session",
    "stratum_class",
    "weighted_confusion",
]
