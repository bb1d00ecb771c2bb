"""Text rules shared by every app: control characters in input, and folding for search.

`fold` lower-cases and strips accents (what search and Spanish sorting compare on).

Control characters in text input: one rule and one message for every entry point.

NUL (which PostgreSQL cannot store in text) and the other C0 control characters and DEL
are refused in every text field and filter; tab, line feed and carriage return are ordinary
text. The same rule runs in four places, so no input can forget it:

- forms: `core.forms.StyledFormMixin` puts `ControlCharactersValidator` on every text field;
- query strings of pages and of the API: `core.middleware.ControlCharactersMiddleware`;
- JSON and form bodies of the API: the API's parser (`api.base.Parser`), which also publishes
  `SPEC_PATTERN` on every input string of the OpenAPI spec;
- imported files: each cell is checked by the import's validation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same class as a JSON-Schema (ECMA-262) pattern for the OpenAPI spec.
SPEC_PATTERN = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$"
CONTROL_MESSAGE = _("Los caracteres nulos o de control no están permitidos.")


def has_control_chars(value: str) -> bool:
    return CONTROL_CHARS.search(value) is not None


@deconstructible
class ControlCharactersValidator:
    message = CONTROL_MESSAGE
    code = "control_characters"

    def __call__(self, value) -> None:
        if value is not None and has_control_chars(str(value)):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharactersValidator)


def find_control_chars(data, path: tuple = ()) -> tuple | None:
    """The path (keys and indexes) of the first string in `data` (JSON-like: dicts, lists,
    strings) holding a control character, dict keys included; None when there is none."""
    if isinstance(data, str):
        return path if has_control_chars(data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and has_control_chars(key):
                return (*path, key)
            found = find_control_chars(value, (*path, key))
            if found is not None:
                return found
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found = find_control_chars(value, (*path, index))
            if found is not None:
                return found
    return None


def fold(text: str | None) -> str:
    """Lower-case and strip accents: what search and Spanish sorting compare on.

    "ñ" is its own letter in Spanish, between "n" and "o": it becomes "n~", which sorts there
    under a binary collation ("nz" < "n~" < "o") and stays distinct from "n" in searches.
    """
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    return _fold_unicode(text)


@lru_cache(maxsize=65536)
def _fold_unicode(text: str) -> str:
    text = text.lower().replace("ñ", "n~").replace("n\u0303", "n~")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
