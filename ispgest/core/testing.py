"""Helpers for tests that submit a page's form as a browser would."""

from __future__ import annotations

from lxml import html as lxml_html


def form_values(content: bytes | str, *, form_index: int | None = None) -> dict[str, str]:
    """The name -> value pairs a browser would submit for the page's form, unchanged.

    The form is the page's POST form with the most fields (the page's main form, not the
    header's search or logout), unless `form_index` picks one.

    Inputs keep their value (checkboxes and radios only when checked), selects their
    selected option (or the first), textareas their text. Submit buttons are left out.
    """
    if isinstance(content, bytes):
        content = content.decode()
    forms = lxml_html.fromstring(content).forms
    if form_index is not None:
        form = forms[form_index]
    else:
        posts = [f for f in forms if (f.get("method") or "get").lower() == "post"]
        form = max(posts, key=lambda f: len(f.inputs))
    data: dict[str, str] = {}
    for element in form.inputs:
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        tag = element.tag
        kind = (element.get("type") or "text").lower()
        if tag == "input":
            if kind in {"submit", "button", "image", "reset", "file"}:
                continue
            if kind in {"checkbox", "radio"}:
                if element.get("checked") is not None:
                    data[name] = element.get("value") or "on"
                continue
            data[name] = element.get("value") or ""
        elif tag == "select":
            selected = element.xpath(".//option[@selected]") or element.xpath(".//option")
            data[name] = selected[0].get("value", selected[0].text or "") if selected else ""
        elif tag == "textarea":
            data[name] = element.text or ""
    return data
