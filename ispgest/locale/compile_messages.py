"""Compile every ispgest/**/locale/*/LC_MESSAGES/django.po into its .mo without system gettext.

    python ispgest/locale/compile_messages.py

The .mo files are committed, so running ispgest needs nothing; this is for translators
(`make messages`). polib reads the catalogs and writes the GNU .mo layout; like msgfmt,
fuzzy and untranslated entries are left out and msgctxt (pgettext) entries keep their
context.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

HERE = Path(__file__).resolve().parent


def compile_po(po_path: Path, mo_path: Path | None = None) -> int:
    """Write the .mo of one catalog; returns how many translated messages it holds."""
    catalog = polib.pofile(str(po_path), encoding="utf-8")
    out = polib.MOFile(encoding="utf-8")
    out.metadata = catalog.metadata
    for entry in catalog.translated_entries():
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        out.append(entry)
    out.save(str(mo_path or po_path.with_suffix(".mo")))
    return len(out)


def main() -> int:
    for po in sorted(HERE.parent.glob("**/locale/*/LC_MESSAGES/*.po")):
        count = compile_po(po)
        print(f"{po.relative_to(HERE.parent)}: {count} mensajes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
