"""Scratchpad interventions: edit a run's reasoning, let the model continue, measure.

- :mod:`.edits`: the edits as text (``remove-af``, ``neutralise``, ``insert-af``,
  ``truncate:N``), each giving an edited and an unedited (control) prefix.
- :mod:`.task`: the Inspect task that prefills both and lets the model continue.
- :mod:`.effects`: the paired change in compliance per edit, by condition.
- :mod:`.cost`: the token estimate of ``goalguard intervene --dry-run``.
"""

from goalguard.intervene.edits import (
    EDIT_KINDS,
    NEUTRAL_SENTENCE,
    Edit,
    EditError,
    EditResult,
    apply_edit,
    parse_edit,
)

__all__ = [
    "EDIT_KINDS",
    "NEUTRAL_SENTENCE",
    "Edit",
    "EditError",
    "EditResult",
    "apply_edit",
    "parse_edit",
]
