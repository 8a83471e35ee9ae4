"""The manager dashboard's HTML: sections, one inline SVG per chart, values, escaping, no scripts or URLs, speed."""
from __future__ import annotations

import dataclasses
import re
import statistics
import time
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest

from chalicelib.quality.score import IndicatorScore, QualityScore, compare
from chalicelib.web.dashboard import (
    AlertRow,
    DashboardData,
    ParetoRow,
    ParetoView,
    ScoreView,
    Series,
    Tile,
    TrendChart,
    render_dashboard,
    sample_dashboard_data,
)

HOSTILE = "<script>alert(1)</script>"
SECTIONS = ("kpis", "trends", "pareto", "sla", "score", "alerts", "actions")
SAMPLE_CHARTS = ("trend-daily-volume", "trend-response-times", "pareto-categories", "pareto-root-causes",
                 "sla-compliance", "score-indicators", "score-change")
SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # names, never fetched


def expected_charts(data: DashboardData) -> int:
    """One chart per trend chart and non-empty Pareto, SLA, score contributions, score change."""
    return (len(data.trend_charts) + sum(1 for p in data.pareto if p.items) + (1 if data.sla else 0)
            + (1 if data.score and data.score.indicators else 0) + (1 if data.score and data.score.change else 0))


class _Tags(HTMLParser):
    """Start tags with their attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.fixture(scope="module")
def sample():
    return sample_dashboard_data()


@pytest.fixture(scope="module")
def html(sample):
    return render_dashboard(sample)


def test_is_a_full_utf8_document_with_every_section(html, sample):
    assert html.startswith("<!doctype html><html lang=\"en\">")
    assert '<meta charset="utf-8">' in html and 'name="viewport"' in html
    assert html.rstrip().endswith("</html>")
    for section in SECTIONS:
        assert f'<section id="{section}" aria-labelledby="{section}-h">' in html
        assert f'href="#{section}"' in html  # in the page's navigation
    assert f"<h1>{sample.title}</h1>" in html


def test_one_inline_svg_per_chart_each_accessible(html, sample):
    assert expected_charts(sample) == len(SAMPLE_CHARTS)
    assert html.count("<svg") == expected_charts(sample)
    tags = tags_of(html)
    containers = [attrs for tag, attrs in tags if "data-chart" in attrs]
    assert [c["data-chart"] for c in containers] == list(SAMPLE_CHARTS)
    for key in SAMPLE_CHARTS:
        assert f'id="chart-{key}"' in html
        svg = next(attrs for tag, attrs in tags if tag == "svg" and attrs.get("id") == f"chart-{key}-svg")
        assert svg["role"] == "img"
        assert svg["aria-labelledby"] == f"chart-{key}-svg-title"
        assert svg["aria-describedby"] == f"chart-{key}-summary"
        assert f'<title id="chart-{key}-svg-title">' in html
        assert f'<p class="summary-text" id="chart-{key}-summary">' in html
    # each chart carries its data as a table (the text fallback)
    assert html.count("<summary>Data table") == expected_charts(sample)


def test_values_appear(html, sample):
    for tile in sample.tiles:
        assert tile.label in html and tile.value in html
    assert f"{sample.score.total:.1f}<small> / 100</small>" in html
    for row in sample.sla:
        assert f"{row.compliance:.1f} %" in html  # table
        assert f"{row.met:,}" in html
    for view in sample.pareto:
        for item in view.items:
            assert f">{item.label}<" in html
        assert "Vital few: " + ", ".join(view.vital_few) in html
    for indicator in sample.score.indicators:
        assert indicator.value_text in html
    for alert in sample.alerts:
        assert alert.subject.replace("'", "&#x27;") in html
    for action in sample.actions:
        assert action.title in html and action.owner in html
    assert '<span class="badge overdue">overdue</span>' in html  # PDCA-9 was due before the generation date
    assert "Why the score moved" in html


def test_hostile_labels_are_escaped_and_no_script_is_emitted(sample):
    categories = sample.pareto[0]
    hostile_pareto = dataclasses.replace(
        categories, items=[ParetoRow(HOSTILE, 200, 0.5, 0.5), *categories.items[1:]],
        vital_few=[HOSTILE, *categories.vital_few[1:]])
    trend = sample.trend_charts[0]
    hostile_trend = dataclasses.replace(trend, series=[Series(HOSTILE, trend.series[0].points), *trend.series[1:]])
    data = dataclasses.replace(
        sample, title=HOSTILE,
        tiles=[Tile(HOSTILE, HOSTILE, HOSTILE, "bad")],
        pareto=[hostile_pareto, *sample.pareto[1:]],
        trend_charts=[hostile_trend, *sample.trend_charts[1:]],
        alerts=[AlertRow(datetime(2026, 11, 30, tzinfo=timezone.utc), "spike", "critical", HOSTILE)],
    )
    html = render_dashboard(data)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, in HTML and inside the SVGs
    assert html.count("<svg") == expected_charts(data)


def test_no_external_resources(html):
    assert "<script" not in html.lower()
    assert "@import" not in html
    tags = tags_of(html)
    for tag, attrs in tags:
        for name in ("src", "href", "xlink:href"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
    assert all(attrs.get("href", "#").startswith("#") for tag, attrs in tags if tag == "a")
    assert not re.search(r"url\(\s*['\"]?(?!#)", html)  # only url(#clip-...) references inside the SVG
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= SVG_NAMESPACES


def test_rendering_is_deterministic(sample, html):
    assert render_dashboard(sample) == html


def test_empty_dashboard_says_so_without_charts():
    html = render_dashboard(DashboardData("Dashboard", "today", datetime(2026, 11, 30, tzinfo=timezone.utc)))
    assert "<svg" not in html and "data-chart" not in html
    for text in ("No figures", "No trend data", "Nothing to rank", "No SLA clock", "No quality score",
                 "No alerts", "No open improvement actions"):
        assert text in html


def test_trend_with_gaps_and_band_and_empty_pareto():
    data = DashboardData("D", "P", "now", trend_charts=[TrendChart("Volume", "Complaints", [
        Series("All", [("01 Nov", 4.0), ("02 Nov", None), ("03 Nov", 6.0)]),
        Series("Forecast", [("04 Nov", 5.0), ("05 Nov", 5.5)], band=([3.0, 3.5], [7.0, 9.5]), dashed=True),
    ])], pareto=[ParetoView("Nothing", [], [])])
    html = render_dashboard(data)
    assert html.count("<svg") == 1 and 'data-chart="trend-volume"' in html
    assert 'class="band"' in html  # the forecast interval is shaded
    assert "<td>02 Nov</td><td class=\"num\">-</td>" in html


def test_tile_status_is_checked():
    with pytest.raises(ValueError):
        Tile("Backlog", "57", status="red")


def test_score_view_from_quality_score():
    def indicator(name, group, value, normalized, weight):
        return IndicatorScore(name, group, value, normalized, weight, 100 * weight * (normalized or 0), 100 * weight,
                              worst=0, target=1)

    before = QualityScore(50.0, (indicator("fcr_rate", "outcome", 0.5, 0.5, 1.0),), {"outcome": 50.0})
    now = QualityScore(75.0, (indicator("fcr_rate", "outcome", 0.75, 0.75, 1.0),), {"outcome": 75.0})
    view = ScoreView.from_score(now, compare(before, now))
    assert view.total == 75.0 and view.previous_total == 50.0
    assert view.groups == [("outcome", 75.0, 100.0)]
    assert view.indicators[0].value_text == "75.0 %"
    assert view.change == [("fcr_rate", 25.0)]
    html = render_dashboard(DashboardData("D", "P", "now", score=view))
    assert "FCR rate" in html and "+25.0 vs previous period" in html and html.count("<svg") == 2


def test_render_time(sample):
    render_dashboard(sample)  # warm up (imports, pygal's CSS files)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        render_dashboard(sample)
        timings.append(time.perf_counter() - started)
    print(f"\ndashboard render (sample, {expected_charts(sample)} charts): best {min(timings) * 1000:.1f} ms, "
          f"median {statistics.median(timings) * 1000:.1f} ms")
    assert min(timings) < 0.2


def test_in_chinese_with_the_same_charts_and_every_text_escaped(sample):
    html = render_dashboard(dataclasses.replace(sample, title=HOSTILE, tiles=[Tile(HOSTILE, "1")]), "zh")
    assert html.startswith('<!doctype html><html lang="zh-Hans">')
    assert '<h2 id="kpis-h">关键指标</h2>' in html and '<a href="#pareto">帕累托分析</a>' in html
    assert html.count("<summary>数据表") == html.count("<svg") == expected_charts(sample)
    assert '<title id="chart-sla-compliance-svg-title">各计时的 SLA 达成率</title>' in html  # inside the SVG
    assert "<script" not in html.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    empty = DashboardData("D", "P", "now")
    assert "本期没有告警。" in render_dashboard(empty, "zh")
    assert "No alerts in this period." in render_dashboard(empty)  # the language does not stick
