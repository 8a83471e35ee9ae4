"""Fuzz every route in /openapi.json with generated and malformed input (schemathesis): no 5xx, and every
response matches the documented status codes, content types and schemas. Runs the real app under chalice local."""
import pathlib
import subprocess
import sys

import pytest
import requests

from tests.integration.conftest import served_locally, staff_headers

EXAMPLES_PER_ROUTE = 20
CONFIG = pathlib.Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    with served_locally(tmp_path_factory.mktemp("fuzz")) as url:
        yield url


def test_every_route_survives_fuzzing(live_api, tmp_path):
    spec = requests.get(f"{live_api}/openapi.json", timeout=10).json()
    assert len(spec["paths"]) >= 10
    st = pathlib.Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(st), "run", f"{live_api}/openapi.json",
            "--checks", "all",
            # Which phone numbers exist, or which strings are cursors we issued, is beyond JSON Schema: a
            # schema-valid but unreal phone number is rightly a 400, so "valid data accepted" cannot hold.
            "--exclude-checks", "positive_data_acceptance",
            # The dashboard page and CSV exports read dozens of rollup series per request: slow on moto, and their
            # inputs are the same query models the JSON reports use (fuzzed); tests/integration covers them.
            "--exclude-path-regex", r"^/(dashboard|reports/[a-z]+\.csv)$",
            "--max-examples", str(EXAMPLES_PER_ROUTE),
            "--header", f"Authorization: {staff_headers('admin')['Authorization']}",
            "--seed", "20261123",
            "--generation-database", "none",
            "--report-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=480,
    )
    print(result.stdout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
