"""The HTML report in a real headless Chromium: the script runs, the timeline lays out, pixels appear.

Needs the Debian package ``chromium`` (``apt-get install -y chromium``); skipped, saying so, without it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pytest

from agentkit.report import render_html

from .html_outline import find, parse
from .png import read_png
from .report_events import trip_run

CHROMIUM = next((p for name in ("chromium", "chromium-browser") if (p := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian/Ubuntu: apt-get install -y chromium)"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
]
WIDTH, HEIGHT = 1280, 800

MODEL_BLUE, TOOL_GREEN, ERROR_RED = (0x3B, 0x6F, 0xD8), (0x2E, 0x9E, 0x6B), (0xD6, 0x45, 0x45)


def near(colour: tuple[int, int, int]) -> Callable[[tuple[int, int, int]], bool]:
    return lambda pixel: all(abs(a - b) <= 10 for a, b in zip(pixel, colour, strict=True))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes]:
    """The report after Chromium ran its script (the DOM) and as Chromium painted it (a PNG)."""
    assert CHROMIUM is not None
    tmp = tmp_path_factory.mktemp("chromium")
    page = tmp / "report.html"
    page.write_text(render_html(trip_run()), encoding="utf-8")
    shot = tmp / "report.png"
    command = [
        CHROMIUM,
        *FLAGS,
        f"--window-size={WIDTH},{HEIGHT}",
        f"--user-data-dir={tmp / 'profile'}",
        f"--screenshot={shot}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, f"chromium failed: {done.stderr[-2000:]}"
    return done.stdout, shot.read_bytes()


def test_the_script_runs_and_lays_out_every_timeline_bar(rendered: tuple[str, bytes]) -> None:
    dom, _ = rendered
    elements = parse(dom)
    body = next(e for e in elements if e.tag == "body")
    bars = find(elements, "tl-bar")

    assert body.attrs["data-ready"] == "1", "the report's script did not run"
    assert body.attrs["data-rendered-bars"] == str(len(bars)) == "4"
    widths = {b.attrs["title"].split(" · ")[0]: int(b.attrs["data-px"]) for b in bars}
    assert all(px > 0 for px in widths.values()), widths
    # the failed call took 2.0 s, the weather call 0.3 s: their painted widths keep that ratio
    assert 5.5 < widths["find_museums"] / widths["get_weather"] < 8.0, widths


def test_the_screenshot_shows_the_timeline(rendered: tuple[str, bytes]) -> None:
    _, png = rendered
    image = read_png(png)

    assert (image.width, image.height) == (WIDTH, HEIGHT)
    drawn = image.count(lambda p: p != (255, 255, 255))
    assert drawn > 0.08 * WIDTH * HEIGHT, f"only {drawn} non-background pixels"
    assert image.count(near(MODEL_BLUE)) > 3_000  # two model-request bars, plus the step borders
    assert image.count(near(TOOL_GREEN)) > 300
    assert image.count(near(ERROR_RED)) > 1_500
