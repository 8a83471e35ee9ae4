"""Posts a handful of demo complaints (written for this project) to the running local stack.

    python -m infra.demo [--state-dir .local]      (the API URL is read from <state-dir>/endpoints.json)
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import requests

from infra.mint_token import DEFAULT_STATE_DIR

# (JSON or form-encoded, fields); all fictitious.
DEMO_COMPLAINTS: list[tuple[str, dict[str, str]]] = [
    ("json", {
        "name": "Ada Fernández", "email": "ada.fernandez@example.com", "category": "delivery",
        "subject": "Parcel marked delivered but never arrived",
        "description": "Order 48213 shows as delivered on Tuesday at 14:02, but nothing was left at my door "
                       "or with my neighbours. Please find out where it went or send a replacement.",
    }),
    ("json", {
        "name": "Tom Okafor", "email": "tom.okafor@example.org", "phone": "+44 20 7946 0958", "category": "billing",
        "subject": "Charged twice for the same subscription",
        "description": "My card was charged 12.99 twice on the 3rd of this month for the same monthly plan. "
                       "I would like the duplicate payment refunded.",
    }),
    ("json", {
        "name": "王芳", "email": "wang.fang@example.cn", "category": "service_attitude", "language": "zh",
        "subject": "客服人员态度很差",
        "description": "上周五我打电话询问退货进度，客服人员多次打断我说话，最后直接挂断了电话。希望你们能调查此事并给我一个答复。",
    }),
    ("form", {
        "name": "Jamie Lee", "phone": "+1 202 555 0143", "category": "product", "consent": "on",
        "subject": "Kettle lid broke after two weeks",
        "description": "The hinge of the lid snapped after two weeks of normal use. The kettle is still under "
                       "warranty; I have kept the box and the receipt.",
    }),
    ("json", {
        "name": "Priya Natarajan", "email": "priya.n@example.net", "category": "technical",
        "subject": "Cannot log in to the app since the update",
        "description": "Since version 5.2 the app says 'session expired' right after I enter my password. "
                       "Reinstalling did not help. Android 14, Pixel 7.",
    }),
    ("json", {
        "name": "Marek Nowak", "email": "marek.nowak@example.com",
        "subject": "Store closed during advertised opening hours",
        "description": "The Riverside store was closed at 10:30 on Saturday although the website says it opens "
                       "at 9:00. I travelled 40 minutes to get there.",
    }),
]


def post_demo_complaints(api_url: str) -> list[dict]:
    """Posts each demo complaint; returns the 202 responses (reference, status_url, access_token...)."""
    accepted = []
    for encoding, fields in DEMO_COMPLAINTS:
        if encoding == "form":
            response = requests.post(f"{api_url}/complaints", data=fields, headers={"Accept": "application/json"},
                                     timeout=10)
        else:
            response = requests.post(f"{api_url}/complaints", json={**fields, "consent": True}, timeout=10)
        if response.status_code != 202:
            raise RuntimeError(f"POST /complaints gave {response.status_code}: {response.text[:300]}")
        accepted.append(response.json())
        print(f"  {accepted[-1]['reference']}  {fields['subject']}\n      {accepted[-1]['status_url']}", flush=True)
    return accepted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Post demo complaints to the running local stack")
    parser.add_argument("--state-dir", default=DEFAULT_STATE_DIR)
    args = parser.parse_args(argv)
    endpoints = Path(args.state_dir) / "endpoints.json"
    if not endpoints.exists():
        raise SystemExit(f"{endpoints} not found: start the local stack first (make run)")
    post_demo_complaints(json.loads(endpoints.read_text())["api_url"])


if __name__ == "__main__":
    main()
