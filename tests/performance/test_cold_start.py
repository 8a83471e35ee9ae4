"""Cold-start proxy: importing `app` against importing boto3 + pynamodb + Powertools, alternated in one run.

Prints the medians and the ratio; the target is a ratio of 1.5 or less, and no heavy ML library on the path.
"""
import json
import os
import statistics
import subprocess
import sys

from tests.conftest import ROOT

ROUNDS = 7
BASELINE = "import boto3, pynamodb.models, aws_lambda_powertools"
APP = "import app"
HEAVY = ("sklearn", "scipy", "numpy", "pandas", "torch")


def _import_seconds(statement: str) -> tuple[float, list[str]]:
    code = (
        "import json, sys, time\n"
        f"start = time.perf_counter()\n{statement}\n"
        "elapsed = time.perf_counter() - start\n"
        f"print(json.dumps([elapsed, [m for m in {HEAVY!r} if m in sys.modules]]))"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    elapsed, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    return elapsed, heavy


def test_app_import_is_at_most_one_and_a_half_times_the_baseline():
    _import_seconds(APP)  # warm the bytecode cache once, like a deployed package
    baseline, app = [], []
    for _ in range(ROUNDS):
        baseline.append(_import_seconds(BASELINE)[0])
        seconds, heavy = _import_seconds(APP)
        app.append(seconds)
        assert heavy == [], f"importing app pulled in {heavy}"
    base_median, app_median = statistics.median(baseline), statistics.median(app)
    ratio = app_median / base_median
    print(
        f"\ncold start proxy over {ROUNDS} alternated rounds: baseline {base_median * 1000:.0f} ms, "
        f"app {app_median * 1000:.0f} ms, ratio {ratio:.2f} (target <= 1.5)"
    )
    assert ratio <= 1.5
