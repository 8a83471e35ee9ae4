"""`make messages`: extracts the pages' texts (infra/babel.cfg) and merges them into each language's catalog;
texts without a translation are listed, and the command fails, so none ships untranslated."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "chalicelib" / "web" / "translations"
TEMPLATE = ROOT / "build" / "messages.pot"


def untranslated(po_file: Path) -> list[str]:
    from babel.messages.pofile import read_po

    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    return [str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]


def main() -> int:
    TEMPLATE.parent.mkdir(exist_ok=True)
    babel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run([*babel, "extract", "-F", str(ROOT / "infra" / "babel.cfg"), "-o", str(TEMPLATE), "--no-location",
                    "--omit-header", "."], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run([*babel, "update", "-i", str(TEMPLATE), "-d", str(CATALOGS), "--no-fuzzy-matching",
                    "--ignore-obsolete"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    missing = {po.parent.parent.name: untranslated(po) for po in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po"))}
    for language, texts in missing.items():
        for text in texts:
            print(f"{language}: no translation for {text!r}")
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
