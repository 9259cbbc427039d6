"""Free text in: one rule for every field a person types or a ledger cell holds (docs/text.md).

- Unicode NFC, so that the same words typed on two keyboards compare and search alike.
- Line breaks as "\\n": "\\r\\n" and a lone "\\r" (Windows and old Mac text, Excel cells) become "\\n".
- Control characters other than "\\n" and "\\t" (C0, DEL, C1) are refused, naming the field: they
  are invisible, no one means to type them, and XLSX cannot hold most of them. Nothing is stripped
  silently, single-line fields included: what is stored is what the person saw and sent.
- NUL and unpaired surrogates are refused too (PostgreSQL stores neither).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# C0 controls but tab (\x09) and line feed (\x0a); carriage returns are folded before the check.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SURROGATES = re.compile(r"[\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n?")


def normalise(value: str) -> str:
    """NFC, line breaks as "\\n"; the value as it will be stored (controls are refused separately)."""
    return unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", value))


def problem(value: str) -> str | None:
    """Why `value` (normalised) cannot be stored as free text, or None."""
    if SURROGATES.search(value):
        return _("含有无法保存的字符（不成对的代理码位）")
    found = CONTROL_CHARACTERS.search(value)
    if found:
        return _("含有不可见的控制字符（U+%(code)04X），请删除后重新输入") % {"code": ord(found.group())}
    return None


def clean_text(value: str, *, field: str) -> str:
    """`value` normalised, or a ValidationError whose message names `field` (a label people read)."""
    value = normalise(value)
    reason = problem(value)
    if reason:
        raise ValidationError(_("“%(field)s”%(reason)s。") % {"field": field, "reason": reason}, code="control")
    return value


def strip_controls(value: str) -> str:
    """`value` without what clean_text refuses: for rows stored before the rule (the data migrations)."""
    return SURROGATES.sub("", CONTROL_CHARACTERS.sub("", normalise(value)))
