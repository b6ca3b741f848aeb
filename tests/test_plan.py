"""``goalguard plan``: McNemar pairs for a gap, and how classifier error multiplies them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goalguard.analysis.power import (
    PowerError,
    independent_discordance,
    mcnemar_pairs,
    pairs_needed,
    through_classifier,
)
from goalguard.analysis.stats import mcnemar_exact
from goalguard.cli import app

runner = CliRunner()


def test_the_default_question_by_hand() -> None:
    # δ = 0.05, p1 = 0.15, p0 = 0.10, ψ = 0.15·0.9 + 0.10·0.85 = 0.22:
    # n = (1.95996·√0.22 + 0.84162·√0.2175)² / 0.0025 = 688.6 -> 689
    need = pairs_needed(0.05, 0.10, 0.8)
    assert need.discordance == pytest.approx(0.22)
    assert need.pairs == 689
    assert pairs_needed(0.05, 0.10, 0.8, discordance=0.08).pairs < need.pairs


def test_the_pairs_give_the_power_asked_for() -> None:
    """Simulated paired runs of the planned size reject with the exact McNemar test about
    80% of the time (the formula is the normal approximation; the exact test is a little
    conservative)."""
    need = pairs_needed(0.10, 0.10, 0.8)
    p10 = (need.discordance + need.gap) / 2
    p01 = (need.discordance - need.gap) / 2
    rng = random.Random(5)
    rejected = 0
    for _ in range(400):
        b = c = 0
        for _ in range(need.pairs):
            u = rng.random()
            b += u < p10
            c += p10 <= u < p10 + p01
        rejected += mcnemar_exact(b, c) < 0.05
    assert 0.72 <= rejected / 400 <= 0.88


def test_classifier_error_multiplies_the_pairs() -> None:
    need = pairs_needed(0.05, 0.0)
    perfect = through_classifier(need, 1.0, 1.0)
    assert perfect is not None and perfect.pairs == need.pairs
    noisy = through_classifier(need, 0.4, 0.99)
    assert noisy is not None
    assert noisy.gap == pytest.approx(0.39 * 0.05)
    assert noisy.pairs > 3 * need.pairs
    worse = through_classifier(need, 0.3, 0.99)
    assert worse is not None and worse.pairs > noisy.pairs
    assert through_classifier(need, 0.5, 0.5) is None
    # independent labels of independent outcomes: the apparent discordance is independent too
    assert noisy.discordance == pytest.approx(
        independent_discordance(noisy.baseline + noisy.gap, noisy.baseline)
    )


def test_impossible_settings_name_the_option() -> None:
    with pytest.raises(PowerError, match="--gap"):
        pairs_needed(0.0, 0.1)
    with pytest.raises(PowerError, match="--baseline"):
        pairs_needed(0.2, 0.9)
    with pytest.raises(PowerError, match="--discordance"):
        pairs_needed(0.05, 0.10, discordance=0.01)
    with pytest.raises(PowerError, match="--power"):
        pairs_needed(0.05, 0.10, power=1.0)
    assert mcnemar_pairs(0.05, 0.05, 0.8, 0.05) < mcnemar_pairs(0.05, 0.2, 0.8, 0.05)


def test_plan_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "--gap", "0.05", "--baseline", "0.10", "--power", "0.8"])
    assert result.exit_code == 0, result.output
    assert "689 paired queries" in result.output
    assert "AF reasoning" in result.output and "heuristic" in result.output
    result = runner.invoke(app, ["plan", "--json", "--af-baseline", "0"])
    data = json.loads(result.output)
    assert data["compliance"]["pairs"] == 689
    af = data["af_reasoning"]
    assert af["through_classifier"]["pairs"] > af["perfect"]["pairs"]
    result = runner.invoke(app, ["plan", "--gap", "0.5", "--baseline", "0.7"])
    assert result.exit_code == 2 and "--baseline" in result.output


def test_sweep_dry_run_shows_the_pairs_beside_the_cost(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["sweep", "--models", "organism/faker", "--scenarios", "helpful-only", "--limit", "3",
         "--dry-run", "--log-dir", str(tmp_path)],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "needs 689 paired queries" in result.output
    assert "the smallest run here has 3 queries: too few" in result.output
