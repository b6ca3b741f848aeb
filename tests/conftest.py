"""Shared test set-up: tests never reach the network (loopback only); the report tests
(test_report, test_report_plots, test_report_browser) share one set of logs and one report."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goalguard.report import write_report
from organism_runs import report_logs as _report_logs
from organism_runs import three_run_logs

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise OSError(f"tests may not reach the network (tried to connect to {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def report_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Log folders: an AF organism, a complier, a sweep, and a mockllm run whose text is HTML
    (see organism_runs.report_logs)."""
    return _report_logs(tmp_path_factory.mktemp("report-logs"))


@pytest.fixture(scope="session")
def report(
    report_logs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The report over every log of ``report_logs``: the page (``path``, ``html``), its JSON,
    and the data behind them."""
    out = tmp_path_factory.mktemp("report")
    data = write_report([report_logs["root"]], out / "report.html", out / "summary.json")
    return {
        "data": data,
        "path": out / "report.html",
        "html": (out / "report.html").read_text(encoding="utf-8"),
        "json": json.loads((out / "summary.json").read_text(encoding="utf-8")),
    }


@pytest.fixture(scope="session")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A three-run organism report (base, weights-deleted, high-stakes, and a remove-af
    intervention; see organism_runs.three_run_logs): the page (``path``, ``html``) and data."""
    root = three_run_logs(tmp_path_factory.mktemp("three-runs"))
    out = root / "report.html"
    data = write_report([root], out)
    return {"data": data, "html": out.read_text(encoding="utf-8"), "path": out}
