from __future__ import annotations

import pytest

from attunio.crypto import tokens


@pytest.mark.parametrize(("key_type", "mode"), [("secret", "test"), ("secret", "live"),
                                                ("publishable", "test"), ("publishable", "live")])
def test_minted_keys_parse_back_to_their_type_and_mode(key_type: str, mode: str) -> None:
    key = tokens.mint_api_key(key_type, mode)  # type: ignore[arg-type]
    assert key.startswith(f"att_{key_type[0]}k_{mode}_")
    assert tokens.parse_api_key(key) == (key_type, mode)
    # The key check refuses any other length before hashing anything (services/request_path/access.py).
    assert len(key) == tokens.API_KEY_LENGTH


def test_every_single_character_typo_fails_the_checksum() -> None:
    key = tokens.mint_api_key("secret", "test")
    for i in range(len("att_sk_test_"), len(key)):
        for replacement in "0aZ":
            if key[i] != replacement:
                assert tokens.parse_api_key(key[:i] + replacement + key[i + 1:]) is None


def test_all_zero_key_is_not_well_formed() -> None:
    assert tokens.parse_api_key("att_sk_test_" + "0" * 36) is None


def test_keyed_hash_depends_on_the_instance_secret() -> None:
    key = tokens.mint_api_key("secret", "test")
    assert tokens.keyed_hash(b"a" * 32, key) != tokens.keyed_hash(b"b" * 32, key)
