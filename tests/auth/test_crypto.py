"""FieldCipher: authenticated encryption of fields at rest and keyed look-up hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable

import pytest

from mychangsha.auth.crypto import DecryptionFailed, FieldCipher, InvalidMasterKey

PURPOSE = "citizen.idNumber"


@pytest.fixture
def cipher() -> FieldCipher:
    """A cipher with a fresh random key."""
    return FieldCipher(os.urandom(32))


def _flip(token: str, index: int) -> str:
    """The token with one byte of its decoded body changed."""
    prefix, body = token.split(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[index] ^= 0x01
    return prefix + "." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_text_round_trip_with_chinese(cipher: FieldCipher) -> None:
    text = "张三 · 湖南省长沙市岳麓区 430104199001011234"
    token = cipher.encrypt(text, purpose=PURPOSE)
    assert text not in token
    assert cipher.decrypt(token, purpose=PURPOSE) == text


def test_empty_text_round_trips(cipher: FieldCipher) -> None:
    assert cipher.decrypt(cipher.encrypt("", purpose=PURPOSE), purpose=PURPOSE) == ""


def test_bytes_round_trip(cipher: FieldCipher) -> None:
    data = bytes(range(256)) * 4
    token = cipher.encrypt_bytes(data, purpose="signing-key")
    assert cipher.decrypt_bytes(token, purpose="signing-key") == data


def test_token_format_is_versioned_base64url(cipher: FieldCipher) -> None:
    token = cipher.encrypt("13800138000", purpose="citizen.phone")
    prefix, body = token.split(".", 1)
    assert prefix == "v1"
    assert set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert len(raw) == 12 + len(b"13800138000") + 16  # nonce, ciphertext, GCM tag


def test_same_plaintext_twice_gives_different_tokens(cipher: FieldCipher) -> None:
    first = cipher.encrypt("430104199001011234", purpose=PURPOSE)
    second = cipher.encrypt("430104199001011234", purpose=PURPOSE)
    assert first != second
    assert first.split(".")[1][:16] != second.split(".")[1][:16]  # fresh nonce


@pytest.mark.parametrize("index", [0, 11, 12, 20, -1])
def test_tampered_byte_fails(cipher: FieldCipher, index: int) -> None:
    token = cipher.encrypt("430104199001011234", purpose=PURPOSE)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(_flip(token, index), purpose=PURPOSE)


def test_wrong_purpose_fails(cipher: FieldCipher) -> None:
    token = cipher.encrypt("430104199001011234", purpose=PURPOSE)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(token, purpose="citizen.phone")


def test_another_key_fails(cipher: FieldCipher) -> None:
    token = cipher.encrypt("430104199001011234", purpose=PURPOSE)
    with pytest.raises(DecryptionFailed):
        FieldCipher(os.urandom(32)).decrypt(token, purpose=PURPOSE)


@pytest.mark.parametrize(
    "token",
    ["", "v1.", "v1.AAAA", "v2." + "A" * 60, "not a token", "v1.***invalid***", "v1." + "A" * 5],
)
def test_malformed_tokens_fail_cleanly(cipher: FieldCipher, token: str) -> None:
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(token, purpose=PURPOSE)


def test_truncated_token_fails(cipher: FieldCipher) -> None:
    token = cipher.encrypt("430104199001011234", purpose=PURPOSE)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(token[:-4], purpose=PURPOSE)


def test_non_utf8_bytes_fail_as_text(cipher: FieldCipher) -> None:
    token = cipher.encrypt_bytes(b"\xff\xfe", purpose=PURPOSE)
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(token, purpose=PURPOSE)


def test_empty_purpose_is_a_programming_error(cipher: FieldCipher) -> None:
    with pytest.raises(ValueError, match="purpose"):
        cipher.encrypt("x", purpose="")


def test_lookup_hash_is_deterministic(cipher: FieldCipher) -> None:
    first = cipher.lookup_hash("430104199001011234", purpose=PURPOSE)
    assert first == cipher.lookup_hash("430104199001011234", purpose=PURPOSE)
    assert len(first) == 64
    int(first, 16)  # hex


def test_lookup_hash_same_across_instances_of_one_key() -> None:
    key = os.urandom(32)
    assert FieldCipher(key).lookup_hash("a", purpose=PURPOSE) == FieldCipher(key).lookup_hash(
        "a", purpose=PURPOSE
    )


def test_lookup_hash_depends_on_value_purpose_and_key(cipher: FieldCipher) -> None:
    base = cipher.lookup_hash("430104199001011234", purpose=PURPOSE)
    assert base != cipher.lookup_hash("430104199001011235", purpose=PURPOSE)
    assert base != cipher.lookup_hash("430104199001011234", purpose="citizen.phone")
    assert base != FieldCipher(os.urandom(32)).lookup_hash("430104199001011234", purpose=PURPOSE)


def test_lookup_hash_purpose_boundary_is_unambiguous(cipher: FieldCipher) -> None:
    assert cipher.lookup_hash("bc", purpose="a") != cipher.lookup_hash("c", purpose="ab")


def test_lookup_hash_is_keyed_not_plain_sha256(cipher: FieldCipher) -> None:
    value = "430104199001011234"
    digest = cipher.lookup_hash(value, purpose=PURPOSE)
    assert digest != hashlib.sha256(value.encode()).hexdigest()
    assert digest != hashlib.sha256((PURPOSE + value).encode()).hexdigest()


def test_lookup_key_is_not_the_encryption_key() -> None:
    """HKDF subkeys: the two uses never share a key, nor use the master key directly."""
    key = os.urandom(32)
    cipher = FieldCipher(key)
    message = len(PURPOSE).to_bytes(4, "big") + PURPOSE.encode() + b"v"
    raw_master_hmac = hmac.new(key, message, hashlib.sha256).hexdigest()
    assert cipher.lookup_hash("v", purpose=PURPOSE) != raw_master_hmac


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_master_key_must_be_32_bytes(length: int) -> None:
    with pytest.raises(InvalidMasterKey, match="32 bytes"):
        FieldCipher(b"k" * length)


def test_generated_setting_round_trips() -> None:
    setting = FieldCipher.generate_setting()
    assert setting != FieldCipher.generate_setting()
    cipher = FieldCipher.from_setting(setting)
    assert cipher.decrypt(cipher.encrypt("湘", purpose=PURPOSE), purpose=PURPOSE) == "湘"


@pytest.mark.parametrize(
    "encode",
    [
        lambda key: base64.b64encode(key).decode(),
        lambda key: base64.b64encode(key).decode().rstrip("="),
        lambda key: base64.urlsafe_b64encode(key).decode(),
        lambda key: base64.urlsafe_b64encode(key).decode().rstrip("="),
        lambda key: "  " + base64.b64encode(key).decode() + "\n",
    ],
    ids=["standard", "standard-unpadded", "urlsafe", "urlsafe-unpadded", "whitespace"],
)
def test_from_setting_reads_every_base64_flavour(encode: Callable[[bytes], str]) -> None:
    key = bytes([0xFB, 0xFF, 0xBF] * 10 + [0xFE, 0xFF])  # forces '+' '/' or '-' '_'
    expected = FieldCipher(key).lookup_hash("x", purpose=PURPOSE)
    assert FieldCipher.from_setting(encode(key)).lookup_hash("x", purpose=PURPOSE) == expected


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("this-is-not*base64!secretvalue", "not valid base64"),
        ("秘密秘密秘密", "not valid base64"),
        (base64.b64encode(b"s3cretKEY" * 2).decode(), "decodes to 18 bytes, expected exactly 32"),
        (base64.b64encode(b"S" * 48).decode(), "decodes to 48 bytes, expected exactly 32"),
    ],
)
def test_bad_setting_has_clear_message_without_the_value(setting: str, message: str) -> None:
    with pytest.raises(InvalidMasterKey) as caught:
        FieldCipher.from_setting(setting)
    text = str(caught.value)
    assert message in text
    assert "generate_setting" in text
    if setting.strip():
        assert setting.strip() not in text
        assert "secret" not in text.lower()
        assert "s3cret" not in text
    # No chained decoder error that could carry the value into a traceback.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_repr_hides_keys() -> None:
    key = os.urandom(32)
    text = repr(FieldCipher(key))
    assert key.hex() not in text
    assert base64.b64encode(key).decode() not in text
