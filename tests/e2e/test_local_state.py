"""The local stack keeps its data: a complaint survives Ctrl-C and a restart on the same state dir, and a stack
killed with SIGKILL leaves no server on its port and no stale endpoints file."""
from __future__ import annotations

import signal
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from infra.stack_process import running_stack, submit, wait_for_acknowledgement


def port_is_free(url: str) -> bool:
    host, port = urlsplit(url).hostname, urlsplit(url).port
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


@pytest.mark.xdist_group("local-stack")  # one stack at a time: they time real events
def test_complaints_survive_a_restart_and_a_killed_stack_leaves_nothing_behind(tmp_path):
    state_dir = tmp_path / "local"
    with running_stack(state_dir) as stack:
        accepted = submit(stack.endpoints["api_url"])
        before = wait_for_acknowledgement(accepted["status_url"], stack.endpoints["outbox_file"])
        assert stack.stop(signal.SIGINT) < 30
    assert "Saved" in stack.log() and not (state_dir / "endpoints.json").exists()

    with running_stack(state_dir) as again:
        status_url = accepted["status_url"].replace(urlsplit(accepted["status_url"]).netloc,
                                                    urlsplit(again.endpoints["api_url"]).netloc)
        after = requests.get(status_url, timeout=10).json()
        assert (after["status"], after["subject"]) == (before["status"], before["subject"])
        assert [e["type"] for e in after["history"]] == [e["type"] for e in before["history"]]
        staff = requests.get(f"{again.endpoints['api_url']}/staff/complaints/{accepted['reference']}",
                             headers={"Authorization": f"Bearer {again.endpoints['agent_token']}"}, timeout=10)
        assert staff.status_code == 200 and "restored" in again.log()

        again.process.send_signal(signal.SIGKILL)
        again.process.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (port_is_free(again.endpoints["api_url"])
                                                   and not (state_dir / "endpoints.json").exists()):
            time.sleep(0.2)
        assert port_is_free(again.endpoints["api_url"])  # chalice local went with its parent
        assert not (state_dir / "endpoints.json").exists()
