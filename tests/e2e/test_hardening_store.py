"""Finding 5 of issue 14: an empty, foreign or damaged store file is refused by `serve` and `init`
with its reason and a non-zero exit, never a traceback, and nothing is written to it; a wrong key
names the key file, without SQLCipher's own log lines."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import REPO, Served

from attunio.config import load_settings
from attunio.store import Store

pytestmark = pytest.mark.e2e

PAGE = 4096  # SQLCipher 4's page size


def stopped_store(serve_appliance: Callable[..., Served]) -> tuple[Served, Path]:
    served = serve_appliance()
    served.new_key()
    served.stop()
    settings = load_settings(REPO / "config" / "attunio.toml", served.env)
    opened = Store.open(settings)
    opened.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file, to damage there
    opened.close()
    for side in ("-wal", "-shm"):
        Path(f"{settings.store_path}{side}").unlink(missing_ok=True)
    return served, settings.store_path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(served: Served, store: Path, *fragments: str) -> None:
    before = digest(store)
    for command in (("serve",), ("init",), ("keys", "list")):
        result = served.cli(*command, check=False)
        assert result.returncode != 0, f"attunio {' '.join(command)} succeeded: {result.stdout}"
        for fragment in fragments:
            assert fragment in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and "ERROR CORE" not in result.stderr, result.stderr
        assert "created" not in result.stdout
        assert digest(store) == before, f"attunio {' '.join(command)} wrote to the store"


def test_a_zero_length_store_is_refused_and_left_empty(serve_appliance: Callable[..., Served]) -> None:
    served, store = stopped_store(serve_appliance)
    store.write_bytes(b"")
    assert_refused(served, store, f"store {store} is an empty file (0 bytes)")
    assert store.stat().st_size == 0


@pytest.mark.parametrize("foreign", ["plain-sqlite", "random"])
def test_a_foreign_file_is_refused_like_a_wrong_key(serve_appliance: Callable[..., Served], foreign: str) -> None:
    served, store = stopped_store(serve_appliance)
    store.unlink()
    if foreign == "plain-sqlite":
        with sqlite3.connect(store) as plain:
            plain.execute("CREATE TABLE notes (body TEXT)")
    else:
        store.write_bytes(os.urandom(5 * PAGE))
    key_file = served.env["ATTUNIO_PATHS_KEY_FILE"]
    assert_refused(served, store, f"store {store} cannot be decrypted with the key in {key_file}")


def test_a_wrong_key_names_the_key_file_without_sqlciphers_log_lines(serve_appliance: Callable[..., Served]) -> None:
    served, store = stopped_store(serve_appliance)
    key_file = Path(served.env["ATTUNIO_PATHS_KEY_FILE"])
    key_file.write_text("ab" * 32 + "\n")
    assert_refused(served, store, f"cannot be decrypted with the key in {key_file}", "wrong key")


def test_a_flipped_byte_in_page_3_is_a_clean_refusal(serve_appliance: Callable[..., Served]) -> None:
    served, store = stopped_store(serve_appliance)
    data = bytearray(store.read_bytes())
    assert len(data) > 3 * PAGE
    data[2 * PAGE + 100] ^= 0x01  # page 3, inside its encrypted content
    store.write_bytes(bytes(data))
    assert_refused(served, store, f"store {store} is damaged")
