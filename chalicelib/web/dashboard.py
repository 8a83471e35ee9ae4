"""The manager dashboard: one server-rendered HTML page with inline SVG charts drawn by pygal.

render_dashboard(DashboardData, language) -> str is pure: no I/O, no JavaScript, no external resources (pygal's own
script tags and its config script are stripped, its CSS is inlined). The page's shell, headings and style are the
template dashboard.html; its sections are built here, as markup. Every text is escaped: in the template by Jinja,
in the sections by html.escape, in the SVG by pygal's XML serializer. Fixed texts are in the catalogs (_()); texts
of the data are translated when the catalogs have them (e.g. reports.py's tile labels), else shown as they are.
Each chart is a <figure data-chart="KEY" id="chart-KEY"> holding an <svg role="img"> with a <title>, a one-line
text summary, and the chart's data as a table (the fallback for screen readers).

Units in DashboardData: Pareto shares and score normalized values / weights are fractions (0..1, as in
chalicelib.quality); SLA compliance is a percentage (0..100); score points are points of the 0..100 score.
"""
from __future__ import annotations

import math
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html import escape
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

import pygal
from markupsafe import Markup
from pygal.graph.graph import Graph
from pygal.style import Style

from ..i18n import N_, gettext_for
from .render import render

if TYPE_CHECKING:  # only for the from_* helpers' annotations
    from chalicelib.quality.pareto import Pareto
    from chalicelib.quality.score import QualityScore, ScoreChange

STATUSES = ("good", "warn", "bad")
_STATUS_TEXT = {"good": ("✓", N_("On target")), "warn": ("!", N_("Watch")), "bad": ("✕", N_("Off target"))}
# The gettext of the page being rendered (render_dashboard sets it); English outside a render.
_page_gettext: ContextVar[Callable[[str], str]] = ContextVar("dashboard_gettext", default=str)


def _(text: str) -> str:
    """A text in the language of the page being rendered (unchanged when the catalog does not have it)."""
    return _page_gettext.get()(text) if text else text


# -- the data the page shows -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tile:
    label: str
    value: str  # already formatted, e.g. "412" or "93.4 %"
    hint: str | None = None  # e.g. "+8 % vs previous period"
    status: str | None = None  # good | warn | bad | None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"tile status must be one of {', '.join(STATUSES)} or None, not {self.status!r}")


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[str, float | None]]  # (x label, value); None leaves a gap
    band: tuple[list[float], list[float]] | None = None  # (lower, upper), aligned with points: a forecast interval
    dashed: bool = False  # e.g. a forecast


@dataclass(frozen=True)
class TrendChart:
    title: str
    y_label: str
    series: list[Series]
    key: str = ""  # chart id is "chart-trend-KEY"; default: from the title


class ParetoRow(NamedTuple):
    label: str
    count: int
    share: float  # of the total, 0..1
    cumulative: float  # 0..1


@dataclass(frozen=True)
class ParetoView:
    title: str
    items: list[ParetoRow | tuple[str, int, float, float]]  # largest first
    vital_few: list[str]
    key: str = ""  # chart id is "chart-pareto-KEY", e.g. "categories"
    threshold: float = 0.8  # the vital-few cut, drawn as a dashed line
    y_label: str = "Count"  # what is counted, e.g. "Complaints" or "Resolutions"

    @classmethod
    def from_pareto(cls, title: str, result: "Pareto", key: str = "", threshold: float = 0.8,
                    y_label: str = "Count") -> "ParetoView":
        """From chalicelib.quality.pareto.pareto() / cause_pareto() / category_pareto()."""
        items = [ParetoRow(i.name, i.count, i.share, i.cumulative) for i in result.items]
        return cls(title, items, result.vital_few, key, threshold, y_label)


class SlaRow(NamedTuple):
    clock: str
    met: int
    breached: int
    compliance: float | None  # percent 0..100; None without verdicts


class GroupRow(NamedTuple):
    group: str
    points: float
    max_points: float


class IndicatorRow(NamedTuple):
    name: str
    group: str
    value_text: str  # e.g. "4.1 / 5", "3.2 h", "no data"
    normalized: float | None  # 0..1
    weight: float  # share of the whole score, 0..1
    points: float
    max_points: float


class ScoreDelta(NamedTuple):
    indicator: str
    delta_points: float


@dataclass(frozen=True)
class ScoreView:
    total: float | None  # 0..100; None when no indicator has a value
    groups: list[GroupRow | tuple[str, float, float]]
    indicators: list[IndicatorRow | tuple[str, str, str, float | None, float, float, float]]
    change: list[ScoreDelta | tuple[str, float]] | None = None  # vs the previous period, largest first
    previous_total: float | None = None

    @classmethod
    def from_score(cls, current: "QualityScore", change: "ScoreChange | None" = None) -> "ScoreView":
        """From chalicelib.quality.score.score() and, optionally, compare(previous, current)."""
        groups = [GroupRow(g, points, sum(i.max_points for i in current.indicators if i.group == g))
                  for g, points in current.groups.items()]
        indicators = [IndicatorRow(i.name, i.group, metric_text(i.name, i.value), i.normalized, i.weight,
                                   i.points, i.max_points) for i in current.indicators]
        deltas = [ScoreDelta(d.name, d.delta_points) for d in change.drivers] if change else None
        return cls(current.score, groups, indicators, deltas, change.previous if change else None)


class AlertRow(NamedTuple):
    at: datetime | str
    type: str
    severity: str  # info | warning | critical
    subject: str


class ActionRow(NamedTuple):
    id: str
    title: str
    stage: str  # plan | do | check | act | closed
    owner: str
    target_kpi: str
    target_value: float | str
    due_date: date | str
    check_summary: str | None  # e.g. "fcr_rate 0.52 -> 0.61 (target 0.6): met"


@dataclass(frozen=True)
class DashboardData:
    title: str
    period_label: str  # e.g. "1-30 November 2026"
    generated_at: datetime | str
    tiles: list[Tile] = field(default_factory=list)
    trend_charts: list[TrendChart] = field(default_factory=list)
    pareto: list[ParetoView] = field(default_factory=list)  # e.g. categories, then root causes
    sla: list[SlaRow | tuple[str, int, int, float | None]] = field(default_factory=list)
    score: ScoreView | None = None
    alerts: list[AlertRow | tuple[datetime | str, str, str, str]] = field(default_factory=list)
    actions: list[ActionRow | tuple] = field(default_factory=list)


def metric_text(name: str, value: float | None) -> str:
    """A KPI value as a manager reads it, from its rollups.METRICS name."""
    if value is None:
        return N_("no data")
    if name.endswith("_hours"):
        return f"{value:.1f} h"
    if name == "csat_average":
        return f"{value:.2f} / 5"
    if name.endswith(("_rate", "_share", "compliance")):
        return f"{value * 100:.1f} %"
    return f"{value:g}"


# -- the page ----------------------------------------------------------------------------------------------------
def render_dashboard(data: DashboardData, language: str = "en") -> str:
    """The whole dashboard as one HTML document (UTF-8, no scripts, no external resources), in `language`."""
    reset = _page_gettext.set(gettext_for(language))
    try:
        keys = _Keys()
        sections = {
            "kpis": _tiles(data.tiles),
            "trends": _trends(data.trend_charts, keys),
            "pareto": _paretos(data.pareto, keys),
            "sla": _sla(data.sla, keys),
            "score": _score(data.score, keys),
            "alerts": _alerts(data.alerts),
            "actions": _actions(data.actions, data.generated_at),
        }
        return render("dashboard.html", language, title=_(data.title), period=data.period_label,
                      generated=Markup(_when(data.generated_at)),
                      sections={key: Markup(html) for key, html in sections.items()})
    finally:
        _page_gettext.reset(reset)


# -- sections ----------------------------------------------------------------------------------------------------
def _tiles(tiles: Sequence[Tile]) -> str:
    if not tiles:
        return _empty(_("No figures for this period."))
    items = []
    for tile in tiles:
        status = ""
        if tile.status:
            symbol, words = _STATUS_TEXT[tile.status]
            status = f'<span class="tile-status"><span aria-hidden="true">{symbol} </span>{escape(_(words))}</span>'
        hint = f'<span class="tile-hint">{escape(_(tile.hint))}</span>' if tile.hint else ""
        items.append(
            f'<li class="tile status-{tile.status or "none"}"><span class="tile-label">{escape(_(tile.label))}</span>'
            f'<span class="tile-value">{escape(_(tile.value))}</span>{status}{hint}</li>'
        )
    return f'<ul class="tiles">{"".join(items)}</ul>'


def _trends(charts: Sequence[TrendChart], keys: "_Keys") -> str:
    figures = [_trend_figure(chart, keys.new("trend", chart.key or chart.title)) for chart in charts]
    return _grid(figures) if figures else _empty(_("No trend data for this period."))


def _paretos(views: Sequence[ParetoView], keys: "_Keys") -> str:
    figures = [_pareto_figure(view, keys.new("pareto", view.key or view.title)) for view in views if view.items]
    return _grid(figures) if figures else _empty(_("Nothing to rank in this period."))


def _sla(rows: Sequence[SlaRow], keys: "_Keys") -> str:
    rows = [SlaRow(*row) for row in rows]
    if not rows:
        return _empty(_("No SLA clock stopped in this period."))
    return _grid([_sla_figure(rows, keys.new("sla", "compliance"))])


def _score(view: ScoreView | None, keys: "_Keys") -> str:
    if view is None or not view.indicators:
        return _empty(_("No quality score for this period."))
    groups = [GroupRow(*g) for g in view.groups]
    indicators = [IndicatorRow(*i) for i in view.indicators]
    if view.total is None:
        no_score, why = escape(_("no score")), escape(_("no indicator has data"))
        total = f'<p class="score-total">{no_score} <small>({why})</small></p>'
    else:
        moved = ""
        if view.previous_total is not None:
            change = _("%(change)s vs previous period") % {"change": f"{view.total - view.previous_total:+.1f}"}
            moved = f" <small>({escape(change)})</small>"
        label, of_100 = escape(_("Quality score")), escape(_("%(score)s of 100") % {"score": f"{view.total:.1f}"})
        total = (f'<p class="score-total">{view.total:.1f}<small> / 100</small>{moved}</p>'
                 f'<meter min="0" max="100" value="{view.total:.1f}" aria-label="{label}">{of_100}</meter>')
    group_table = _table(
        _("Points per group"), (_("Group"), _("Points"), _("Of at most")),
        [(_words(g.group), f"{g.points:.1f}", f"{g.max_points:.1f}") for g in groups], numeric=(1, 2))
    figures = [_score_figure(indicators, keys.new("score", "indicators"))]
    if view.change:
        figures.append(_change_figure([ScoreDelta(*d) for d in view.change], keys.new("score", "change")))
    return f"{total}{group_table}{_grid(figures)}"


def _alerts(alerts: Sequence[AlertRow]) -> str:
    rows = [AlertRow(*a) for a in alerts]
    if not rows:
        return _empty(_("No alerts in this period."))
    body = "".join(
        f"<tr><td>{_when(a.at)}</td><td>{escape(_words(a.type))}</td>"
        f'<td><span class="badge sev-{_css_word(a.severity)}">{escape(a.severity)}</span></td>'
        f"<td>{escape(a.subject)}</td></tr>" for a in rows
    )
    return _raw_table(_("Most recent first"), (_("When"), _("Type"), _("Severity"), _("Subject")), body)


def _actions(actions: Sequence[ActionRow], generated_at: datetime | str) -> str:
    rows = [ActionRow(*a) for a in actions]
    if not rows:
        return _empty(_("No open improvement actions."))
    today = generated_at.date() if isinstance(generated_at, datetime) else None
    body = []
    for a in rows:
        due = escape(str(a.due_date))
        if today and isinstance(a.due_date, date) and a.due_date < today and a.stage != "closed":
            due += ' <span class="badge overdue">' + escape(_("overdue")) + "</span>"
        target = a.target_value if isinstance(a.target_value, str) else f"{a.target_value:g}"
        not_checked = '<span class="empty">' + escape(_("not checked yet")) + "</span>"
        check = escape(a.check_summary) if a.check_summary else not_checked
        body.append(
            f"<tr><td>{escape(a.id)}</td><td>{escape(a.title)}</td>"
            f'<td><span class="badge">{escape(a.stage.upper())}</span></td><td>{escape(a.owner)}</td>'
            f"<td>{escape(_words(a.target_kpi))} → {escape(target)}</td><td>{due}</td>"
            f"<td>{check}</td></tr>"
        )
    headers = (_("Id"), _("Action"), _("PDCA stage"), _("Owner"), _("Target"), _("Due"), _("Last check"))
    return _raw_table(_("Plan, Do, Check, Act: actions not closed yet"), headers, "".join(body))


# -- charts ------------------------------------------------------------------------------------------------------
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", sans-serif'
_PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#28a197", "#912b88", "#505a5f")
_GOOD, _BAD, _MUTED, _INK = "#00703c", "#d4351c", "#b1b4b6", "#0b0c0c"


def _style(colors: Sequence[str] = _PALETTE) -> Style:
    return Style(
        background="transparent", plot_background="transparent", foreground="#1b1b1b",
        foreground_strong="#1b1b1b", foreground_subtle="#505a5f", font_family=_FONT, colors=tuple(colors),
        label_font_size=14, major_label_font_size=14, legend_font_size=14, value_font_size=14,
        title_font_size=16, tooltip_font_size=14, opacity=".9", opacity_hover="1",
        guide_stroke_color="#d8dde0", major_guide_stroke_color="#b1b4b6",
    )


def _options(**overrides) -> dict:
    """Options common to every chart. js=[] and the xml filter keep the SVG free of scripts and URLs."""
    options = dict(
        js=[], disable_xml_declaration=True, width=640, height=320, style=_style(), legend_at_bottom=True,
        truncate_legend=40, truncate_label=22, margin=12, spacing=12, show_y_guides=True,
    )
    options.update(overrides)
    return options


def _svg(chart: Graph, chart_id: str, title: str) -> str:
    """Renders a chart as inline SVG: id CHART_ID-svg, role="img", <title>, and no <script> or comments."""
    chart.uuid = f"{chart_id.removeprefix('chart-')}-svg"  # pygal names the svg "chart-" + uuid

    def accessible(root):
        for parent in list(root.iter()):
            for child in list(parent):
                if not isinstance(child.tag, str) or _local(child.tag) == "script":  # comments, scripts
                    parent.remove(child)
        heading = next(child for child in root if _local(child.tag) == "title")
        heading.text = title
        heading.set("id", f"{chart_id}-svg-title")
        root.set("role", "img")
        root.set("aria-labelledby", f"{chart_id}-svg-title")
        root.set("aria-describedby", f"{chart_id}-summary")
        return root

    chart.add_xml_filter(accessible)
    return chart.render(is_unicode=True)


def _figure(chart_id: str, title: str, svg: str, summary: str, table: str) -> str:
    data_table, of_chart = escape(_("Data table")), escape(_("for %(chart)s") % {"chart": title})
    return (
        f'<figure class="chart" id="{chart_id}" data-chart="{chart_id.removeprefix("chart-")}">'
        f'<figcaption><h3>{escape(title)}</h3><p class="summary-text" id="{chart_id}-summary">{escape(summary)}</p>'
        f'</figcaption>{svg}<details><summary>{data_table}<span class="sr-only"> {of_chart}</span></summary>'
        f"{table}</details></figure>"
    )


class _BandLine(pygal.Line):
    """A line chart that shades a band (a forecast interval) behind a series."""

    bands: Sequence[tuple[int, list[tuple[int, float, float]]]] = ()  # (serie index, [(x index, lower, upper)])

    def _plot(self):
        for index, band in self.bands:
            upper = [self.view((self._x_pos[i], hi)) for i, _, hi in band]
            lower = [self.view((self._x_pos[i], lo)) for i, lo, _ in band]
            color = self.style.colors[index % len(self.style.colors)]
            self.svg.line(self.nodes["plot"], upper + lower[::-1], close=True, class_="band",
                          style=f"fill:{color};fill-opacity:.15;stroke:none")
        super()._plot()


class _ParetoBar(pygal.Bar):
    """Bars for the primary series (one bar per slot), lines with dots for the secondary series (cumulative %
    on the right axis). pygal has no combined bar + line chart, so this draws the lines itself."""

    def _bar(self, serie, parent, x, y, i, zero, secondary=False):
        # Each slot holds one bar (vital few or other), so a bar takes the whole slot, not 1 / number of series.
        width = (self.view.x(1) - self.view.x(0)) / self._len
        x, y = self.view((x, y))
        margin = width * 0.12
        x, width, height = x + margin, width - 2 * margin, self.view.y(zero) - y
        self.svg.node(parent, "rect", x=x, y=y, width=width, height=height, class_="rect reactive tooltip-trigger")
        return x, y, width, height

    def _plot(self):
        for serie in self.series:
            self.bar(serie)
        half_slot = 0.5 / self._len
        for serie in self.secondary_series:
            node = self.svg.serie(serie)
            points = [(self.view((x + half_slot, y)), i) for i, (x, y) in enumerate(self._rescale(serie.points))
                      if y is not None]
            self.svg.line(node["plot"], [p for p, _ in points], class_="line reactive nofill")
            if serie.show_dots:
                dots = self.svg.node(node["overlay"], class_="dots")
                for (x, y), i in points:
                    dot = self.svg.node(dots, "circle", cx=x, cy=y, r=serie.dots_size, class_="dot reactive")
                    self.svg.node(dot, "title").text = f"{self._get_x_label(i)}: {self._format(serie, i)}"


def _trend_figure(chart: TrendChart, chart_id: str) -> str:
    labels = list(dict.fromkeys(label for series in chart.series for label, value in series.points))
    many = len(labels) > 14
    svg_chart = _BandLine(**_options(
        y_title=_(chart.y_label), x_label_rotation=35 if many else 0, show_minor_x_labels=not many,
        x_labels_major_count=10 if many else None, dots_size=2.5, allow_interruptions=True, show_x_guides=False,
    ))
    svg_chart.x_labels = labels
    column = {label: i for i, label in enumerate(labels)}
    bands, lowest, highest = [], [], []
    for index, series in enumerate(chart.series):
        by_label = dict(series.points)
        values = [by_label.get(label) for label in labels]
        options = {"stroke_style": {"width": 2, "dasharray": "7,5"}} if series.dashed else {}
        svg_chart.add(_(series.name), values, show_dots=len(series.points) <= 16, **options)  # dots: short series only
        if series.band:
            lower, upper = series.band
            band = [(column[label], lo, hi) for (label, value), lo, hi in zip(series.points, lower, upper)]
            bands.append((index, band))
            lowest += lower
            highest += upper
    if bands:  # pygal ranges over the series only: widen it so the band fits
        values = [v for s in chart.series for label, v in s.points if v is not None] + lowest + highest
        svg_chart.range = (min(0.0, min(values)), max(values) * 1.05 or 1.0)
    svg_chart.bands = bands
    title = _(chart.title)
    summary = "; ".join(_series_summary(s) for s in chart.series) or _("No data.")
    headers = (_("Date"), *(_(s.name) for s in chart.series))
    lookups = [dict(s.points) for s in chart.series]
    rows = [(label, *(_num(lookup.get(label), 1) for lookup in lookups)) for label in labels]
    table = _table(title, headers, rows, numeric=range(1, len(headers)))
    return _figure(chart_id, title, _svg(svg_chart, chart_id, title), summary, table)


def _pareto_figure(view: ParetoView, chart_id: str) -> str:
    rows = [ParetoRow(*item) for item in view.items]
    vital = set(view.vital_few)
    chart = _ParetoBar(**_options(
        height=360, style=_style(("#1d70b8", _MUTED, _BAD, _INK)), secondary_range=(0, 100),
        x_label_rotation=30 if len(rows) > 5 else 0, value_formatter=lambda v: f"{v:,.0f}",
        show_x_guides=False, y_title=_(view.y_label),
    ))
    total = sum(r.count for r in rows)
    # Left axis 0..total in fifths, so the right axis (0..100 %) lines up with it: 100 % is the total.
    if total > 0:
        chart.y_labels = [total * k / 5 for k in range(6)]
    chart.x_labels = [r.label for r in rows]
    for name, is_vital in ((_("Vital few"), True), (_("Others"), False)):
        chart.add(name, [
            {"value": r.count, "tooltip": f"{r.label}: {r.count:,} ({r.share:.0%})"} if (r.label in vital) == is_vital
            else None for r in rows
        ])
    percent = lambda v: f"{v:.0f} %"  # noqa: E731
    chart.add(_("Cumulative %"), [r.cumulative * 100 for r in rows], secondary=True, formatter=percent, dots_size=4,
              stroke_style={"width": 2.5})
    chart.add(_("%(share)s cut") % {"share": f"{view.threshold:.0%}"}, [view.threshold * 100] * len(rows),
              secondary=True, show_dots=False, formatter=percent, stroke_style={"width": 1.5, "dasharray": "6,4"})
    reached = max((r.cumulative for r in rows if r.label in vital), default=0.0)
    summary = _("Vital few: %(items)s, %(reached)s of %(total)s (%(count)s of %(all)s items).") % {
        "items": ", ".join(view.vital_few) or _("none"), "reached": f"{reached:.0%}", "total": f"{total:,}",
        "count": len(view.vital_few), "all": len(rows)}
    title = _(view.title)
    table = _table(title, (_("Item"), _("Count"), _("Share"), _("Cumulative"), _("Vital few")), [
        (r.label, f"{r.count:,}", _pct(r.share), _pct(r.cumulative), _("yes") if r.label in vital else "")
        for r in rows], numeric=(1, 2, 3))
    return _figure(chart_id, title, _svg(chart, chart_id, title), summary, table)


def _sla_figure(rows: list[SlaRow], chart_id: str) -> str:
    title = _("SLA compliance per clock")
    chart = pygal.HorizontalBar(**_options(
        width=800, height=90 + 55 * len(rows), range=(0, 100), show_legend=False, print_values=True,
        value_formatter=lambda v: f"{v:g} %", x_title=_("Stopped in time (%)"),
    ))
    chart.y_labels = list(range(0, 101, 10))  # the value axis (pygal calls it y, even when horizontal)
    ordered = rows[::-1]  # pygal draws the first label at the bottom
    chart.x_labels = [_words(r.clock) for r in ordered]
    chart.add(_("Compliance"), [
        None if r.compliance is None else
        {"value": r.compliance, "tooltip": f"{_words(r.clock)}: {_verdicts(r.met, r.breached)}"}
        for r in ordered
    ])
    met, breached = sum(r.met for r in rows), sum(r.breached for r in rows)
    overall = f"{met / (met + breached):.1%}" if met + breached else _("no verdicts")
    all_clocks = _("All clocks: %(verdicts)s (%(overall)s).") % {"verdicts": _verdicts(met, breached),
                                                                 "overall": overall}
    summary = f"{all_clocks} " + "; ".join(f"{_words(r.clock)} {_num(r.compliance, 1)} %" for r in rows)
    table = _table(title, (_("Clock"), _("Met"), _("Breached"), _("Compliance")), [
        (_words(r.clock), f"{r.met:,}", f"{r.breached:,}", _("no verdicts") if r.compliance is None
         else f"{r.compliance:.1f} %") for r in rows], numeric=(1, 2, 3))
    return _figure(chart_id, title, _svg(chart, chart_id, title), summary, table)


def _score_figure(indicators: list[IndicatorRow], chart_id: str) -> str:
    title = _("Points per indicator: earned and missed")
    chart = pygal.HorizontalStackedBar(**_options(
        height=110 + 42 * len(indicators), style=_style((_GOOD, "#d8dde0")),
        value_formatter=lambda v: f"{v:.1f}", x_title=_("Points of the 0-100 score"), truncate_label=32,
    ))
    ordered = indicators[::-1]  # pygal draws the first label at the bottom
    chart.x_labels = [_words(i.name) for i in ordered]
    earned = _("%(indicator)s (%(value)s): %(points)s of %(most)s")
    short = _("%(indicator)s: %(points)s points short of its target")
    chart.add(_("Points earned"), [
        {"value": i.points, "tooltip": earned % {"indicator": _words(i.name), "value": _(i.value_text),
                                                 "points": f"{i.points:.1f}", "most": f"{i.max_points:.1f}"}}
        for i in ordered])
    chart.add(_("Points missed"), [
        {"value": max(i.max_points - i.points, 0.0), "tooltip": short % {
            "indicator": _words(i.name), "points": f"{max(i.max_points - i.points, 0.0):.1f}"}}
        for i in ordered])
    weakest = sorted((i for i in indicators if i.max_points > 0), key=lambda i: i.points - i.max_points)[:2]
    missed = [_("%(indicator)s (%(value)s, %(points)s points)") % {
        "indicator": _words(i.name), "value": _(i.value_text), "points": f"{i.max_points - i.points:.1f}"}
        for i in weakest]
    summary = _("Most points missed: %(indicators)s.") % {"indicators": ", ".join(missed) or _("none")}
    table = _table(_("Contribution of each indicator"), (
        _("Indicator"), _("Group"), _("Value"), _("Normalized"), _("Weight"), _("Points"), _("Of at most")), [
        (_words(i.name), _words(i.group), _(i.value_text), _pct(i.normalized), _pct(i.weight), f"{i.points:.1f}",
         f"{i.max_points:.1f}") for i in indicators], numeric=(3, 4, 5, 6))
    return _figure(chart_id, title, _svg(chart, chart_id, title), summary, table)


def _change_figure(deltas: list[ScoreDelta], chart_id: str) -> str:
    title = _("Why the score moved: change in points per indicator")
    chart = pygal.HorizontalBar(**_options(
        height=110 + 38 * len(deltas), show_legend=False, print_values=True, truncate_label=32,
        value_formatter=lambda v: f"{v:+.1f}", x_title=_("Points vs previous period"),
    ))
    ordered = deltas[::-1]  # pygal draws the first label at the bottom
    chart.x_labels = [_words(d.indicator) for d in ordered]
    chart.add(_("Change"), [{"value": d.delta_points, "color": _GOOD if d.delta_points >= 0 else _BAD}
                            for d in ordered])
    moved = [d for d in deltas if abs(d.delta_points) >= 0.05]
    summary = ("; ".join(f"{_words(d.indicator)} {d.delta_points:+.1f}" for d in moved[:3]) or _("No change")) + "."
    table = _table(title, (_("Indicator"), _("Change (points)")),
                   [(_words(d.indicator), f"{d.delta_points:+.1f}") for d in deltas], numeric=(1,))
    return _figure(chart_id, title, _svg(chart, chart_id, title), summary, table)


# -- small helpers -----------------------------------------------------------------------------------------------
class _Keys:
    """Unique, id-safe chart keys: "pareto-categories", then "pareto-categories-2" ..."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, kind: str, name: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "chart"
        key, n = f"{kind}-{slug}", 1
        while key in self.used:
            n += 1
            key = f"{kind}-{slug}-{n}"
        self.used.add(key)
        return f"chart-{key}"


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]],
           numeric: Sequence[int] = ()) -> str:
    """A table of plain strings (escaped here); `numeric` columns are right-aligned."""
    numeric = set(numeric)
    cls = lambda i: ' class="num"' if i in numeric else ""  # noqa: E731
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{escape(str(cell))}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return _raw_table(caption, headers, body, numeric)


def _raw_table(caption: str, headers: Sequence[str], body_html: str, numeric: Sequence[int] = ()) -> str:
    """A table whose rows are already escaped HTML."""
    align = {i: ' class="num"' for i in numeric}
    head = "".join(f'<th scope="col"{align.get(i, "")}>{escape(h)}</th>' for i, h in enumerate(headers))
    return (f'<div class="table-wrap"><table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body_html}</tbody></table></div>")


def _grid(figures: Sequence[str]) -> str:
    return f'<div class="charts">{"".join(figures)}</div>'


def _empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


def _series_summary(series: Series) -> str:
    values = [(label, v) for label, v in series.points if v is not None]
    if not values:
        return f"{_(series.name)}: " + _("no data")
    last_label, last = values[-1]
    peak_label, peak = max(values, key=lambda p: p[1])
    return f"{_(series.name)}: " + _("last %(last)s (%(last_at)s), peak %(peak)s (%(peak_at)s)") % {
        "last": _num(last, 1), "last_at": last_label, "peak": _num(peak, 1), "peak_at": peak_label}


def _verdicts(met: int, breached: int) -> str:
    return _("%(met)s met, %(breached)s breached") % {"met": f"{met:,}", "breached": f"{breached:,}"}


def _when(value: datetime | date | str) -> str:
    """A <time> for dates and instants (aware instants shown in UTC), also for an ISO instant given as text
    (e.g. "2026-11-29T16:42:00+00:00" from the alert log); other text is escaped as it is."""
    if isinstance(value, str):
        value = _instant(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
            return f'<time datetime="{value.isoformat()}">{value:%Y-%m-%d %H:%M} UTC</time>'
        return f'<time datetime="{value.isoformat()}">{value:%Y-%m-%d %H:%M}</time>'
    if isinstance(value, date):
        return f'<time datetime="{value.isoformat()}">{value.isoformat()}</time>'
    return escape(str(value))


def _instant(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text) if "T" in text else text
    except ValueError:
        return text


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"


def _pct(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.1f} %"


_ACRONYMS = {"csat": "CSAT", "fcr": "FCR", "sla": "SLA", "kpi": "KPI"}


def _words(name: str) -> str:
    """"fcr_rate" -> "FCR rate": a snake_case name as words; other text keeps its case but for the first letter."""
    words = [_ACRONYMS.get(word, word) for word in name.replace("_", " ").split(" ")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _css_word(text: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", text.lower()) or "none"


def _local(tag: str) -> str:
    """An XML tag without its namespace: "{http://www.w3.org/2000/svg}script" -> "script"."""
    return tag.rsplit("}", 1)[-1]


# -- sample data (tests and manual checks) -----------------------------------------------------------------------
def sample_dashboard_data() -> DashboardData:
    """A realistic month for a mid-sized team: 412 complaints, three categories, a forecast, two PDCA actions."""
    start = date(2026, 11, 1)
    days = [start + timedelta(days=i) for i in range(30)]
    weekday_load = (1.25, 1.15, 1.05, 1.0, 0.95, 0.55, 0.45)  # Monday .. Sunday

    def daily(base: float, bump_day: int | None = None) -> list[tuple[str, float]]:
        return [(f"{d:%d %b}", round(base * weekday_load[d.weekday()] + (6 if i == bump_day else 0)))
                for i, d in enumerate(days)]

    billing, delivery, product = daily(6.5, bump_day=23), daily(4.0), daily(2.5)
    future = [start + timedelta(days=30 + i) for i in range(7)]
    expected = [round(13.0 * weekday_load[d.weekday()], 1) for d in future]
    forecast = Series("Forecast (all)", [(f"{d:%d %b}", v) for d, v in zip(future, expected)],
                      band=([round(v * 0.7, 1) for v in expected], [round(v * 1.3, 1) for v in expected]), dashed=True)
    weeks = ["05 Oct", "12 Oct", "19 Oct", "26 Oct", "02 Nov", "09 Nov", "16 Nov", "23 Nov"]
    response = Series("First response (median h)", list(zip(weeks, [6.5, 5.8, 6.1, 4.9, 4.2, 3.8, 3.5, 3.1])))
    resolution = Series("Resolution (median h)", list(zip(weeks, [70, 66, 72, 61, None, 55, 52, 49])))

    categories = [("billing", 171), ("delivery", 104), ("product_quality", 63), ("website", 34), ("staff", 22),
                  ("other", 18)]
    causes = [("process/handoff", 58), ("technology/bug", 41), ("people/training", 27), ("policy/terms", 15),
              ("environment/carrier", 11), ("product/defect", 8)]

    from chalicelib.quality.pareto import pareto  # the same ranking the report layer uses
    from chalicelib.quality.score import DEFAULT_INDICATORS, ScoreConfig

    values = {"csat_average": 3.9, "csat_satisfied_share": 0.74, "first_response_median_hours": 3.1,
              "resolution_median_hours": 49.0, "sla_compliance": 0.91, "fcr_rate": 0.58, "reopen_rate": 0.06,
              "resolution_rate": 0.93}
    previous = {"csat_average": 3.7, "csat_satisfied_share": 0.7, "first_response_median_hours": 4.9,
                "resolution_median_hours": 61.0, "sla_compliance": 0.88, "fcr_rate": 0.6, "reopen_rate": 0.05,
                "resolution_rate": 0.94}
    group_weights = ScoreConfig().groups

    def points(of: dict[str, float]) -> dict[str, tuple[float, float, float]]:  # name -> (normalized, weight, points)
        result = {}
        for ind in DEFAULT_INDICATORS:
            inside = sum(i.weight for i in DEFAULT_INDICATORS if i.group == ind.group)
            weight = group_weights[ind.group] * ind.weight / inside
            normalized = ind.normalize(of[ind.name])
            result[ind.name] = (normalized, weight, 100 * weight * normalized)
        return result

    now, before = points(values), points(previous)
    indicators = [IndicatorRow(i.name, i.group, metric_text(i.name, values[i.name]), *now[i.name],
                               100 * now[i.name][1]) for i in DEFAULT_INDICATORS]
    groups = [GroupRow(g, sum(r.points for r in indicators if r.group == g),
                       sum(r.max_points for r in indicators if r.group == g)) for g in group_weights]
    change = sorted((ScoreDelta(n, now[n][2] - before[n][2]) for n in now), key=lambda d: -abs(d.delta_points))
    total = sum(r.points for r in indicators)

    at = datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)
    return DashboardData(
        title="Complaints dashboard",
        period_label="1-30 November 2026 (all teams)",
        generated_at=at,
        tiles=[
            Tile("Number of complaints", "412", "+8 % vs October", "warn"),
            Tile("Open backlog", "57", "oldest 19 days", "warn"),
            Tile("First response (median)", "3.1 h", "target 1 h", "warn"),
            Tile("Resolution (median)", "49 h", "target 48 h", "good"),
            Tile("SLA compliance", "91.0 %", "target 95 %", "warn"),
            Tile("First-contact resolution", "58 %", "target 80 %", "bad"),
            Tile("CSAT", "3.9 / 5", "214 answers", "good"),
            Tile("Quality score", f"{total:.1f}", f"{total - sum(b[2] for b in before.values()):+.1f} vs October"),
        ],
        trend_charts=[
            TrendChart("Daily complaints by category", "Complaints per day", [
                Series("Billing", billing), Series("Delivery", delivery), Series("Product quality", product),
                forecast], key="daily-volume"),
            TrendChart("Weekly response times", "Hours (median)", [response, resolution], key="response-times"),
        ],
        pareto=[
            ParetoView.from_pareto("Complaints by category", pareto(dict(categories)), key="categories",
                                   y_label="Complaints"),
            ParetoView.from_pareto("Resolutions by root cause", pareto(dict(causes)), key="root-causes",
                                   y_label="Resolutions"),
        ],
        sla=[SlaRow("first_response", 371, 25, 93.7), SlaRow("next_update", 602, 71, 89.5),
             SlaRow("resolution", 318, 37, 89.6)],
        score=ScoreView(total, groups, indicators, change, previous_total=sum(b[2] for b in before.values())),
        alerts=[
            AlertRow(datetime(2026, 11, 29, 16, 42, tzinfo=timezone.utc), "spike", "warning",
                     "Billing: 19 complaints today, forecast 9 (upper bound 14): 'double charge', 'refund'"),
            AlertRow(datetime(2026, 11, 29, 9, 5, tzinfo=timezone.utc), "sla_breach", "critical",
                     "C-2026-11-0388 (P1, delivery) missed its first response by 25 min"),
            AlertRow(datetime(2026, 11, 28, 14, 20, tzinfo=timezone.utc), "sla_warning", "warning",
                     "C-2026-11-0371 resolution due in 2 h"),
            AlertRow(datetime(2026, 11, 27, 11, 3, tzinfo=timezone.utc), "delivery_failed", "info",
                     "Reply e-mail to a customer bounced (mailbox full)"),
        ],
        actions=[
            ActionRow("PDCA-7", "Hand-off checklist between billing and delivery", "check", "m.garcia",
                      "cause_share", 0.1, date(2026, 12, 15),
                      "cause_share 0.21 -> 0.14 over 14 days (target 0.1): improved, not met yet"),
            ActionRow("PDCA-9", "Refund script training for first-line agents", "do", "a.okafor", "fcr_rate", 0.7,
                      date(2026, 11, 25), None),
            ActionRow("PDCA-10", "Carrier delay notice on the tracking page", "plan", "j.chen",
                      "volume", 80, date(2027, 1, 31), None),
        ],
    )
