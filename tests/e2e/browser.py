"""The browser the page tests drive: Debian's Chromium. Missing locally, a page test skips; with CI=true it fails,
so CI never goes green without looking at the pages (.ci/run installs Chromium)."""
from __future__ import annotations

import os
import shutil

import pytest


def chromium_binary() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        return binary
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but no chromium on PATH: .ci/run installs it (apt-get install chromium)")
    pytest.skip("no chromium binary on PATH (apt-get install chromium)")
