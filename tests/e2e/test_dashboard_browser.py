"""The sample dashboard in headless Chromium (its CLI: there is no chromedriver): every chart container holds a
drawn SVG in the browser's DOM, and a screenshot of the page is kept in build/test-artifacts/dashboard.png."""
from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib.web.dashboard import render_dashboard, sample_dashboard_data
from tests.e2e.browser import chromium_binary

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "build" / "test-artifacts" / "dashboard.png"
DRAWN = {"path", "rect", "circle", "line", "polyline", "polygon"}
TIMEOUT_S = 25


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--disable-extensions", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


class ChartContents(HTMLParser):
    """For each [data-chart] container of the DOM: how many svg elements and drawn shapes it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, int]] = {}
        self.current: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure" and "data-chart" in attrs:
            self.current = attrs["data-chart"]
            self.charts[self.current] = {"svg": 0, "shapes": 0}
        elif self.current and tag == "svg":
            self.charts[self.current]["svg"] += 1
        elif self.current and tag in DRAWN:
            self.charts[self.current]["shapes"] += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "figure":
            self.current = None


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    data = sample_dashboard_data()
    path = tmp_path_factory.mktemp("dashboard") / "dashboard.html"
    path.write_text(render_dashboard(data), encoding="utf-8")
    return data, path


def test_every_chart_is_drawn_in_the_browser(page, tmp_path):
    binary = chromium_binary()
    data, path = page
    result = run_chromium(binary, tmp_path / "profile", "--dump-dom", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "<section id=\"pareto\"" in dom and "<script" not in dom
    parser = ChartContents()
    parser.feed(dom)
    expected = len(data.trend_charts) + len(data.pareto) + 1 + 1 + 1  # trends, paretos, SLA, score, score change
    assert len(parser.charts) == expected, parser.charts
    for key, found in parser.charts.items():
        assert found["svg"] == 1, (key, found)
        assert found["shapes"] >= 5, (key, found)  # axes, guides, bars / lines: the chart was drawn
    bars = sum(len(view.items) for view in data.pareto)
    assert parser.charts["pareto-categories"]["shapes"] + parser.charts["pareto-root-causes"]["shapes"] > bars


def test_screenshot_is_kept_as_an_artifact(page, tmp_path):
    binary = chromium_binary()
    _, path = page
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.unlink(missing_ok=True)
    result = run_chromium(binary, tmp_path / "profile", f"--screenshot={ARTIFACT}", "--window-size=1280,2400",
                          path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert ARTIFACT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    size = ARTIFACT.stat().st_size
    print(f"\ndashboard screenshot: {ARTIFACT} ({size / 1024:.0f} KB)")
    assert size > 20 * 1024  # a blank or failed page is a few KB
