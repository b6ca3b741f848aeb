"""The labels file: one JSONL line per labelled transcript, written as it is labelled.

Each line is a ``goalguard validate`` input (``id``, ``scenario``, ``query``,
``scratchpad``, ``output``, ``probe_answer``, ``labels``) and keeps beside it what the
comparison and a calibration need: ``condition``, ``source_model`` (the run's model),
``classifier`` and ``classification`` (the classifier's label and score per label, hidden
from the labeller), ``stratum``, ``stratum_size`` and ``weight`` (see
:mod:`goalguard.label.draw` and :func:`goalguard.label.estimate.weighted_confusion`),
``draw`` (``source``, ``seed``, ``n``, ``size``, ``digest``, ``strata``, ``position``),
``origin`` and ``labelled_at``.

A new label is appended and flushed to disk at once, so quitting keeps every item
labelled; changing an item already labelled rewrites the file (to a temporary file, then
renamed over it), so each item keeps one line.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from goalguard.classifiers.labels import LABELS
from goalguard.label.source import LabelItem

HUMAN_LABELS: Final = ("af_reasoning", "compliance", "setup_doubt")
"""The labels a person sets in ``goalguard label`` (values: ``LABELS``)."""


class LabelFileError(ValueError):
    """The labels file cannot be resumed; the message names the file and line."""


@dataclass(frozen=True)
class DrawInfo:
    """What identifies a draw: the same source, seed and n give the same digest."""

    source: str
    seed: int
    n: int
    size: int
    """Items drawn (n, or fewer when the source holds fewer)."""
    digest: str
    strata: dict[str, int] = field(default_factory=dict)
    """Transcripts per stratum in the source (drawn from or not)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "seed": self.seed,
            "n": self.n,
            "size": self.size,
            "digest": self.digest,
            "strata": dict(self.strata),
        }


def make_record(
    item: LabelItem, labels: dict[str, str], info: DrawInfo, position: int
) -> dict[str, Any]:
    """The labels-file line for ``item`` with the person's ``labels``."""
    for name, value in labels.items():
        if name not in LABELS or value not in LABELS[name]:
            raise ValueError(f"labels.{name}: '{value}' is not a known label value")
    record: dict[str, Any] = {
        "id": item.key,
        "labels": dict(labels),
        "condition": item.condition,
        "scenario": item.scenario,
        "source_model": item.model,
        "query": item.query,
        "scratchpad": item.scratchpad,
        "output": item.output,
    }
    if item.probe_answer is not None:
        record["probe_answer"] = item.probe_answer
    record.update(
        classifier=item.classifier,
        classification=item.classification,
        stratum=item.stratum,
        stratum_size=item.stratum_size,
        weight=item.weight,
        draw={**info.as_dict(), "position": position},
        origin=item.origin,
        labelled_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return record


class LabelFile:
    """The labels written so far, by item id, and the writing of new ones."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, dict[str, Any]] = {}
        if path.exists():
            self._read()

    def _read(self) -> None:
        with self.path.open(encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                where = f"{self.path}:{number}"
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as ex:
                    raise LabelFileError(f"{where}: not valid JSON ({ex.msg})") from ex
                if not isinstance(record, dict) or not isinstance(record.get("draw"), dict):
                    raise LabelFileError(
                        f"{where}: not a line written by goalguard label (no 'draw'); "
                        "give another -o"
                    )
                if not isinstance(record.get("labels"), dict) or "id" not in record:
                    raise LabelFileError(f"{where}: field 'id' or 'labels' missing")
                self.records[str(record["id"])] = record
        digests = {record["draw"].get("digest") for record in self.records.values()}
        if len(digests) > 1:
            raise LabelFileError(f"{self.path}: lines from more than one draw ({len(digests)})")

    def draw_info(self) -> DrawInfo | None:
        """The draw the file's lines were labelled from, or None for an empty file."""
        if not self.records:
            return None
        d = next(iter(self.records.values()))["draw"]
        try:
            return DrawInfo(
                str(d["source"]),
                int(d["seed"]),
                int(d["n"]),
                int(d["size"]),
                str(d["digest"]),
                dict(d.get("strata") or {}),
            )
        except (KeyError, TypeError, ValueError) as ex:
            raise LabelFileError(f"{self.path}: field 'draw' incomplete ({ex})") from ex

    def labels_of(self, key: str) -> dict[str, str]:
        """The labels saved for ``key`` (empty when it has none)."""
        record = self.records.get(key)
        return dict(record["labels"]) if record else {}

    def save(self, record: dict[str, Any]) -> None:
        """Append a new item's line and flush it; rewrite the file for a changed item."""
        key = str(record["id"])
        changed = key in self.records
        self.records[key] = record
        if changed:
            self._rewrite()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _rewrite(self) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for record in self.records.values():
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
