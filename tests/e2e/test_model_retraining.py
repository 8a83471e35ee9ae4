"""Retraining in the local stack, the way the README runs it: staff corrections of category and priority,
`python -m functions.retrain --local-stack DIR retrain`, the intake worker serving the new version (category model
and priority levels), and a one-step rollback."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from infra.stack_process import ROOT, running_stack, submit, wait_for_acknowledgement
from models.build_default import DEFAULT_DATA, training_rows
from tests.conftest import SHARED_DATA

REFRESH_SECONDS = 10  # MODEL_REFRESH_SECONDS in the local stack
FOLDS = 2  # the gate's cross-validation: 2 folds keep this test short (the function's default is 5)
TWIN = "-lexical"  # the stack's worker runs without the encoder, so it serves each version's lexical twin


def classified_by(stack, token: str, index: int) -> tuple[str, str]:
    """(category, model version) of a fresh complaint about loyalty points."""
    api = stack.endpoints["api_url"]
    accepted = submit(api, email=f"points{index}@example.com", subject=f"Reward points {index}",
                      description=f"My loyalty reward points expired overnight, case {index}, and nobody warned me")
    wait_for_acknowledgement(accepted["status_url"], stack.endpoints["outbox_file"])
    complaint = requests.get(f"{api}/staff/complaints/{accepted['reference']}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=5).json()["complaint"]
    return complaint["category"], complaint["classification"]["model"]


def triaged(stack, token: str, description: str, email: str) -> dict:
    api = stack.endpoints["api_url"]
    accepted = submit(api, email=email, subject="About my branch visit", description=description)
    wait_for_acknowledgement(accepted["status_url"], stack.endpoints["outbox_file"])
    return requests.get(f"{api}/staff/complaints/{accepted['reference']}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=5).json()["complaint"]


LAWYER = "Visit {}: I have asked my lawyer to look at the way your branch staff spoke to me on Monday."


def model_action(stack, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "functions.retrain", "--local-stack", str(stack.state_dir), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "RETRAIN_FOLDS": str(FOLDS)})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.xdist_group("local-stack")
@pytest.mark.skipif(not (SHARED_DATA / "banking77" / "train.csv").exists(), reason="the base data set needs ../shared/data")
def test_a_correction_retrains_the_served_model_and_rollback_restores_the_shipped_one(tmp_path):
    with running_stack(tmp_path / "local") as stack:
        api, token = stack.endpoints["api_url"], stack.endpoints["agent_token"]
        agent = {"Authorization": f"Bearer {token}"}
        category, model = classified_by(stack, token, 0)
        assert model == f"category-v1{TWIN}" and category != "policy"

        first = requests.get(f"{api}/staff/complaints", headers=agent, timeout=5).json()["items"][0]["reference"]
        corrected = requests.post(f"{api}/staff/complaints/{first}/category", json={"category": "policy"},
                                  headers=agent, timeout=5)
        assert corrected.status_code == 200, corrected.text
        for n in range(5):  # staff raise every "my lawyer" complaint (legal alone: P2) to P1
            complaint = triaged(stack, token, LAWYER.format(n), f"lawyer{n}@example.com")
            assert (complaint["priority"], complaint["classification"]["priority_rule"]) == ("P2", "legal_alone")
            raised = requests.post(f"{api}/staff/complaints/{complaint['reference']}/priority",
                                   json={"priority": "P1"}, headers=agent, timeout=5)
            assert raised.status_code == 200, raised.text

        base_rows = len(training_rows(DEFAULT_DATA)[0])  # what the stack uploaded as the base data set
        started = time.monotonic()
        published = model_action(stack, "retrain", "--force")
        retrain_seconds = time.monotonic() - started
        assert '"outcome": "published"' in published and '"active": "v2"' in published, published
        assert '"corrections_added": 1' in published and f'"base_rows": {base_rows}' in published, published
        assert '"legal_alone": "P2 -> P1"' in published, published

        time.sleep(REFRESH_SECONDS)
        assert classified_by(stack, token, 1)[1] == f"category-v2{TWIN}"
        assert triaged(stack, token, LAWYER.format(9), "lawyer9@example.com")["priority"] == "P1"

        assert '"rolled_back_from": "v2"' in model_action(stack, "rollback")
        time.sleep(REFRESH_SECONDS)
        assert classified_by(stack, token, 2)[1] == f"category-v1{TWIN}"
        assert triaged(stack, token, LAWYER.format(10), "lawyer10@example.com")["priority"] == "P2"
    print(f"\nretraining on {base_rows + 1:,} rows ({FOLDS}-fold CV, fit, export, publish) took {retrain_seconds:.1f} s")
