"""Compile every ispgest/**/locale/*/LC_MESSAGES/django.po into its .mo without system gettext.

    python ispgest/locale/compile_messages.py

The .mo files are committed, so running ispgest needs nothing; this is for translators
(`make messages`). It follows the GNU .mo layout as Python's Tools/i18n/msgfmt.py does;
fuzzy entries are skipped, like msgfmt.
"""

from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse_po(text: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    msgid = msgstr = None
    plural: dict[int, str] = {}
    msgid_plural = None
    section = None
    fuzzy = False

    def flush():
        nonlocal msgid, msgstr, plural, msgid_plural, fuzzy
        if msgid is not None and not fuzzy:
            if msgid_plural is not None:
                if any(plural.values()):
                    key = f"{msgid}\0{msgid_plural}"
                    messages[key] = "\0".join(plural[i] for i in sorted(plural))
            elif msgstr or msgid == "":
                messages[msgid] = msgstr or ""
        msgid = msgstr = msgid_plural = None
        plural = {}
        fuzzy = False

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            flush()
            fuzzy = True
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid_plural "):
            msgid_plural = ast.literal_eval(line[13:])
            section = "plural_id"
        elif line.startswith("msgid "):
            if msgid is not None:
                pending_fuzzy = fuzzy
                fuzzy = False
                flush()
                fuzzy = pending_fuzzy
            msgid = ast.literal_eval(line[6:])
            section = "id"
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            plural[index] = ast.literal_eval(line[line.index("]") + 1 :].strip())
            section = ("plural", index)
        elif line.startswith("msgstr "):
            msgstr = ast.literal_eval(line[7:])
            section = "str"
        elif line.startswith('"'):
            chunk = ast.literal_eval(line)
            if section == "id":
                msgid += chunk
            elif section == "plural_id":
                msgid_plural += chunk
            elif section == "str":
                msgstr += chunk
            elif isinstance(section, tuple):
                plural[section[1]] += chunk
    flush()
    return messages


def write_mo(messages: dict[str, str], path: Path) -> None:
    keys = sorted(messages)
    ids = b""
    strs = b""
    offsets = []
    for key in keys:
        k, v = key.encode(), messages[key].encode()
        offsets.append((len(ids), len(k), len(strs), len(v)))
        ids += k + b"\0"
        strs += v + b"\0"
    n = len(keys)
    keystart = 7 * 4 + 16 * n
    valuestart = keystart + len(ids)
    koffsets, voffsets = [], []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    output = struct.pack("Iiiiiii", 0x950412DE, 0, n, 7 * 4, 7 * 4 + n * 8, 0, 0)
    output += struct.pack(f"{len(koffsets)}i", *koffsets)
    output += struct.pack(f"{len(voffsets)}i", *voffsets)
    output += ids + strs
    path.write_bytes(output)


def main() -> int:
    for po in sorted(HERE.parent.glob("**/locale/*/LC_MESSAGES/*.po")):
        messages = parse_po(po.read_text(encoding="utf-8"))
        write_mo(messages, po.with_suffix(".mo"))
        print(f"{po.relative_to(HERE.parent)}: {len(messages) - 1} mensajes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
