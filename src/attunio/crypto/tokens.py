"""API key and admin token formats.

A key is `<prefix><30 random base62><6 base62 CRC32 of prefix+random>`. The checksum lets a
leaked key be recognised offline (secret scanners) and makes a typo fail before any lookup,
as GitHub's token format does. Keys are never stored: only an HMAC-SHA256 under a
per-instance secret, plus the prefix and last four characters for display.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from typing import Literal

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LEN = 30  # 30 base62 characters ≈ 178 bits
CHECKSUM_LEN = 6

KeyType = Literal["secret", "publishable"]
KeyMode = Literal["test", "live"]

KEY_PREFIXES: dict[str, tuple[KeyType, KeyMode]] = {
    "att_sk_test_": ("secret", "test"),
    "att_sk_live_": ("secret", "live"),
    "att_pk_test_": ("publishable", "test"),
    "att_pk_live_": ("publishable", "live"),
}
ADMIN_PREFIX = "att_admin_"
API_KEY_LENGTH = len("att_sk_test_") + RANDOM_LEN + CHECKSUM_LEN  # every API key prefix has 12 characters


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LEN)


def _mint(prefix: str) -> str:
    body = prefix + "".join(secrets.choice(BASE62) for _ in range(RANDOM_LEN))
    return body + _checksum(body)


def prefix_for(key_type: KeyType, mode: KeyMode) -> str:
    return f"att_{'sk' if key_type == 'secret' else 'pk'}_{mode}_"


def mint_api_key(key_type: KeyType, mode: KeyMode) -> str:
    return _mint(prefix_for(key_type, mode))


def mint_admin_token() -> str:
    return _mint(ADMIN_PREFIX)


def well_formed(token: str, prefix: str) -> bool:
    """Right prefix, length, alphabet and checksum: a cheap offline check before any lookup."""
    if not token.startswith(prefix) or len(token) != len(prefix) + RANDOM_LEN + CHECKSUM_LEN:
        return False
    tail = token[len(prefix) :]
    if not (tail.isascii() and tail.isalnum()):  # exactly the base62 alphabet, checked in C
        return False
    body, check = token[: -CHECKSUM_LEN], token[-CHECKSUM_LEN:]
    return hmac.compare_digest(_checksum(body), check)


def parse_api_key(token: str) -> tuple[KeyType, KeyMode] | None:
    """The key's type and mode when it is a well-formed Attunio key, else None."""
    kind = KEY_PREFIXES.get(token[:12])
    if kind is None or not well_formed(token, token[:12]):
        return None
    return kind


def keyed_hash(secret: bytes, token: str) -> bytes:
    return hmac.digest(secret, token.encode("ascii"), hashlib.sha256)


def display_prefix(token: str) -> str:
    """What may be shown and logged: the type/mode prefix only (never random characters)."""
    return token[: token.rindex("_") + 1]
