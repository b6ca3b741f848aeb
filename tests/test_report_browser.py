"""The report in a real browser: headless Chromium driven over the DevTools protocol.

Chromium talks CDP over two pipes (``--remote-debugging-pipe``: commands on fd 3, replies
on fd 4), so no port is opened and no client library is needed. The page must load with no
console error, exception or failed resource, request nothing but itself, show every plot,
render model-written ``<script>`` as text without running it, and filter its transcripts.

The page is the report the other report tests check (conftest's ``report``): logs from the
scripted organism (no inference) and from Inspect's ``mockllm/model`` with a scripted
callable (outputs carry usage) whose transcripts hold HTML.

Without chromium the test skips, unless ``GOALGUARD_REQUIRE_BROWSER=1`` (set by CI), which
makes a missing browser a failure.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from organism_runs import INJECTION

pytestmark = pytest.mark.browser

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--remote-debugging-pipe",
)  # fmt: skip
TIMEOUT = 60.0


def _chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    reason = (
        "headless Chromium not found (looked for " + ", ".join(BROWSERS) + "); install "
        "Debian's package with `apt-get install -y chromium` to run the report's browser test"
    )
    if os.environ.get("GOALGUARD_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (GOALGUARD_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(reason)


def _high_fd(fd: int) -> int:
    """``fd`` moved above 10, so mapping the child's fds 3 and 4 cannot clobber it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """A headless Chromium and a minimal DevTools-protocol client over its pipes."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_read, to_write = map(_high_fd, os.pipe())
        from_read, from_write = map(_high_fd, os.pipe())

        def child_fds() -> None:  # chromium reads commands on fd 3 and replies on fd 4
            os.dup2(to_read, 3)
            os.dup2(from_write, 4)

        self._stderr = open(profile / "stderr.txt", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr,
            preexec_fn=child_fds, close_fds=False,
        )  # fmt: skip
        os.close(to_read)
        os.close(from_write)
        self._out = to_write
        self._in = from_read
        self._next_id = 0
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._in, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._replies.put(json.loads(message))

    def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}, **kw}
        os.write(self._out, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _pump(self, deadline: float) -> dict[str, Any]:
        message = self._replies.get(timeout=max(0.01, deadline - time.monotonic()))
        if message.get("method") == "Page.javascriptDialogOpening":  # an alert() ran
            self.send("Page.handleJavaScriptDialog", {"accept": True},
                      sessionId=message.get("sessionId"))  # fmt: skip
        if "method" in message:
            self.events.append(message)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Send a command and wait for its reply (events meanwhile go to ``events``)."""
        sent = self.send(method, params, **kw)
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._pump(deadline)
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while not any(e["method"] == method for e in self.events):
            self._pump(deadline)
        return next(e for e in self.events if e["method"] == method)

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.close(self._out)
        self._stderr.close()


@pytest.fixture(scope="module")
def report_file(report: dict[str, Any]) -> Path:
    """The report over the shared logs (conftest): organism runs, a sweep among them, and
    a mockllm run whose scratchpads and outputs hold ``<script>`` and ``<img onerror>``."""
    return Path(report["path"])


PAGE_STATE = """(() => {
  const list = document.getElementById("transcript-list");
  const injected = Array.from(list.querySelectorAll("pre"))
      .filter(p => p.textContent.includes(%s)).length;
  return {
    images: Array.from(document.images).map(i => ({ok: i.complete && i.naturalWidth > 0,
                                                   width: i.naturalWidth})),
    scripts: document.scripts.length,
    elementsInTranscripts: list.querySelectorAll("script, img, b, iframe").length,
    injected: injected,
    transcripts: list.querySelectorAll(".transcript").length,
    count: document.getElementById("filter-count").textContent,
  };
})()"""

FILTER = """(() => {
  const select = document.querySelector('#filters select[data-filter="condition"]');
  select.value = "unmonitored";
  select.dispatchEvent(new Event("change"));
  const visible = Array.from(document.querySelectorAll("#transcript-list .transcript"))
      .filter(t => !t.hidden);
  return {visible: visible.length,
          conditions: Array.from(new Set(visible.map(t => t.dataset.condition))),
          count: document.getElementById("filter-count").textContent};
})()"""


def _evaluate(browser: Browser, session: str, expression: str) -> Any:
    result = browser.call(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True},
        sessionId=session,
    )  # fmt: skip
    assert "exceptionDetails" not in result, result
    return result["result"]["value"]


def test_report_in_headless_chromium(report_file: Path, tmp_path: Path) -> None:
    browser = Browser(_chromium(), tmp_path)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", sessionId=session)
        browser.call("Page.navigate", {"url": report_file.as_uri()}, sessionId=session)
        browser.wait_for("Page.loadEventFired")
        state = _evaluate(browser, session, PAGE_STATE % json.dumps(INJECTION))
        filtered = _evaluate(browser, session, FILTER)
        time.sleep(0.3)  # late console messages, if any
        _evaluate(browser, session, "1")
    finally:
        browser.close()

    events = browser.events
    errors = [
        e["params"]
        for e in events
        if e["method"] == "Runtime.exceptionThrown"
        or (
            e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")
        )
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert errors == []
    assert not [e for e in events if e["method"] == "Page.javascriptDialogOpening"]
    requested = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
    assert requested and all(url.startswith(("file:", "data:")) for url in requested), requested
    assert not [e for e in events if e["method"] == "Network.loadingFailed"]

    assert len(state["images"]) == 6  # the overview's gap; bars, gap, dual intent, sweep, value
    # priority
    assert all(image["ok"] and image["width"] > 300 for image in state["images"]), state
    assert state["scripts"] == 1  # ours; the model's <script> is text
    assert state["elementsInTranscripts"] == 0
    assert state["injected"] >= 4  # the mock's scratchpads, and its outputs in training
    assert state["count"] == f"{state['transcripts']} of {state['transcripts']} shown"

    assert filtered["conditions"] == ["unmonitored"]
    assert 0 < filtered["visible"] < state["transcripts"]
    assert filtered["count"] == f"{filtered['visible']} of {state['transcripts']} shown"


FIRST_SCREEN = """(() => {
  const box = id => document.getElementById(id).getBoundingClientRect();
  const rows = Array.from(document.querySelectorAll("#overview-table tbody tr"));
  return {height: window.innerHeight, width: window.innerWidth,
          overview: box("overview").top, table: box("overview-table").bottom,
          rows: rows.length, lastRow: rows[rows.length - 1].getBoundingClientRect().bottom,
          forest: box("overview-forest").bottom, forestLoaded:
            document.querySelector("#overview-forest img").naturalWidth,
          setup: box("setup").top, numbers: box("numbers").top,
          openSetups: document.querySelectorAll("details.group-setup[open]").length};
})()"""


def test_first_screen_holds_the_overview(three_runs: dict[str, Any], tmp_path: Path) -> None:
    """A three-run organism report at 1280x800: the overview table (every run's row) and the
    forest plot are on the first screen, before the setup, whose full blocks are folded; the
    page requests nothing but itself, and its screenshot is the viewport's size."""
    browser = Browser(_chromium(), tmp_path)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network"):
            browser.call(f"{domain}.enable", sessionId=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
                     sessionId=session)  # fmt: skip
        browser.call("Page.navigate", {"url": Path(three_runs["path"]).as_uri()},
                     sessionId=session)  # fmt: skip
        browser.wait_for("Page.loadEventFired")
        screen = _evaluate(browser, session, FIRST_SCREEN)
        shot = browser.call("Page.captureScreenshot", {"format": "png"}, sessionId=session)
    finally:
        browser.close()
    requested = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    assert requested and all(url.startswith(("file:", "data:")) for url in requested), requested
    assert (screen["width"], screen["height"]) == (1280, 800)
    assert screen["rows"] == 3
    assert 0 <= screen["overview"] < screen["lastRow"] <= screen["table"] <= screen["height"]
    assert screen["forest"] <= screen["height"] and screen["forestLoaded"] > 300
    assert screen["overview"] < screen["setup"] < screen["numbers"]
    assert screen["openSetups"] == 0
    png = base64.b64decode(shot["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1280, 800)
    assert len(png) > 20_000  # a page with a table and a plot, not a blank screen


def test_missing_browser_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    """No chromium on PATH: a skip that says why; with GOALGUARD_REQUIRE_BROWSER=1, a failure."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("GOALGUARD_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        _chromium()
    monkeypatch.setenv("GOALGUARD_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="GOALGUARD_REQUIRE_BROWSER=1"):
        _chromium()
