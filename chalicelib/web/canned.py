"""Canned responses for one complaint: those of its team, its language first, with the placeholders filled."""
from __future__ import annotations

from typing import Any

from ..domain.tokens import access_token
from ..wiring import services


def canned_replies(complaint: Any, agent_name: str, status_url: str) -> list[tuple[Any, str]]:
    """(canned response, its text for this complaint). `status_url`: the customer's status page, without a token."""
    language = "zh" if (complaint.language or "").lower().startswith("zh") else "en"
    token = access_token(services.token_secret, complaint.reference)
    values = {"customer_name": complaint.sender.name or "", "reference": complaint.reference,
              "agent_name": agent_name, "team": complaint.team or "", "status_link": f"{status_url}?token={token}"}
    fitting = [c for c in services.live_config.current().canned_responses if not c.teams or complaint.team in c.teams]
    fitting.sort(key=lambda c: c.language != language)
    return [(c, c.render(**values)) for c in fitting]
