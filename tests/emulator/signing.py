"""Ids and tamper-evident opaque tokens (signatures, encrypted content, redacted data).

Tokens are HMACs under a per-emulator secret, so the emulator detects any change to a
token or to the text it covers without remembering what it sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import random
import secrets

_ENCRYPTED_PREFIX = "gAAAAAB"  # what OpenAI's encrypted reasoning content starts with


_ids = random.Random(os.urandom(16))  # ids are not secrets: a seeded PRNG is 20x faster than urandom


def new_id(prefix: str, nbytes: int = 24) -> str:
    """A provider-style id such as ``rs_68636f...`` or ``call_...``."""
    return prefix + _ids.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()


class Signer:
    """Signs and verifies opaque provider tokens."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._key = secret or os.urandom(32)

    def _mac(self, *parts: str) -> bytes:
        return hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).digest()

    def thinking_signature(self, thinking: str) -> str:
        """Anthropic ``signature`` for a thinking block's text."""
        return base64.b64encode(b"\x12\x08" + self._mac("thinking", thinking)).decode()

    def thinking_signature_ok(self, thinking: str, signature: object) -> bool:
        """True when ``signature`` is the one issued for exactly this thinking text."""
        return isinstance(signature, str) and hmac.compare_digest(signature, self.thinking_signature(thinking))

    def redacted_data(self) -> str:
        """Anthropic ``redacted_thinking`` data: random bytes plus their MAC."""
        nonce = secrets.token_bytes(24)
        return base64.b64encode(nonce + self._mac("redacted", nonce.hex())).decode()

    def redacted_data_ok(self, data: object) -> bool:
        """True when ``data`` is unchanged redacted-thinking data issued by this emulator."""
        raw = _b64decode(data)
        if raw is None or len(raw) != 56:
            return False
        return hmac.compare_digest(raw[24:], self._mac("redacted", raw[:24].hex()))

    def encrypted_content(self, reasoning_id: str) -> str:
        """OpenAI ``encrypted_content`` for a reasoning item."""
        payload = reasoning_id.encode() + b"|" + self._mac("encrypted", reasoning_id)
        return _ENCRYPTED_PREFIX + base64.urlsafe_b64encode(payload).decode()

    def encrypted_content_id(self, token: object) -> str | None:
        """The reasoning id sealed in ``token``, or None when it was not issued here or was changed."""
        if not isinstance(token, str) or not token.startswith(_ENCRYPTED_PREFIX):
            return None
        raw = _b64decode(token[len(_ENCRYPTED_PREFIX) :], urlsafe=True)
        if raw is None or b"|" not in raw:
            return None
        reasoning_id, _, mac = raw.partition(b"|")
        text = reasoning_id.decode(errors="replace")
        return text if hmac.compare_digest(mac, self._mac("encrypted", text)) else None


def _b64decode(data: object, urlsafe: bool = False) -> bytes | None:
    if not isinstance(data, str):
        return None
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(data.encode())
        return base64.b64decode(data.encode(), validate=True)
    except (binascii.Error, ValueError):
        return None
