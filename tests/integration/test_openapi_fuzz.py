"""Fuzz every route in /openapi.json with generated and malformed input (schemathesis), all checks, with agent,
manager and admin tokens: no 5xx, responses match the documented statuses, content types and schemas, schema-valid
input is accepted (except the cross-field rules schemathesis.toml names), and routes refuse requests without a token.
Runs the real app behind infra.local_api. Which role gets 401/403 on which operation: tests/integration/test_edges.py."""
import pathlib
import subprocess
import sys

import pytest
import requests

from tests.integration.conftest import served_locally, staff_headers

CONFIG = pathlib.Path(__file__).with_name("schemathesis.toml")
# The dashboard page and CSV exports read dozens of rollup series per request: slow on moto, and their inputs are
# the same query models the JSON reports use (fuzzed); tests/integration covers them.
SLOW_PAGES = r"^/(dashboard|reports/[a-z]+\.csv)$"
STAFF_ROUTES = r"^/(staff|reports/[a-z]+$|improvement-actions)"
# admin: every operation, every phase. agent and manager: the staff operations, random inputs only (the coverage
# phase's boundary values do not depend on the role).
RUNS = {
    "admin": ["--exclude-path-regex", SLOW_PAGES, "--max-examples", "8"],
    "manager": ["--include-path-regex", STAFF_ROUTES, "--phases", "fuzzing,stateful", "--max-examples", "4"],
    "agent": ["--include-path-regex", STAFF_ROUTES, "--phases", "fuzzing,stateful", "--max-examples", "4"],
}


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    with served_locally(tmp_path_factory.mktemp("fuzz")) as url:
        yield url


@pytest.mark.parametrize("role", list(RUNS))
def test_every_route_survives_fuzzing(live_api, tmp_path, role):
    spec = requests.get(f"{live_api}/openapi.json", timeout=10).json()
    assert len(spec["paths"]) >= 10
    st = pathlib.Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(st), "--config-file", str(CONFIG), "run", f"{live_api}/openapi.json",
            "--checks", "all",
            *RUNS[role],
            "--header", f"Authorization: {staff_headers(role)['Authorization']}",
            "--seed", "20261123",
            "--generation-database", "none",
            "--report-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=480,
    )
    print(result.stdout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "Configuration:    " in result.stdout and CONFIG.name in result.stdout  # the exceptions above are in force
