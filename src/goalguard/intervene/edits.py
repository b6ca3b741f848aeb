"""Edits to a scratchpad, as text: which sentences an intervention removes, replaces or adds.

Every edit returns two texts cut at the same place: the **edited** reasoning and the
**unedited** one (the control). Both are prefilled and continued by the model, so the
paired difference between them is the edit's effect alone, not the effect of continuing
from a prefill. Sentences are the spans of :data:`SENTENCE` (runs of text up to ``.``,
``!``, ``?`` or a line break), the same unit the heuristic classifier quotes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

EditKind = Literal["remove-af", "neutralise", "insert-af", "truncate"]
EDIT_KINDS: tuple[str, ...] = ("remove-af", "neutralise", "insert-af", "truncate")
NEUTRAL_SENTENCE = "I will decide on the merits of the request."
"""What ``neutralise`` puts in place of each AF-reasoning sentence."""
SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
PASSAGES_FILE = Path(__file__).parent / "data" / "af_passages.yaml"
MAX_ROUNDS = 4
"""Most times ``remove-af``/``neutralise`` re-read the edited text for AF reasoning left."""
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

AfQuotes = Callable[[str], list[str]]
"""Reads a scratchpad and returns the passages quoted as AF reasoning (none: no AF)."""


class EditError(ValueError):
    """An edit name that does not parse (``--edit``)."""


@dataclass(frozen=True)
class Edit:
    """One intervention: its kind, and ``n`` for ``truncate:N``."""

    kind: EditKind
    n: int | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.n}" if self.kind == "truncate" else self.kind


def parse_edit(text: str) -> Edit:
    """``remove-af``, ``neutralise``, ``insert-af`` or ``truncate:N`` (N ≥ 0 sentences)."""
    name, _, arg = text.strip().partition(":")
    if name == "neutralize":
        name = "neutralise"
    if name not in EDIT_KINDS:
        raise EditError(
            f"--edit {text!r}: unknown edit; use one of remove-af, neutralise, insert-af, "
            "truncate:N."
        )
    if name == "truncate":
        try:
            n = int(arg)
        except ValueError:
            n = -1
        if n < 0:
            raise EditError(f"--edit {text!r}: truncate needs a sentence count, e.g. truncate:3.")
        return Edit("truncate", n)
    if arg:
        raise EditError(f"--edit {text!r}: {name} takes no argument.")
    return Edit(name)  # type: ignore[arg-type]


@dataclass
class EditResult:
    """The edited and unedited reasoning, cut at the same place, and what changed."""

    edited: str
    unedited: str
    changed: list[str] = field(default_factory=list)
    """The sentences removed or replaced, or the passage inserted."""
    unmatched: list[str] = field(default_factory=list)
    """Quotes that were not found in the scratchpad (left in place)."""


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` that holds more than whitespace."""
    return [m.span() for m in SENTENCE.finditer(text) if m.group(0).strip()]


def _join(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text with only the given spans kept, whitespace between sentences tidied."""
    parts = [text[a:b].strip() for a, b in spans]
    return re.sub(r"[ \t]+", " ", " ".join(p for p in parts if p)).strip()


def quote_spans(text: str, quotes: Sequence[str]) -> tuple[list[int], list[str]]:
    """Indexes (into :func:`sentence_spans`) of the sentences each quote covers.

    Quotes are matched after the classifier's own quote normalisation (curly quotes as
    straight); a quote the classifier shortened (ending in ``…``) is matched by its start.
    """
    spans = sentence_spans(text)
    normal = text.translate(_QUOTES)
    hit: set[int] = set()
    unmatched: list[str] = []
    for quote in quotes:
        needle = quote.translate(_QUOTES).strip().removesuffix("…").strip()
        if not needle:
            continue
        at = normal.find(needle)
        if at < 0:
            unmatched.append(quote)
            continue
        end = at + len(needle)
        hit.update(i for i, (a, b) in enumerate(spans) if a < end and b > at)
    return sorted(hit), unmatched


def _replace_quoted(
    scratchpad: str, quotes: Sequence[str], read: AfQuotes | None, replacement: str | None
) -> EditResult:
    """Remove (or replace) the quoted sentences, re-reading the result up to MAX_ROUNDS."""
    text, changed, unmatched = scratchpad, [], []
    pending = list(quotes)
    for _ in range(MAX_ROUNDS):
        indexes, missed = quote_spans(text, pending)
        unmatched.extend(q for q in missed if q not in unmatched)
        spans = sentence_spans(text)
        if not indexes:
            break
        pieces: list[str] = []
        for i, (a, b) in enumerate(spans):
            if i not in indexes:
                pieces.append(text[a:b].strip())
                continue
            changed.append(text[a:b].strip())
            if replacement is not None and (i - 1 not in indexes or i == 0):
                pieces.append(replacement)  # one neutral sentence per run of quoted ones
        text = re.sub(r"[ \t]+", " ", " ".join(p for p in pieces if p)).strip()
        if read is None:
            break
        pending = [q for q in read(text) if q.strip() and q.strip() != replacement]
    return EditResult(
        edited=text, unedited=_join(scratchpad, sentence_spans(scratchpad)),
        changed=changed, unmatched=unmatched,
    )  # fmt: skip


@cache
def af_passages() -> tuple[tuple[str, str], ...]:
    """(id, text) of the AF-reasoning passages ``insert-af`` draws from (data file)."""
    data = yaml.safe_load(PASSAGES_FILE.read_text(encoding="utf-8")) or {}
    passages = tuple((str(p["id"]), " ".join(str(p["text"]).split())) for p in data["passages"])
    if not passages:
        raise EditError(f"{PASSAGES_FILE}: field 'passages' holds no passage.")
    return passages


def passage_for(key: str) -> tuple[str, str]:
    """The passage a sample gets: fixed by its key, so a rerun inserts the same text."""
    passages = af_passages()
    index = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % len(passages)
    return passages[index]


def decision_start(scratchpad: str, decision_quote: str) -> int:
    """Index of the sentence where the decision is stated (len(spans) if none is found)."""
    spans = sentence_spans(scratchpad)
    indexes, _ = quote_spans(scratchpad, [decision_quote] if decision_quote else [])
    return indexes[0] if indexes else len(spans)


def apply_edit(
    edit: Edit,
    scratchpad: str,
    *,
    af_quotes: Sequence[str] = (),
    read_af: AfQuotes | None = None,
    decision_quote: str = "",
    key: str = "",
) -> EditResult | None:
    """Apply ``edit`` to one scratchpad; None where the edit does not apply to it.

    Args:
        edit: The intervention.
        scratchpad: The sample's reasoning as the protocol recorded it.
        af_quotes: Passages the classifier quoted as AF reasoning (``remove-af``,
            ``neutralise``; the caller selects samples labelled AF).
        read_af: Re-reads an edited text for AF quotes left (a repeated statement the
            classifier quoted once); None: one pass.
        decision_quote: The sentence stating the decision (``insert-af`` inserts before it
            and cuts it and what follows, so the model decides anew; both arms are cut there).
        key: Fixes which passage ``insert-af`` inserts.
    """
    spans = sentence_spans(scratchpad)
    if not spans:
        return None
    if edit.kind in ("remove-af", "neutralise"):
        replacement = NEUTRAL_SENTENCE if edit.kind == "neutralise" else None
        result = _replace_quoted(scratchpad, af_quotes, read_af, replacement)
        return result if result.changed else None
    if edit.kind == "insert-af":
        cut = decision_start(scratchpad, decision_quote)
        before = _join(scratchpad, spans[:cut])
        _, passage = passage_for(key)
        return EditResult(edited=f"{before} {passage}".strip(), unedited=before, changed=[passage])
    assert edit.n is not None
    if len(spans) <= edit.n:
        return None  # nothing to cut
    return EditResult(
        edited=_join(scratchpad, spans[: edit.n]),
        unedited=_join(scratchpad, spans),
        changed=[scratchpad[a:b].strip() for a, b in spans[edit.n :]],
    )
