"""Every text of the console has a Chinese translation (what `make messages` checks), and the compiled catalog
renders Chinese pages."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "chalicelib" / "web" / "translations" / "zh" / "LC_MESSAGES"


def test_every_text_in_templates_and_code_is_translated(tmp_path):
    pytest.importorskip("babel")
    from babel.messages.pofile import read_po

    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "infra/babel.cfg", "-o",
                    str(template), "--no-location", "."], cwd=ROOT, check=True, capture_output=True)
    with template.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (CATALOG / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 50
    assert sorted(wanted - translated) == []


def test_the_compiled_catalog_renders_chinese():
    from chalicelib.web.render import render

    assert (CATALOG / "messages.mo").exists(), "make compiles the catalogs (the .mo files are not committed)"
    page = render("console/error.html", "zh", viewer=None, url=lambda path: path, title="not_found")
    assert "<h1>未找到</h1>" in page and 'lang="zh-Hans"' in page
    assert "<h1>Not found</h1>" in render("console/error.html", "en", viewer=None, url=lambda p: p, title="not_found")
