"""Reading a true/false argument that may arrive as a string (``-M``, ``-T``, eval-set files)."""

from __future__ import annotations

from typing import Any

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def parse_flag(value: Any, name: str) -> bool:
    """``value`` as a bool; a string must be a true/false word, so a typo is an error.

    Raises:
        ValueError: naming ``name`` and the value, for anything else.
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{name}: expected true or false, got {value!r}.")
