"""SM4-GCM sealing, HMAC-SM3 blind indexes and the key ring (common.crypto)."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from common import crypto

ROOT = Path(__file__).resolve().parents[2]


def keys(*field_ids, index=b"i" * 32):
    entries = [f"{key_id}:{base64.b64encode(key_id.encode().ljust(16, b'0')).decode()}" for key_id in field_ids]
    return ",".join([*entries, f"index:{base64.b64encode(index).decode()}"])


def test_a_value_is_sealed_with_its_key_id_and_a_fresh_nonce_and_opens_again(settings):
    settings.FENGQIAO_FIELD_KEYS = keys("k1")
    first = crypto.seal("13800138000", purpose="t.phone")
    second = crypto.seal("13800138000", purpose="t.phone")
    assert first.startswith("k1$") and second.startswith("k1$")
    assert first != second
    assert "13800138000" not in first
    assert crypto.unseal(first, purpose="t.phone") == crypto.unseal(second, purpose="t.phone") == "13800138000"
    assert crypto.seal("", purpose="t.phone") == ""


def test_a_wrong_key_an_unknown_key_or_an_altered_value_fail_loudly(settings):
    settings.FENGQIAO_FIELD_KEYS = keys("k1")
    sealed = crypto.seal("南昌市东湖区八一大道1号", purpose="t.address")
    settings.FENGQIAO_FIELD_KEYS = keys("k1", index=b"j" * 32).replace(
        "k1:" + base64.b64encode(b"k1".ljust(16, b"0")).decode(), "k1:" + base64.b64encode(b"x" * 16).decode()
    )
    with pytest.raises(crypto.SealedDataError, match="configured key is wrong"):
        crypto.unseal(sealed, purpose="t.address")
    settings.FENGQIAO_FIELD_KEYS = keys("k2")
    with pytest.raises(crypto.SealedDataError, match="not configured"):
        crypto.unseal(sealed, purpose="t.address")
    settings.FENGQIAO_FIELD_KEYS = keys("k1")
    # Another column's purpose (a ciphertext moved by hand) or a flipped byte: refused, not garbage.
    with pytest.raises(crypto.SealedDataError):
        crypto.unseal(sealed, purpose="t.phone")
    raw = bytearray(base64.b64decode(sealed[3:]))
    raw[14] ^= 1
    with pytest.raises(crypto.SealedDataError):
        crypto.unseal("k1$" + base64.b64encode(bytes(raw)).decode(), purpose="t.address")
    with pytest.raises(crypto.SealedDataError, match="not sealed"):
        crypto.unseal("13800138000", purpose="t.address")


def test_values_sealed_under_a_retired_key_still_open(settings):
    settings.FENGQIAO_FIELD_KEYS = keys("k1")
    old = crypto.seal("13800138000", purpose="t.phone")
    settings.FENGQIAO_FIELD_KEYS = keys("k2", "k1")
    assert crypto.seal("13800138000", purpose="t.phone").startswith("k2$")
    assert crypto.unseal(old, purpose="t.phone") == "13800138000"


def test_the_blind_index_is_keyed_normalised_and_separate_per_purpose(settings):
    settings.FENGQIAO_FIELD_KEYS = keys("k1")
    index = crypto.blind_index("36010219800101001x", purpose="t.id")
    assert index == crypto.blind_index(" 36010219800101001X ", purpose="t.id")
    assert len(index) == 64 and index != crypto.blind_index("36010219800101001X", purpose="t.other")
    assert crypto.blind_index("", purpose="t.id") == ""
    # Another index key (the field keys unchanged): another index.
    settings.FENGQIAO_FIELD_KEYS = keys("k1", index=b"j" * 32)
    assert crypto.blind_index("36010219800101001X", purpose="t.id") != index


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no SM4 field key"),
        ("k1:" + base64.b64encode(b"a" * 16).decode(), "no blind-index key"),
        ("k1:" + base64.b64encode(b"a" * 15).decode() + ",index:" + base64.b64encode(b"i" * 32).decode(), "16 bytes"),
        ("k1:not-base64!,index:" + base64.b64encode(b"i" * 32).decode(), "not valid base64"),
        ("k 1:abc", "id:base64"),
        ("index:" + base64.b64encode(b"i" * 8).decode(), "at least 16 bytes"),
    ],
)
def test_malformed_keys_are_refused_with_the_reason(text, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_keys(text)


def test_sm3_is_the_national_standards_digest():
    # GB/T 32905-2016, example A.1: SM3("abc").
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_field_keys():
    result = _manage(
        "check",
        FENGQIAO_PRODUCTION="1",
        SECRET_KEY="k3J9#vLq2!pZ8xR4tW7mN1bC6yH0dF5sA-fengqiao-test-only-key",
        FENGQIAO_FIELD_KEYS="",
        FENGQIAO_FIELD_KEY_FILE="",
    )
    assert result.returncode != 0
    assert "FENGQIAO_FIELD_KEYS or FENGQIAO_FIELD_KEY_FILE must be set" in result.stderr


def test_a_local_key_is_made_under_the_var_dir_on_first_start_and_said(tmp_path):
    env = {"FENGQIAO_VAR_DIR": str(tmp_path), "FENGQIAO_FIELD_KEYS": "", "FENGQIAO_FIELD_KEY_FILE": ""}
    first = _manage("check", **env)
    assert first.returncode == 0, first.stderr
    assert f"generated a local field key in {tmp_path / 'field-keys'}" in first.stderr
    ring = crypto.parse_keys((tmp_path / "field-keys").read_text())
    assert ring.current_id == "k1" and len(ring.index_key) == 32
    assert oct((tmp_path / "field-keys").stat().st_mode & 0o777) == "0o600"
    again = _manage("check", **env)
    assert again.returncode == 0 and "generated" not in again.stderr
