"""Query-set loaders."""

from goalguard.datasets.loaders import (
    BUILTIN_SETS,
    Query,
    QuerySetError,
    bundled_sets,
    load_queries,
    load_query_file,
)

__all__ = [
    "BUILTIN_SETS",
    "Query",
    "QuerySetError",
    "bundled_sets",
    "load_queries",
    "load_query_file",
]
