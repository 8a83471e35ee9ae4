"""Reports from the rollups through the API (moto): KPIs match the work done, Pareto, quality score, CSV exports,
and a PDCA action from Plan to a Check with before/after figures."""
import csv
import io
import json
from datetime import timedelta

from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Sender
from tests.fakes import FixedClock, T0, make_message
from tests.integration.conftest import post_json, staff_headers

AGENT, MANAGER = Actor("agent-1", "agent"), staff_headers("manager", "mgr-1")


def feed_rollups(services):
    from chalicelib.adapters.change_feed import ChangeFeedRepository

    services.override(repository=ChangeFeedRepository(services.repository, services.rollups.count))


def get(client, path):
    response = client.http.get(path, headers=MANAGER)
    assert response.status_code == 200, response.body
    return response


def test_reports_follow_the_work_done(client, aws):
    from chalicelib.wiring import services

    clock = FixedClock(T0)
    services.override(clock=clock)
    feed_rollups(services)
    references = []
    for n, category in enumerate(["delivery"] * 3 + ["billing"]):
        message = make_message(f"Complaint {n}: order {4400 + n} went wrong again.", requested_category=category,
                               sender=Sender(email=f"c{n}@example.com"), received_at=clock.now())
        references.append(services.pipeline.process(message).reference)
    clock.advance(hours=2)
    services.complaint_service.perform(references[0], Command("respond", message="Sorry, refund on its way."), AGENT)
    services.complaint_service.perform(references[0], Command(
        "resolve", resolution_code="refunded", root_cause="process", message="Refunded."), AGENT)

    day = T0.date().isoformat()
    kpis = json.loads(get(client, f"/reports/kpis?from={day}&to={day}").body)["data"]
    assert (kpis["volume"], kpis["resolved"], kpis["first_contact_resolutions"]) == (4, 1, 1)
    assert kpis["first_response"]["count"] == 1 and kpis["backlog"] == 3
    delivery = json.loads(get(client, f"/reports/kpis?from={day}&to={day}&dimension=category&value=delivery").body)
    assert delivery["data"]["volume"] == 3

    pareto = json.loads(get(client, f"/reports/pareto?from={day}&to={day}").body)["data"]
    assert [i["name"] for i in pareto["items"]][:2] == ["delivery", "billing"] and pareto["vital_few"] == ["delivery", "billing"]  # 75%, then 100%
    causes = json.loads(get(client, f"/reports/pareto?by=root_cause&from={day}&to={day}").body)["data"]
    assert causes["items"][0]["name"] == "process"
    quality = json.loads(get(client, f"/reports/quality?from={day}&to={day}").body)["data"]
    assert 0 <= quality["score"]["score"] <= 100 and quality["score"]["indicators"]

    rows = list(csv.DictReader(io.StringIO(get(client, f"/reports/complaints.csv?from={day}&to={day}").body.decode())))
    assert sorted(r["reference"] for r in rows) == sorted(references)
    kpi_rows = list(csv.DictReader(io.StringIO(get(client, f"/reports/kpis.csv?from={day}&to={day}").body.decode())))
    assert {(r["dimension"], r["value"]): r["volume"] for r in kpi_rows}[("category", "delivery")] == "3"
    assert client.http.get("/reports/kpis", headers=staff_headers()).status_code == 403  # managers only


def test_a_pdca_action_checks_its_kpi_before_and_after_its_start(client, aws):
    from chalicelib.wiring import services

    clock = FixedClock(T0)
    services.override(clock=clock)
    feed_rollups(services)
    for n in range(6):  # three a day before the start, one a day after
        clock.set(T0 + timedelta(days=n))
        for k in range(3 if n < 3 else 1):
            text = f"My parcel for order {4400 + 10 * n + k} arrived {n + 2} days late and the courier left it outside."
            services.pipeline.process(make_message(text, requested_category="delivery",
                                                   sender=Sender(email=f"p{n}{k}@example.com"),
                                                   received_at=clock.now()))
    start = (T0 + timedelta(days=3)).date().isoformat()
    created = post_json(client, "/improvement-actions", {
        "title": "Courier hand-over checklist", "owner": "ops-lead", "plan": "Check every parcel at hand-over",
        "target_kpi": "volume", "target_value": 5, "direction": "lower", "start": start,
        "due": (T0 + timedelta(days=30)).date().isoformat(), "category": "delivery"}, MANAGER)
    assert created.status_code == 200, created.body
    action_id = json.loads(created.body)["data"]["id"]
    for stage in ("do", "check"):
        moved = post_json(client, f"/improvement-actions/{action_id}/stage", {"to": stage}, MANAGER)
        assert moved.status_code == 200, moved.body
    result = json.loads(moved.body)["data"]["check"]
    assert (result["before"]["value"], result["after"]["value"]) == (9, 3)
    assert result["met"] is True and result["improved"] is True
    assert result["verdict"] == "met" and result["enough_data"] is True
    listed = json.loads(get(client, "/improvement-actions").body)["data"]["actions"]
    assert [a["stage"] for a in listed] == ["check"]
    assert action_id in get(client, "/dashboard").body.decode()
    assert post_json(client, f"/improvement-actions/{action_id}/stage", {"to": "act"}, MANAGER).status_code == 200
    closed = post_json(client, f"/improvement-actions/{action_id}/act", {"decision": "standardize"}, MANAGER)
    assert closed.status_code == 200, closed.body
    assert action_id not in get(client, "/dashboard").body.decode()  # open actions only


def test_the_dashboard_renders_for_managers_only(client, aws):
    from chalicelib.wiring import services

    feed_rollups(services)
    services.pipeline.process(make_message("The courier left my parcel in the rain and it was ruined.",
                                           requested_category="delivery"))
    page = get(client, "/dashboard")
    html = page.body.decode()
    assert page.headers["Content-Type"].startswith("text/html")
    assert html.count("<svg") >= 3 and "Complaints by category" in html and "<script" not in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["Referrer-Policy"] == "no-referrer"
    token = MANAGER["Authorization"].split()[1]
    assert client.http.get(f"/dashboard?access_token={token}").status_code == 401  # never a token in a URL
    chinese = client.http.get("/dashboard", headers={**MANAGER, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.headers["Content-Language"] == "zh"  # no profile: the browser's language
    assert '<html lang="zh-Hans">' in chinese.body.decode() and '<h2 id="kpis-h">关键指标</h2>' in chinese.body.decode()
    assert "配送" in chinese.body.decode() and "Delivery" in html  # categories by their names in the taxonomy
    from chalicelib.domain.staff import StaffMember

    services.staff.add(StaffMember("mgr-1", "Mei", "mei@example.com", role="manager"))
    services.staff.add(StaffMember("agent-1", "Alex", "alex@example.com"))
    manager_session, _ = services.sessions.start("mgr-1", "manager", None)  # a manager signed in to the console
    agent_session, _ = services.sessions.start("agent-1", "manager", None)  # demoted to agent since: refused
    english = client.http.get("/dashboard", headers={"Cookie": f"console_session={manager_session}",
                                                     "Accept-Language": "zh"})
    assert english.status_code == 200 and english.headers["Content-Language"] == "en"  # the profile's language first
    assert client.http.get("/dashboard", headers={"Cookie": f"console_session={agent_session}"}).status_code == 403
    assert client.http.get("/dashboard", headers={"Cookie": "console_session=forged"}).status_code == 401
    to_sign_in = client.http.get("/dashboard", headers={"Accept": "text/html"})
    assert to_sign_in.status_code == 303 and to_sign_in.headers["Location"].endswith("/console/sign-in")
    assert client.http.get("/dashboard").status_code == 401
    assert client.http.get("/dashboard", headers=staff_headers()).status_code == 403


def test_a_category_correction_moves_the_complaints_counts(client, aws):
    from chalicelib.wiring import services

    clock = FixedClock(T0)
    services.override(clock=clock)
    feed_rollups(services)
    reference = services.pipeline.process(make_message("My parcel 4411 never came.", requested_category="delivery",
                                                       received_at=clock.now())).reference
    services.pipeline.process(make_message("Another parcel lost.", requested_category="delivery",
                                           sender=Sender(email="b@example.com"), received_at=clock.now()))
    clock.advance(days=1)
    services.complaint_service.perform(reference, Command("change_category", category="billing"), AGENT)
    services.complaint_service.perform(reference, Command(
        "resolve", resolution_code="refunded", root_cause="process", message="Refunded."), AGENT)

    start, end = T0.date().isoformat(), clock.now().date().isoformat()

    def kpis(category):
        return json.loads(get(client, f"/reports/kpis?from={start}&to={end}&dimension=category&value={category}")
                          .body)["data"]

    billing, delivery = kpis("billing"), kpis("delivery")
    assert (billing["received"], billing["volume"], billing["resolved"], billing["backlog"]) == (1, 1, 1, 0)
    assert (delivery["received"], delivery["volume"], delivery["backlog"]) == (1, 1, 1)
    rows = {r["value"]: r for r in csv.DictReader(io.StringIO(
        get(client, f"/reports/kpis.csv?from={start}&to={end}").body.decode())) if r["dimension"] == "category"}
    assert rows["billing"]["volume"] == "1" and int(rows["billing"]["backlog"]) >= 0
    pareto = json.loads(get(client, f"/reports/pareto?from={start}&to={end}").body)["data"]
    assert {i["name"]: i["count"] for i in pareto["items"]} == {"delivery": 1, "billing": 1}
    team = json.loads(get(client, f"/reports/kpis?from={start}&to={end}&dimension=team&value=billing").body)["data"]
    assert team["volume"] == 1  # re-routed with the correction: the team's counts moved too
    total = json.loads(get(client, f"/reports/kpis?from={start}&to={end}").body)["data"]
    assert (total["received"], total["volume"], total["backlog"]) == (2, 2, 1)  # totals unchanged
