"""The edges (moto): no reference-existence oracle, CSV cells a spreadsheet never runs, 401/403 exactly where due
on every operation, JSON 404 for unknown paths, safe headers on every page, and no token in the access log."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import pytest
import requests

import app  # noqa: F401 - registers every route, so ROUTES is complete at collection
from chalicelib.web.auth import ROLE_RANK, ROLES
from chalicelib.web.http import ROUTES
from tests.fakes import make_message
from tests.integration.conftest import served_locally, staff_headers

WRONG_TOKENS = ["%C3%A9", "", "x" * 5000, "%00", "%F0%9F%92%A9", "0" * 32, "../../etc", "%ED%A0%80"]


@pytest.mark.parametrize("token", WRONG_TOKENS)
def test_any_wrong_token_is_the_same_404_for_known_and_unknown_references(client, aws, token):
    from chalicelib.wiring import services

    known = services.pipeline.process(make_message()).reference
    answers = [client.http.get(f"/complaints/{reference}?token={token}")
               for reference in (known, "CMP-20261122-ZZZZZ")]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].body == answers[1].body


def test_csv_cells_that_look_like_formulas_are_neutralised(client, aws):
    from chalicelib.wiring import services

    hostile = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
    for subject in hostile:
        services.pipeline.process(make_message(subject=subject))
    day = make_message().received_at.date().isoformat()
    body = client.http.get(f"/reports/complaints.csv?from={day}&to={day}", headers=staff_headers("manager")).body
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    subjects = {row["subject"] for row in rows}
    assert {f"'{s}" for s in hostile} <= subjects
    assert not [s for s in subjects if s[:1] in ("=", "+", "-", "@", "\t", "\r")]


ROLE_ROUTES = [r for r in ROUTES if r.role]


@pytest.mark.parametrize("spec", ROLE_ROUTES, ids=[f"{r.method} {r.path}" for r in ROLE_ROUTES])
def test_every_staff_operation_answers_401_and_403_exactly_where_due(client, aws, spec):
    path = re.sub(r"\{[^}]+\}", "CMP-20261122-ZZZZZ", spec.path)  # an unknown one: a 404 once allowed in

    def call(headers):
        body = "{}" if spec.method == "POST" else None
        return client.http.request(spec.method, path, headers={"Content-Type": "application/json", **headers},
                                   body=body)

    assert call({}).status_code == 401
    assert call({"Authorization": "Bearer forged.token.value"}).status_code == 401
    for role in ROLES:
        status = call({"Authorization": staff_headers(role)["Authorization"]}).status_code
        if ROLE_RANK[role] < ROLE_RANK[spec.role]:
            assert status == 403, (role, status)
        else:
            assert status not in (401, 403), (role, status)


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    with served_locally(tmp_path_factory.mktemp("edges")) as url:
        yield url


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_path_is_a_json_404_locally(live_api, method):
    answer = requests.request(method, f"{live_api}/no/such/path", timeout=10)
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/console/sign-in", "/complaints/CMP-20261122-ZZZZZ?token=x",
                                  "/survey/v1.bad.token"])
def test_every_page_carries_the_safe_headers(live_api, path):
    page = requests.get(f"{live_api}{path}", headers={"Accept": "text/html"}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_access_log_masks_tokens_in_query_strings(live_api, capfd):
    secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.c2ln"
    requests.get(f"{live_api}/complaints/CMP-20261122-ZZZZZ?token={secret}&x=1", timeout=10)
    requests.get(f"{live_api}/dashboard?access_token={quote(secret)}", timeout=10)
    logged = capfd.readouterr().err
    assert "/complaints/CMP-20261122-ZZZZZ?token=***&x=1" in logged and "access_token=***" in logged
    assert secret not in logged
