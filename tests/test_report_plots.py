"""The report's plots: drawn from the summary, one PNG each, colours by meaning.

Logs come from the scripted organism ``organism/<profile>`` (no inference), shared with the
other report tests (conftest's ``report_logs``): ``faker`` complies with AF reasoning in
training, ``complier`` complies without it.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from goalguard.report import ReportGroup, build_report_data
from goalguard.report.plots import (
    BEHAVIOUR_STYLE,
    OKABE_ITO,
    PLOTS,
    all_plots,
    behaviour_bars,
    dual_intent_heatmap,
    gap_forest,
    sweep_plot,
    value_priority_mix,
)


@pytest.fixture(scope="module")
def groups(report_logs: dict[str, Path]) -> dict[str, ReportGroup]:
    """The organism groups of the shared report logs (conftest): faker and complier on
    helpful-only, faker on the oversight sweep."""
    logs = [report_logs[name] for name in ("faker", "complier", "sweep")]
    summary = build_report_data(logs, max_transcripts=0).summary
    return {f"{g.model.split('/')[1]}:{g.scenario}": g for g in summary.groups}


def _pixels(image: bytes, colour: str) -> int:
    """Pixels of exactly ``colour`` (``#RRGGBB``) in a PNG."""
    rgb = np.asarray(Image.open(io.BytesIO(image)).convert("RGB")).reshape(-1, 3)
    target = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return int((rgb == target).all(axis=1).sum())


def _size(image: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(image)).size


def test_every_plot_is_a_png(groups: dict[str, ReportGroup]) -> None:
    drawn = all_plots(list(groups.values()))
    assert list(drawn) == list(PLOTS)
    for image in drawn.values():
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = _size(image)
        assert width > 300 and height > 150


def test_bars_colour_af_compliance_only_when_there_is_some(
    groups: dict[str, ReportGroup],
) -> None:
    """Vermillion (complies with AF reasoning) appears for the faker, not the complier."""
    af, _ = BEHAVIOUR_STYLE["full_af"]
    no_af, _ = BEHAVIOUR_STYLE["full_no_af"]
    faker = behaviour_bars([groups["faker:helpful-only"]])
    complier = behaviour_bars([groups["complier:helpful-only"]])
    assert faker is not None and complier is not None
    assert groups["faker:helpful-only"].behaviour["training"]["full_af"].k > 0
    assert groups["complier:helpful-only"].behaviour["training"]["full_af"].k == 0
    # The complier's image has the colour in its legend swatch only.
    assert _pixels(faker, af) > _pixels(complier, af) + 2000
    assert _pixels(complier, no_af) > 10 * _pixels(faker, no_af)


def test_one_panel_per_group(groups: dict[str, ReportGroup]) -> None:
    """Three panels to a row: four groups take two rows."""
    faker = groups["faker:helpful-only"]
    one = behaviour_bars([faker])
    four = behaviour_bars([*groups.values(), faker.model_copy(update={"variant": "copy"})])
    assert one is not None and four is not None
    assert _size(four)[0] > 1.4 * _size(one)[0]
    assert _size(four)[1] > 1.7 * _size(one)[1]


def test_palette_is_okabe_ito(groups: dict[str, ReportGroup]) -> None:
    palette = set(OKABE_ITO.values())
    assert {colour for colour, _ in BEHAVIOUR_STYLE.values()} <= palette
    image = gap_forest(list(groups.values()))
    assert image is not None and _pixels(image, OKABE_ITO["vermillion"]) > 0


def test_plots_without_data_are_left_out(groups: dict[str, ReportGroup]) -> None:
    faker = groups["faker:helpful-only"]
    assert sweep_plot([faker]) is None  # no stated probabilities
    assert sweep_plot([groups["faker:oversight-sweep"]]) is not None
    assert gap_forest([faker.model_copy(update={"gap": None})]) is None
    bare = faker.model_copy(
        update={
            "conditions": [
                c.model_copy(update={"dual_intent": {}, "value_priority": {}})
                for c in faker.conditions
            ],
            "behaviour": {
                name: {k: p.model_copy(update={"n": 0, "k": 0}) for k, p in mix.items()}
                for name, mix in faker.behaviour.items()
            },
        }
    )
    assert dual_intent_heatmap([bare]) is None
    assert value_priority_mix([bare]) is None
    assert behaviour_bars([bare]) is None
    assert set(all_plots([bare])) == {"gap"}


def test_plots_do_not_leak_figures(groups: dict[str, ReportGroup], tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    all_plots(list(groups.values()))
    assert len(plt.get_fignums()) == before
