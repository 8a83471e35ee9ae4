"""Infrastructure fixtures: the merged deploy template and the checked deployment.zip, built once per session.

`chalice package` output is cached in build/test-package (rebuilt when app.py, chalicelib, requirements.txt or
.chalice/config.json change); the template and the slimmed zip are made fresh from it for each session.
"""
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra import package


def pytest_configure(config):
    config.addinivalue_line("markers", "packaging: inspects the built deployment.zip (imports it in a clean Python)")


@dataclass
class Built:
    template: dict
    template_path: Path
    zip_path: Path


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    chalice_out = package.cached_chalice_package(package.BUILD / "test-package")
    out = tmp_path_factory.mktemp("deploy")
    template = package.write_template(chalice_out / "sam.json", out / "template.json")
    package.slim_zip(chalice_out / "deployment.zip", out / "deployment.zip")
    return Built(template, out / "template.json", out / "deployment.zip")


@pytest.fixture(scope="session")
def template(built) -> dict:
    return built.template
