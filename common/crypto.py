"""Personal data sealed at rest with the national algorithms (商用密码): SM4-GCM per value, HMAC-SM3
blind indexes for exact search, SM3 for the audit chain (docs/security.md).

Keys live outside the database (FENGQIAO_FIELD_KEYS or the file FENGQIAO_FIELD_KEY_FILE names,
docs/configuration.md): comma- or line-separated `id:base64` entries. The first field key is the
current one (new values are sealed under it); the others only open values sealed before a
rotation. The entry named `index` is the blind-index key, kept apart so that the index can be
recomputed without the field keys and the field keys rotated without touching the index.

A sealed value is `<key id>$<base64 of nonce ‖ ciphertext ‖ tag>`: the key id beside the
ciphertext, a fresh 96-bit nonce per value, and the column's purpose (`casework.party.phone`)
as associated data, so that a ciphertext moved to another column does not open.
"""

import base64
import binascii
import functools
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

INDEX_KEY_ID = "index"
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_NONCE_BYTES = 12
_TAG_BYTES = 16
SEPARATOR = "$"


class SealedDataError(Exception):
    """A sealed value that cannot be opened: a wrong or missing key, or a value that was altered.

    Never caught to show something else: a page that cannot open a party's data must fail, loudly,
    rather than show garbage or nothing.
    """


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    field_keys: dict[str, bytes]
    index_key: bytes


def parse_keys(text: str) -> KeyRing:
    """The key ring from the text of FENGQIAO_FIELD_KEYS or of the key file; ImproperlyConfigured if malformed."""
    field_keys: dict[str, bytes] = {}
    index_key = b""
    current = ""
    for raw in re.split(r"[,\n]", text or ""):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        if not sep or not _KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(f"Field keys: an entry is `id:base64`, id of 1-16 letters or digits: {key_id!r}")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"Field keys: key {key_id!r} is not valid base64") from None
        if key_id == INDEX_KEY_ID:
            if len(key) < 16:
                raise ImproperlyConfigured("Field keys: the blind-index key must be at least 16 bytes")
            index_key = key
            continue
        if len(key) != 16:
            raise ImproperlyConfigured(f"Field keys: SM4 key {key_id!r} must be 16 bytes, not {len(key)}")
        if key_id in field_keys:
            raise ImproperlyConfigured(f"Field keys: key id {key_id!r} is given twice")
        field_keys[key_id] = key
        current = current or key_id
    if not field_keys:
        raise ImproperlyConfigured("Field keys: no SM4 field key is configured")
    if not index_key:
        raise ImproperlyConfigured("Field keys: no blind-index key (the entry `index:…`) is configured")
    return KeyRing(current_id=current, field_keys=field_keys, index_key=index_key)


def generate_keys_text(key_id: str = "k1") -> str:
    """A new key file's text: one SM4 field key and one blind-index key, from the OS's CSPRNG."""
    field = base64.b64encode(os.urandom(16)).decode()
    index = base64.b64encode(os.urandom(32)).decode()
    return (
        "# Fengqiao field keys (docs/security.md). Without this file the parties' personal data cannot be read:\n"
        "# back it up apart from the database. The first field key seals new values; `index` is the blind index.\n"
        f"{key_id}:{field}\n{INDEX_KEY_ID}:{index}\n"
    )


@functools.cache
def _ring(text: str) -> KeyRing:
    return parse_keys(text)


def keyring() -> KeyRing:
    # Cached per text, so a test that overrides the setting gets its own ring.
    return _ring(settings.FENGQIAO_FIELD_KEYS)


def _cipher(key: bytes, nonce: bytes, tag: bytes | None = None) -> Cipher:
    return Cipher(algorithms.SM4(key), modes.GCM(nonce, tag))


def seal(plaintext: str, *, purpose: str, key_id: str | None = None) -> str:
    """`plaintext` sealed with SM4-GCM under the current key (or `key_id`); "" stays "" (nothing to hide)."""
    if plaintext is None or plaintext == "":
        return plaintext
    ring = keyring()
    key_id = key_id or ring.current_id
    nonce = os.urandom(_NONCE_BYTES)
    encryptor = _cipher(ring.field_keys[key_id], nonce).encryptor()
    encryptor.authenticate_additional_data(purpose.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return key_id + SEPARATOR + base64.b64encode(nonce + body + encryptor.tag).decode()


def key_id_of(sealed: str) -> str:
    return sealed.partition(SEPARATOR)[0] if sealed else ""


def unseal(sealed: str, *, purpose: str) -> str:
    """The plaintext of a sealed value; SealedDataError for an unknown key id, a wrong key or an altered value."""
    if sealed is None or sealed == "":
        return sealed
    key_id, sep, encoded = sealed.partition(SEPARATOR)
    if not sep:
        raise SealedDataError(f"{purpose}: the stored value is not sealed (no key id)")
    ring = keyring()
    key = ring.field_keys.get(key_id)
    if key is None:
        raise SealedDataError(f"{purpose}: sealed under key {key_id!r}, which is not configured")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SealedDataError(f"{purpose}: the stored value is not valid base64") from None
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise SealedDataError(f"{purpose}: the stored value is truncated")
    nonce, body, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
    decryptor = _cipher(key, nonce, tag).decryptor()
    decryptor.authenticate_additional_data(purpose.encode())
    try:
        plain = decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise SealedDataError(
            f"{purpose}: the value sealed under key {key_id!r} does not open: the configured key is wrong"
            " or the value was altered"
        ) from None
    return plain.decode()


def normalize_for_index(value: str) -> str:
    """What exact search compares: no spaces anywhere, upper case (an ID number's x is X)."""
    return "".join((value or "").split()).upper()


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SM3 of the normalised value under the index key, hex; "" for an empty value.

    The purpose is part of the message, so equal text in two columns gives unrelated indexes.
    """
    value = normalize_for_index(value)
    if not value:
        return ""
    mac = hmac.HMAC(keyring().index_key, hashes.SM3())
    mac.update(purpose.encode() + b"\x00" + value.encode())
    return mac.finalize().hex()


def sm3_hex(data: bytes) -> str:
    """SM3 (GB/T 32905-2016) digest, hex."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()
