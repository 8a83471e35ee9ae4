"""Quality reports for managers: KPIs, the quality score, Pareto, trends, alerts, CSV exports, PDCA actions and
the dashboard page. Everything is read from the rollups (a few Queries), never by scanning complaints."""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, datetime, timedelta, timezone
from typing import Any

from chalice import Blueprint, Response

from ..domain.ports import ComplaintQuery
from ..wiring import services
from . import schemas as s
from .auth import StaffUser
from .http import route
from ..i18n import N_, negotiate

report_routes = Blueprint(__name__)
ERRORS = {400: s.ErrorResponse, 401: s.ErrorResponse, 403: s.ErrorResponse, 404: s.ErrorResponse}
DEFAULT_DAYS = 28


def window(query: s.ReportWindowQuery):
    from ..quality.reporting import Window  # the quality modules load on the first report, not at cold start

    end = query.date_to or services.clock.now().date()
    return Window(query.date_from or end - timedelta(days=DEFAULT_DAYS - 1), end)


def plain(value: Any) -> Any:
    """Dataclasses, dates and tuples as JSON values."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr or f.name != "counters"}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@route(report_routes, "/reports/kpis", "GET", summary="KPIs of a segment over a window of days", tag="reports",
       role="manager", query=s.KpiQuery, responses={200: s.Report, **ERRORS})
def kpi_report(request: Any, user: StaffUser, query: s.KpiQuery):
    days = window(query)
    report = services.reports.kpis(days, query.dimension, query.value if query.dimension != "all" else "all")
    return s.Report(report="kpis", data={"from": days.start.isoformat(), "to": days.end.isoformat(),
                                         "dimension": query.dimension, "value": query.value, **plain(report)})


@route(report_routes, "/reports/quality", "GET", summary="The weighted quality score and what moved it",
       tag="reports", role="manager", query=s.ReportWindowQuery, responses={200: s.Report, **ERRORS})
def quality_report(request: Any, user: StaffUser, query: s.ReportWindowQuery):
    days = window(query)
    current, change = services.reports.quality(days)
    return s.Report(report="quality", data={"from": days.start.isoformat(), "to": days.end.isoformat(),
                                            "score": plain(current), "change": plain(change)})


@route(report_routes, "/reports/pareto", "GET", summary="Pareto of categories or root causes, with the vital few",
       tag="reports", role="manager", query=s.ParetoQuery, responses={200: s.Report, **ERRORS})
def pareto_report(request: Any, user: StaffUser, query: s.ParetoQuery):
    days = window(query)
    if query.by == "category":
        result = services.reports.pareto_categories(days)
    else:
        result = services.reports.pareto_causes(days, "cause" if query.by == "root_cause" else "sub")
    return s.Report(report="pareto", data={"by": query.by, "total": result.total,
                                           "items": plain(result.items), "vital_few": result.vital_few})


@route(report_routes, "/reports/trends", "GET", summary="Daily volume of a category, with a 7-day forecast",
       tag="reports", role="manager", query=s.TrendQuery, responses={200: s.Report, **ERRORS})
def trend_report(request: Any, user: StaffUser, query: s.TrendQuery):
    from ..quality.reporting import Window

    end = services.clock.now().date()
    days = Window(end - timedelta(days=query.days - 1), end)
    series, outlook = services.reports.trend(query.category, days)
    return s.Report(report="trends", data={"category": query.category, "from": days.start.isoformat(),
                                           "daily": series, "forecast": plain(outlook)})


@route(report_routes, "/reports/alerts", "GET", summary="Recent manager alerts (7 days)", tag="reports",
       role="manager", responses={200: s.Report, **ERRORS})
def alerts_report(request: Any, user: StaffUser):
    return s.Report(report="alerts", data={"alerts": services.stats.recent_alerts(services.clock.now().date())})


@route(report_routes, "/reports/kpis.csv", "GET", summary="KPIs per category, team and channel as CSV",
       tag="reports", role="manager", query=s.ReportWindowQuery, responses={200: None, **ERRORS},
       text_media="text/csv")
def kpi_csv(request: Any, user: StaffUser, query: s.ReportWindowQuery):
    days = window(query)
    reports = services.reports
    segments = [("all", "all"), *(("category", c) for c in reports.categories), *(("team", t) for t in reports.teams),
                *(("channel", c) for c in ("web", "email", "sms"))]
    columns = ["dimension", "value", "volume", "first_response_median_s", "resolution_median_s", "sla_compliance",
               "resolution_rate", "fcr_rate", "reopen_rate", "backlog", "duplicate_rate", "csat_average",
               "csat_satisfied_share", "survey_response_rate"]
    rows = []
    for dimension, value in segments:
        k = reports.kpis(days, dimension, value)
        rows.append([dimension, value, k.volume, k.first_response.median_s, k.resolution.median_s,
                     k.sla_compliance, k.resolution_rate, k.fcr_rate, k.reopen_rate, k.backlog, k.duplicate_rate,
                     k.csat_average, k.csat_satisfied_share, k.survey_response_rate])
    return _csv(columns, rows, f"kpis-{days.start}-{days.end}.csv")


@route(report_routes, "/reports/complaints.csv", "GET", summary="Complaints created in a window, as CSV",
       tag="reports", role="manager", query=s.ReportWindowQuery, responses={200: None, **ERRORS},
       text_media="text/csv")
def complaints_csv(request: Any, user: StaffUser, query: s.ReportWindowQuery):
    days = window(query)
    start = datetime.combine(days.start, datetime.min.time(), tzinfo=timezone.utc)
    end = datetime.combine(days.end, datetime.max.time(), tzinfo=timezone.utc)
    columns = ["reference", "created_at", "channel", "status", "subject", "category", "priority", "team", "assignee",
               "first_response_at", "resolved_at", "breached", "resolution_code", "root_cause", "duplicate_of"]
    rows, cursor = [], None
    while True:  # month partitions of the by_month index, newest first
        page = services.repository.search(ComplaintQuery(created_from=start, created_to=end, limit=100, cursor=cursor))
        rows += [[c.reference, c.created_at.isoformat(), c.channel.value, c.status.value, c.subject, c.category,
                  c.priority,
                  c.team, c.assignee, c.first_response_at.isoformat() if c.first_response_at else None,
                  c.resolved_at.isoformat() if c.resolved_at else None, c.breached, c.resolution_code, c.root_cause,
                  c.duplicate_of] for c in page.items]
        cursor = page.next_cursor
        if not cursor:
            return _csv(columns, rows, f"complaints-{days.start}-{days.end}.csv")


def _csv(columns: list[str], rows: list[list[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return Response(out.getvalue(), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _cell(value: Any) -> Any:
    """A CSV cell a spreadsheet never runs: text that starts like a formula gets a leading ' (OWASP's advice);
    our own numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, (int, bool)):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


# PDCA improvement actions ----------------------------------------------------------------------------------------
@route(report_routes, "/improvement-actions", "GET", summary="Every PDCA improvement action", tag="reports",
       role="agent", responses={200: s.Report, **ERRORS})
def list_actions(request: Any, user: StaffUser):
    return s.Report(report="improvement_actions", data={"actions": [plain(a) for a in services.actions.list()]})


@route(report_routes, "/improvement-actions", "POST", summary="Plan an improvement action", tag="reports",
       role="manager", body=s.NewActionBody, responses={200: s.Report, 409: s.ErrorResponse, **ERRORS})
def create_action(request: Any, user: StaffUser, body: s.NewActionBody):
    from ..quality import pdca

    now = services.clock.now()
    action = pdca.new_action(f"PDCA-{now:%Y%m%d%H%M%S%f}"[:22], body.title, body.owner, body.plan, body.target_kpi,
                             body.target_value, body.direction, body.start, body.due, by=user.id, at=now,
                             category=body.category, root_cause=body.root_cause,
                             taxonomy=services.live_config.current().taxonomy())
    services.actions.save(action, None)
    return s.Report(report="improvement_action", data=plain(action))


@route(report_routes, "/improvement-actions/{action_id}/stage", "POST", summary="Move an action on: do, check, act",
       tag="reports", role="manager", body=s.StageBody, responses={200: s.Report, 409: s.ErrorResponse, **ERRORS})
def move_action(request: Any, user: StaffUser, action_id: str, body: s.StageBody):
    from ..quality import pdca

    action = services.actions.get(action_id)
    moved = pdca.advance(action, body.to, user.id, services.clock.now(), body.note)
    services.actions.save(moved, len(action.history))
    data = plain(moved)
    if body.to == "check":
        data["check"] = plain(_check(moved))
    return s.Report(report="improvement_action", data=data)


@route(report_routes, "/improvement-actions/{action_id}/check", "GET",
       summary="The action's target KPI before and after its start, with counts", tag="reports", role="agent",
       responses={200: s.Report, **ERRORS})
def check_action(request: Any, user: StaffUser, action_id: str):
    return s.Report(report="improvement_check", data=plain(_check(services.actions.get(action_id))))


@route(report_routes, "/improvement-actions/{action_id}/act", "POST",
       summary="Act: standardize (close) or replan (a new cycle)", tag="reports", role="manager", body=s.ActBody,
       responses={200: s.Report, 409: s.ErrorResponse, **ERRORS})
def act_on_action(request: Any, user: StaffUser, action_id: str, body: s.ActBody):
    from ..quality import pdca

    action = services.actions.get(action_id)
    acted = pdca.act(action, body.decision, user.id, services.clock.now(), body.note, plan=body.plan,
                     start=body.start, due=body.due, target_value=body.target_value)
    services.actions.save(acted, len(action.history))
    return s.Report(report="improvement_action", data=plain(acted))


def _check(action):
    """The action's target KPI over equal windows before and from its start (today included)."""
    from ..quality import pdca

    today = services.clock.now().date()
    length = max((today - action.start).days + 1, 1)
    dimension, value = ("category", action.category) if action.category else ("all", "all")
    buckets = services.stats.query("day", dimension, value, (action.start - timedelta(days=length)).isoformat(),
                                   today.isoformat())
    return pdca.check(action, buckets, buckets, window_days=length)


# the dashboard page ----------------------------------------------------------------------------------------------
@route(report_routes, "/dashboard", "GET", summary="The manager dashboard (HTML)", tag="reports", role="manager",
       query=s.DashboardQuery, responses={200: None, **ERRORS}, html=True, cookie_session=True)
def dashboard(request: Any, user: StaffUser, query: s.DashboardQuery):
    from .dashboard import render_dashboard

    member = services.staff.store.get(user.id)  # like the console: the profile's language, else the browser's
    language = negotiate(request.headers.get("accept-language"), member.languages if member else ())
    return Response(render_dashboard(dashboard_data(window(query), language), language), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                             "Content-Language": language})


def dashboard_data(days, language: str = "en"):
    """Everything the page shows, from the rollups, the alert log and the action store; categories by their names
    in `language` (the taxonomy in force)."""
    from . import dashboard as d
    from ..quality.rollups import metric

    reports = services.reports
    kpi = reports.kpis(days)
    current, change = reports.quality(days)
    # The page shows the N_() texts in the reader's language.
    tiles = [d.Tile(label, d.metric_text(name, metric(kpi, name)[0])) for label, name in (
        (N_("Number of complaints"), "volume"), (N_("First response (median)"), "first_response_median_hours"),
        (N_("Resolution (median)"), "resolution_median_hours"), (N_("SLA compliance"), "sla_compliance"),
        (N_("First-contact resolution"), "fcr_rate"), (N_("Reopen rate"), "reopen_rate"),
        (N_("CSAT"), "csat_average"), (N_("Satisfied customers"), "csat_satisfied_share"))]
    tiles.append(d.Tile(N_("Backlog"), str(kpi.backlog)))
    labels = [(days.start + timedelta(days=n)).isoformat() for n in range(days.days)]
    taxonomy = services.live_config.current().categories
    named = {c: taxonomy[c].label_in(language) if c in taxonomy else c for c in reports.categories}
    series = [d.Series(named[c], list(zip(labels, reports.daily_series("category", c, days))))
              for c in reports.categories]
    pareto_views = [
        d.ParetoView(title, [(named.get(i.name, i.name), i.count, i.share, i.cumulative) for i in result.items],
                     [named.get(name, name) for name in result.vital_few], key=key)
        for title, key, result in ((N_("Complaints by category"), "categories", reports.pareto_categories(days)),
                                   (N_("Resolutions by root cause"), "causes", reports.pareto_causes(days)))]
    score = d.ScoreView(
        current.score,
        [(group, points, round(sum(i.max_points for i in current.indicators if i.group == group), 1))
         for group, points in current.groups.items()],
        [(i.name, i.group, d.metric_text(i.name, i.value), i.normalized, i.weight, i.points, i.max_points)
         for i in current.indicators],
        [(driver.name, driver.delta_points) for driver in change.drivers], change.previous)
    actions = []
    for action in services.actions.list():
        if action.stage == "closed":
            continue  # the dashboard lists open actions; /improvement-actions has them all
        summary = None
        if action.stage in ("check", "act"):
            result = _check(action)
            summary = (f"{result.kpi} {d.metric_text(result.kpi, result.before.value)} -> "
                       f"{d.metric_text(result.kpi, result.after.value)} (target {result.target_value:g}): "
                       f"{result.verdict.replace('_', ' ')}")
        actions.append((action.id, action.title, action.stage, action.owner, action.target_kpi, action.target_value,
                        action.due, summary))
    alerts = [(a["at"], a["type"], a["severity"], a["subject"]) for a in services.stats.recent_alerts(days.end)]
    return d.DashboardData(
        title=N_("Service quality"), period_label=f"{days.start} – {days.end}", generated_at=services.clock.now(),
        tiles=tiles,
        trend_charts=[d.TrendChart(N_("Daily complaints by category"), N_("Complaints per day"), series, key="volume")],
        pareto=pareto_views,
        sla=[(clock, c.met, c.breached, round(c.rate * 100, 1) if c.rate is not None else None)
             for clock, c in kpi.sla.items()],
        score=score, alerts=alerts, actions=actions)
