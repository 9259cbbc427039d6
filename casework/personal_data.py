"""Validation and masking of parties' personal data (身份证号, mobile numbers)."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_digit(first17: str) -> str:
    """GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def is_full_id_number(value: str) -> bool:
    """Shaped like a whole ID number (18 characters, the last a digit or X); the checksum is not asked."""
    return bool(_ID_RE.match(normalize_id_number(value)))


def is_full_mobile(value: str) -> bool:
    return bool(_MOBILE_RE.match((value or "").strip()))


def validate_id_number(value: str) -> None:
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        raise ValidationError(_("身份证号应为18位：17位数字加1位校验码（数字或X）。"), code="id_format")
    try:
        # A real calendar date (no 19900230), not in the future.
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1850 or born > dt.date.today():
        raise ValidationError(_("身份证号中的出生日期无效。"), code="id_birthdate")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("身份证号校验码不正确。"), code="id_checksum")


def particulars_from_id(value: str) -> tuple[str, dt.date] | None:
    """(sex, date of birth) read off a valid ID number (the 17th digit odd: male), or None."""
    value = normalize_id_number(value)
    try:
        validate_id_number(value)
    except ValidationError:
        return None
    born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    return ("male" if int(value[16]) % 2 else "female"), born


def validate_iso_date(value: str) -> None:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("日期格式应为YYYY-MM-DD。"), code="date") from None


def validate_age(value: str) -> None:
    if not (value.isdigit() and 0 < int(value) < 150):
        raise ValidationError(_("年龄应为1至149之间的整数。"), code="age")


def validate_mobile(value: str) -> None:
    if not _MOBILE_RE.match((value or "").strip()):
        raise ValidationError(_("请输入11位大陆手机号码（以1开头）。"), code="mobile")


def mask_phone(value: str) -> str:
    """138****5678: the prefix and last four digits, as on a receipt."""
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_id_number(value: str) -> str:
    """3601**********1234: region prefix and the last four characters."""
    if not value:
        return ""
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:] if len(value) > 8 else "*" * len(value)


def sealed_search(text: str) -> tuple[str, str] | None:
    """("id_number" | "phone", the whole value) when a search names a party's whole ID number or
    phone: found through the blind index, and audited like a reveal (it says who has that number)."""
    value = normalize_id_number((text or "").strip())
    if is_full_id_number(value):
        return "id_number", value
    if is_full_mobile(value):
        return "phone", value
    return None


def audit_sealed_search(request, text: str, *, where: str) -> None:
    """A search by a party's whole ID number or phone is audited like a reveal (the page and the API);
    the audit keeps the number masked."""
    from common.audit import audit_search  # the audit's model loads after this module (the case model uses it)

    sealed = sealed_search(text)
    if sealed is not None:
        field, value = sealed
        masked = mask_id_number(value) if field == "id_number" else mask_phone(value)
        audit_search(request, field=field, masked=masked, where=where)
