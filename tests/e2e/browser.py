"""The browser the page tests drive: Debian's Chromium. Missing locally, a page test skips; with CI=true it fails,
so CI never goes green without looking at the pages (.ci/run installs Chromium)."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest


def chromium_binary() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        return binary
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but no chromium on PATH: .ci/run installs it (apt-get install chromium)")
    pytest.skip("no chromium binary on PATH (apt-get install chromium)")


ORIGIN = "http://testserver"  # PUBLIC_BASE_URL in the tests: the links the app writes
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "pages"
HOP_BY_HOP = {"content-length", "transfer-encoding", "connection"}


@contextlib.contextmanager
def browser_site(tmp_path):
    """Chalice's test client on moto, and a Chromium page whose requests to ORIGIN it answers: forms really post
    and links really navigate, with no server to start (redirects excepted: see served_site)."""
    from chalice.test import Client

    from tests.integration.conftest import provision_fake_aws

    import app as application

    with provision_fake_aws(tmp_path) as aws, Client(application.app) as client:
        def answer(route):
            request = route.request
            url = urlsplit(request.url)
            path = url.path + (f"?{url.query}" if url.query else "")
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            response = client.http.request(request.method, path, headers=headers, body=request.post_data_buffer or b"")
            route.fulfill(status=response.status_code, body=response.body,
                          headers={k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP})

        with _chromium() as (context, page, axe):
            context.route(f"{ORIGIN}/**", answer)
            yield {"page": page, "client": client, "aws": aws, "axe": axe, "context": context, "origin": ORIGIN}


@contextlib.contextmanager
def served_site(tmp_path):
    """The app behind infra.local_api (what `make run` serves) on moto, on a free port of 127.0.0.1, and Chromium:
    real HTTP, so redirects and cookies behave as in a deployment. The app's links use the server's origin."""
    from chalicelib.config import settings
    from tests.integration.conftest import served_locally

    with served_locally(tmp_path) as origin:
        saved = os.environ.get("PUBLIC_BASE_URL")
        os.environ["PUBLIC_BASE_URL"] = origin
        settings.cache_clear()
        try:
            with _chromium() as (context, page, axe):
                yield {"page": page, "axe": axe, "context": context, "origin": origin}
        finally:
            os.environ["PUBLIC_BASE_URL"] = saved or ""
            settings.cache_clear()


@contextlib.contextmanager
def _chromium():
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            yield context, context.new_page(), Axe()
        finally:
            browser.close()


def scan(site, name: str) -> None:
    """axe-core finds no violation; a desktop and a 375 px screenshot are kept in build/test-artifacts/pages."""
    page = site["page"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=ARTIFACTS / f"{name}-375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    violations = site["axe"].run(page).response["violations"]
    assert not violations, json.dumps([(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                                       for v in violations], indent=1)


@contextlib.contextmanager
def console_site(tmp_path, secret: str, password: str, names: tuple[str, ...] = ("admin", "manager", "agent")):
    """served_site with the seeded staff, each through their first sign-in (their password is now `password`)."""
    from infra.staff_seed import first_password, seed_staff

    with served_site(tmp_path) as harness:
        seed_staff(os.environ["COGNITO_USER_POOL_ID"], secret)
        for name in names:
            page = sign_in_as(harness, name, first_password(secret, name))
            page.fill("#new_password", password)
            page.fill("#confirm_password", password)
            page.click("main button[type=submit]")
        yield harness


def sign_in_as(site, name: str, password: str):
    """A fresh browser session (cookies cleared), signed in through the form."""
    page = site["page"]
    page.goto("about:blank")  # the last test's page stops polling before its cookies go
    page.context.clear_cookies()
    page.goto(f"{site['origin']}/console")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    return page
