"""Dollar estimates for a sweep, from a price table kept as data.

The bundled table is ``goalguard/data/prices.yaml`` (model -> input, cached input, optional
cache write, output, in dollars per million tokens, with the date it was written and its
sources); ``goalguard sweep --dry-run --prices FILE`` reads another in the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

LOCAL_PREFIXES = ("llamacpp/", "organism/", "mockllm/")
"""Models that run in this process: no per-token price."""
PRICE_FIELDS = ("input", "cached_input", "output")


class PriceTableError(ValueError):
    """A price table that cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens."""

    input: float
    cached_input: float
    output: float
    cache_write: float | None = None
    """Writing the cache (Anthropic charges more than input); None: the input price."""


@dataclass(frozen=True)
class PriceTable:
    """Prices per model, with where they came from."""

    prices: dict[str, Price]
    read: str
    source: str
    path: str


@dataclass(frozen=True)
class TokenCounts:
    """Tokens of one model's share of a sweep, split as a prompt cache sees them."""

    input_tokens: int
    """All input tokens."""
    cacheable_tokens: int
    """Input tokens of a prefix repeated across calls (the system context)."""
    cache_write_tokens: int
    """Cacheable tokens sent the first time (written to the cache, not read from it)."""
    output_tokens: int


@dataclass(frozen=True)
class Cost:
    """One model's estimated dollars with the provider's prompt cache and without it."""

    with_cache: float
    without_cache: float


def bundled_prices_path() -> Path:
    """The price table shipped with goalguard."""
    return Path(str(files("goalguard") / "data" / "prices.yaml"))


def load_prices(path: str | Path | None = None) -> PriceTable:
    """Read a price table (default: the bundled one); a bad file or field is a clear error."""
    source_path = Path(path) if path is not None else bundled_prices_path()
    try:
        data = yaml.safe_load(source_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as ex:
        raise PriceTableError(f"{source_path}: cannot read the price table ({ex})") from ex
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise PriceTableError(f"{source_path}: expected a mapping with a 'models' mapping")
    prices = {name: _price(source_path, name, entry) for name, entry in data["models"].items()}
    source = data.get("source", "")
    if isinstance(source, dict):
        source = ", ".join(f"{key}: {value}" for key, value in source.items())
    return PriceTable(prices, str(data.get("read", "unknown")), str(source), str(source_path))


def _price(path: Path, name: str, entry: Any) -> Price:
    if not isinstance(entry, dict):
        raise PriceTableError(f"{path}: models.{name}: expected a mapping of prices")
    values: dict[str, float] = {}
    for key in (*PRICE_FIELDS, "cache_write"):
        value = entry.get(key)
        if value is None and key == "cache_write":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PriceTableError(
                f"{path}: models.{name}.{key}: expected dollars per million tokens "
                f"(a number >= 0), got {value!r}"
            )
        values[key] = float(value)
    unknown = sorted(set(entry) - {*PRICE_FIELDS, "cache_write"})
    if unknown:
        raise PriceTableError(f"{path}: models.{name}: unknown field(s) {', '.join(unknown)}")
    return Price(**values)


def price_for(table: PriceTable, model: str) -> Price | None:
    """A model's price: its exact name, else the name's last part (``vllm/org/m`` -> ``m``
    matched against the table's last parts); local models cost nothing; None: unknown."""
    if model.startswith(LOCAL_PREFIXES):
        return Price(0.0, 0.0, 0.0)
    if model in table.prices:
        return table.prices[model]
    tail = model.rsplit("/", 1)[-1]
    matches = {p for name, p in table.prices.items() if name.rsplit("/", 1)[-1] == tail}
    return matches.pop() if len(matches) == 1 else None


def estimate_cost(price: Price, tokens: TokenCounts) -> Cost:
    """Dollars with caching (cacheable tokens read from the cache after their first write)
    and without (every input token at the input price)."""
    per = 1_000_000
    without = (tokens.input_tokens * price.input + tokens.output_tokens * price.output) / per
    reads = max(0, tokens.cacheable_tokens - tokens.cache_write_tokens)
    uncached = tokens.input_tokens - tokens.cacheable_tokens
    write_price = price.cache_write if price.cache_write is not None else price.input
    with_cache = (
        uncached * price.input
        + tokens.cache_write_tokens * write_price
        + reads * price.cached_input
        + tokens.output_tokens * price.output
    ) / per
    return Cost(with_cache=with_cache, without_cache=without)


def format_cost_lines(table: PriceTable, costs: dict[str, tuple[Cost | None, Cost | None]]) -> str:
    """Per model: the one-call estimate and the upper bound, each with and without caching."""
    lines = ["Estimated cost in US dollars (model under test; judge calls not priced):"]
    for model, (typical, most) in costs.items():
        if typical is None or most is None:
            lines.append(f"  {model}: no price in {table.path} (pass --prices FILE)")
            continue
        lines.append(
            f"  {model}: ${typical.with_cache:,.2f} with prompt caching "
            f"(${typical.without_cache:,.2f} without); at most ${most.with_cache:,.2f} "
            f"(${most.without_cache:,.2f} without)"
        )
    lines.append(
        f"Prices: {table.path}, written {table.read} ({table.source}). The first figure "
        "counts one call per sample with a full-length reply; 'at most' uses the '<=' "
        "columns. Caching assumes each run writes its system context once and reads it after."
    )
    return "\n".join(lines)
