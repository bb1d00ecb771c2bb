"""The catalogs compile in pure Python (polib): fuzzy entries are left out without touching
their neighbours, the last entry survives, and context (msgctxt) entries keep the context."""

import gettext
from pathlib import Path

from ispgest.locale.compile_messages import HERE, compile_po

PO = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#, fuzzy
msgid "Borrador"
msgstr "Draft"

msgid "Factura"
msgstr "Invoice"

msgctxt "mes"
msgid "Mayo"
msgstr "May"

msgctxt "persona"
msgid "Mayo"
msgstr "Mayo (name)"

msgid "Un cliente"
msgid_plural "%(n)s clientes"
msgstr[0] "One client"
msgstr[1] "%(n)s clients"

msgid "Última"
msgstr "Last"
"""


def load(tmp_path: Path) -> gettext.GNUTranslations:
    po = tmp_path / "django.po"
    po.write_text(PO, encoding="utf-8")
    assert compile_po(po) == 5
    with open(po.with_suffix(".mo"), "rb") as fh:
        return gettext.GNUTranslations(fh)


def test_a_fuzzy_entry_is_left_out_and_its_neighbours_and_the_last_entry_are_kept(tmp_path):
    tr = load(tmp_path)
    assert tr.gettext("Borrador") == "Borrador"
    assert tr.gettext("Factura") == "Invoice"
    assert tr.gettext("Última") == "Last"
    assert tr.ngettext("Un cliente", "%(n)s clientes", 3) == "%(n)s clients"


def test_context_entries_keep_their_context(tmp_path):
    tr = load(tmp_path)
    assert tr.pgettext("mes", "Mayo") == "May"
    assert tr.pgettext("persona", "Mayo") == "Mayo (name)"
    assert tr.gettext("Mayo") == "Mayo"


def test_the_projects_catalogs_compile_and_translate(tmp_path):
    po = HERE / "en" / "LC_MESSAGES" / "django.po"
    mo = tmp_path / "django.mo"
    assert compile_po(po, mo) > 100
    with open(mo, "rb") as fh:
        tr = gettext.GNUTranslations(fh)
    assert tr.gettext("Facturas a pagar") == "Invoices to pay"


def _messages(mo_path: Path) -> dict:
    with open(mo_path, "rb") as fh:
        return dict(gettext.GNUTranslations(fh)._catalog)


def test_every_committed_mo_holds_what_its_po_says(tmp_path):
    """The .mo files are committed (running ispgest needs no compiler): a .po edited without
    `make messages` leaves its pages in Spanish for English users."""
    catalogs = sorted(HERE.parent.glob("**/locale/*/LC_MESSAGES/django.po"))
    assert len(catalogs) >= 5
    stale = []
    for number, po in enumerate(catalogs):
        fresh = tmp_path / f"{number}.mo"
        compile_po(po, fresh)
        if _messages(fresh) != _messages(po.with_suffix(".mo")):
            stale.append(str(po.relative_to(HERE.parent)))
    assert not stale, f"run `make messages`: {stale}"
