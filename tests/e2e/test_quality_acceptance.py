"""Service quality in the local stack: demo traffic replayed over simulated weeks, then the KPIs match the replay's
own hand count, the spike and the low CSAT raise alerts, the PDCA action's Check has before/after figures, and the
dashboard renders its charts in headless Chromium (screenshot kept under build/test-artifacts)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from infra.stack_process import running_stack
from tests.e2e.browser import chromium_binary

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "test-artifacts"


@pytest.mark.xdist_group("local-stack")  # one stack at a time: they time real events
def test_replayed_traffic_gives_matching_kpis_alerts_a_pdca_check_and_a_rendered_dashboard(tmp_path):
    with running_stack(tmp_path / "local") as stack:
        replay = subprocess.run([sys.executable, "-m", "infra.replay", "--state-dir", str(stack.state_dir),
                                 "--weeks", "2", "--seed", "11", "--scale", "0.4"], cwd=ROOT, capture_output=True, text=True,
                                timeout=400)
        print(replay.stdout[-1500:])
        assert replay.returncode == 0, replay.stdout[-3000:] + replay.stderr[-3000:]  # hand count == report
        assert "MISMATCH" not in replay.stdout and "volume_spike#billing#" in replay.stdout

        alerts = [json.loads(line) for line in Path(stack.endpoints["alerts_file"]).read_text().splitlines()]
        types = {a["attributes"].get("type") for a in alerts}
        assert {"volume_spike", "csat_low_score"} <= types, types
        spike = next(a for a in alerts if a["attributes"].get("type") == "volume_spike")
        assert spike["attributes"]["category"] == "billing" and spike["message"]["top_terms"]
        assert spike["message"]["examples"] and spike["message"]["observed"] > spike["message"]["expected"]

        manager = {"Authorization": f"Bearer {stack.endpoints['manager_token']}"}
        check = requests.get(f"{stack.endpoints['api_url']}/improvement-actions/PDCA-DELIVERY-1/check",
                             headers=manager, timeout=30).json()["data"]
        assert check["before"]["count"] > 0 and check["after"]["count"] > 0
        assert check["after"]["value"] < check["before"]["value"]  # the replayed improvement shows

        from playwright.sync_api import sync_playwright

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "dashboard-local-stack.png"
        with sync_playwright() as playwright:  # a manager signs in through the form: no token in any URL
            browser = playwright.chromium.launch(executable_path=chromium_binary(), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 2400})
            manager_account = next(s for s in stack.endpoints["staff"] if s["role"] == "manager")
            page.goto(f"{stack.endpoints['api_url']}/dashboard")  # signed out: the console's sign-in first
            page.fill("#username", manager_account["sign_in"])
            page.fill("#password", manager_account["first_password"])
            page.click("main button[type=submit]")
            page.fill("#new_password", "Manager-Pass-2026!")  # the first sign-in sets a password
            page.fill("#confirm_password", "Manager-Pass-2026!")
            page.click("main button[type=submit]")
            page.goto(f"{stack.endpoints['api_url']}/dashboard")
            assert page.url.endswith("/dashboard") and "token" not in page.url
            dom = page.content()
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
        charts = re.findall(r'<figure[^>]*data-chart="([^"]+)"', dom)
        drawn = [c for c in charts if re.search(
            rf'data-chart="{re.escape(c)}".*?<svg.*?(<path|<rect)', dom, re.S)]
        print(f"dashboard charts rendered: {drawn}; screenshot {shot} ({shot.stat().st_size} bytes)")
        assert len(drawn) >= 5 and shot.stat().st_size > 20_000

        again = subprocess.run([sys.executable, "-m", "infra.replay", "--state-dir", str(stack.state_dir),
                                "--weeks", "1", "--seed", "12", "--scale", "0.3"], cwd=ROOT, capture_output=True,
                               text=True, timeout=400)
        assert again.returncode == 0, again.stdout[-3000:]  # a stack that holds complaints: only the replay counts
