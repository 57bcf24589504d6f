"""The `attunio` command as an operator uses it, run in-process through click's runner."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from tests.conftest import settings_env

from attunio.cli.main import cli


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path; the top group loads its commands lazily, so they are asked for by name."""
    found = []
    context = click.Context(group)
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        assert command is not None, name
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
    return found


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key, value in settings_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> click.testing.Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_has_help(run, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = run(*command, "--help")
    assert "Usage: " in result.output and len(result.output.splitlines()) > 3


def test_init_is_idempotent_and_never_overwrites(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = run("init")
    assert "(created" in first.output
    key_file = tmp_path / "secrets" / "store.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key_before = key_file.read_bytes()
    second = run("init")
    assert "exists, kept" in second.output and "exists, opened" in second.output
    assert key_file.read_bytes() == key_before


def test_init_refuses_when_the_key_of_an_existing_store_is_lost(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    (tmp_path / "secrets" / "store.key").unlink()
    result = run("init", ok=False)
    assert result.exit_code == 3 and "key file" in result.output and "missing" in result.output


def test_key_is_shown_once_and_never_listed(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    created = run("keys", "create", "--app", "EHR", "--create-app")
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("att_sk_test_")
    listing = run("keys", "list", "--json").output
    assert key not in listing and key[-4:] in listing
    assert key[12:].encode() not in (tmp_path / "data" / "attunio.db").read_bytes()


def test_publishable_keys_need_origins_and_reject_wildcards(run) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("apps", "create", "Tele")
    assert "allowed origin" in run("keys", "create", "--app", "Tele", "--type", "publishable", ok=False).output
    bad = run("keys", "create", "--app", "Tele", "--type", "publishable", "--origin", "https://*.x.org", ok=False)
    assert "not an origin" in bad.output
    good = run("keys", "create", "--app", "Tele", "--type", "publishable", "--origin", "https://Tele.Example/")
    assert "https://tele.example" in good.output


def test_rotate_revokes_the_old_key(run) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("keys", "create", "--app", "EHR", "--create-app")
    import json

    key_id = json.loads(run("keys", "list", "--json").output)[0]["id"]
    rotated = run("keys", "rotate", key_id)
    assert f"revoked {key_id}" in rotated.output
    rows = {row["id"]: row for row in json.loads(run("keys", "list", "--json").output)}
    assert rows[key_id]["revoked_at"] and len(rows) == 2


def test_reviewer_needs_a_licence_number_and_actions_are_audited(run) -> None:  # type: ignore[no-untyped-def]
    run("init")
    refused = run("admins", "create", "--name", "Dr Ada Byron", "--role", "reviewer", ok=False)
    assert "licence number" in refused.output
    made = run("admins", "create", "--name", "Dr Ada Byron", "--role", "reviewer", "--licence-number", "GMC 7654321")
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("att_admin_")
    assert "GMC 7654321" in run("admins", "list").output
    exported = run("audit", "export").output
    assert "admin.create" in exported and token not in exported
    assert "intact: 1 events" in run("audit", "verify").output


def test_unknown_app_is_a_clear_error(run) -> None:  # type: ignore[no-untyped-def]
    run("init")
    result = run("keys", "create", "--app", "nope", ok=False)
    assert "no app 'nope'" in result.output


def test_commands_before_init_explain_what_to_do(run) -> None:  # type: ignore[no-untyped-def]
    result = run("apps", "list", ok=False)
    assert "attunio init" in result.output


def test_bad_setting_stops_with_the_setting_named(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ATTUNIO_SERVER_PORT", "70000")
    result = run("apps", "list", ok=False)
    assert "server.port" in result.output and "65535" in result.output


def test_init_with_existing_key_never_creates_one(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("init", "--existing-key", ok=False)
    assert result.exit_code == 3 and "mount the key secret" in result.output
    assert not (tmp_path / "secrets" / "store.key").exists()
    assert not (tmp_path / "data" / "attunio.db").exists()
