"""`attunio keys origins` and `attunio keys rotate --overlap-hours`: the same services as the
console's routes, refused the same way."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from tests.conftest import settings_env

from attunio.cli.main import cli


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key, value in settings_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> click.testing.Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke("init")
    return invoke


def key_id(run, *args: str) -> str:  # type: ignore[no-untyped-def]
    made = json.loads(run("keys", "create", "--app", "Tele", "--create-app", "--json", *args).output)
    return str(made["key"]["id"])


def test_origins_replace_the_list_and_are_audited(run) -> None:  # type: ignore[no-untyped-def]
    key = key_id(run, "--type", "publishable", "--origin", "https://a.example")
    out = run("keys", "origins", key, "--set", "https://B.example/", "--set", "https://c.example:8443").output
    assert out.strip() == f"{key} allows: https://b.example, https://c.example:8443"
    assert "(no origin)" in run("keys", "origins", key, "--clear").output
    events = [json.loads(line) for line in run("audit", "export").output.splitlines()]
    origins = [e for e in events if e["action"] == "key.origins"]
    assert [e["detail"]["to"] for e in origins] == [["https://b.example", "https://c.example:8443"], []]
    assert origins[0]["actor"].startswith("os:")


def test_origins_refusals(run) -> None:  # type: ignore[no-untyped-def]
    secret = key_id(run)
    assert "publishable keys only" in run("keys", "origins", secret, "--set", "https://a.example", code=1).output
    publishable = key_id(run, "--type", "publishable", "--origin", "https://a.example")
    assert "is not an origin" in run("keys", "origins", publishable, "--set", "https://a.example/x", code=1).output
    assert "--set ORIGIN" in run("keys", "origins", publishable, code=1).output
    assert "--set ORIGIN" in run("keys", "origins", publishable, "--clear", "--set", "https://a.example",
                                 code=1).output
    run("keys", "revoke", publishable)
    assert "was revoked" in run("keys", "origins", publishable, "--clear", code=1).output


def test_rotate_with_an_overlap_keeps_the_old_key_until_then(run) -> None:  # type: ignore[no-untyped-def]
    old = key_id(run)
    out = run("keys", "rotate", old, "--overlap-hours", "24").output
    assert f"{old} keeps working until " in out
    listed = {row["id"]: row for row in json.loads(run("keys", "list", "--json").output)}
    assert listed[old]["revoked_at"] is None and listed[old]["expires_at"]
    assert "expires " in run("keys", "list").output
    assert "already rotated" in run("keys", "rotate", old, code=1).output
    assert "721" in run("keys", "rotate", old, "--overlap-hours", "721", code=2).output
