"""A refusal ends a command with its tidy `error:` line and exit code; anything else is a bug.

The CLI tells the two apart by type alone (`attunio.refusals.Refused`): a programming error, even a
plain ValueError or LookupError raised inside a service, exits 70 with a JSON log line carrying its
traceback, never with the tidy line a refusal gets. The bugs here are made by monkeypatching a
service method, the one way to plant a bug in real code without shipping it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.conftest import settings_env

from attunio.cli import main as main_module
from attunio.cli.exits import CONFIG, INTERNAL, REFUSED
from attunio.cli.main import cli
from attunio.refusals import Conflict, Forbidden, InvalidInput, NotFound, NotSetUp, Refused
from attunio.services.request_path.access import AccessService


@pytest.fixture
def ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in settings_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`attunio ARGS` as the console script runs it (main(), not click's test runner), its exit and stderr."""
    monkeypatch.setattr(sys, "argv", ["attunio", *args])
    with pytest.raises(SystemExit) as exited:
        main_module.main()
    assert isinstance(exited.value.code, int)
    return exited.value.code, capsys.readouterr().err


def plant(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def raising(self: AccessService) -> list[object]:
        raise exc

    monkeypatch.setattr(AccessService, "list_apps", raising)


def bug_line(err: str) -> dict[str, Any]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(lines) == 1, err
    return dict(lines[0])


def test_every_refusal_kind_is_a_refused_and_still_its_builtin() -> None:
    assert issubclass(InvalidInput, ValueError) and issubclass(Conflict, ValueError)
    assert issubclass(NotFound, LookupError) and issubclass(Forbidden, PermissionError)
    for kind in (InvalidInput, NotFound, Conflict, Forbidden, NotSetUp):
        assert issubclass(kind, Refused)


def test_the_named_refusals_of_each_layer_are_refused() -> None:
    from attunio.config import ConfigError
    from attunio.crypto.ed25519 import KeyFormatError
    from attunio.crypto.envelope import EnvelopeError
    from attunio.crypto.license_file import LicenseFileError
    from attunio.crypto.release_manifest import ReleaseError
    from attunio.crypto.trust import TrustError
    from attunio.crypto.usage_report import ReportError
    from attunio.services.calibration.bundles import BundleRefused
    from attunio.services.licensing.clock_mark import ClockMarkError
    from attunio.services.licensing.registry import LicenseRefused
    from attunio.services.operations.backup import BackupError
    from attunio.store import StoreError
    from attunio.tls.context import TlsError

    for kind in (BundleRefused, ClockMarkError, LicenseRefused, EnvelopeError, TrustError, LicenseFileError,
                 ReportError, KeyFormatError, ReleaseError, BackupError, StoreError, ConfigError, TlsError):
        assert issubclass(kind, Refused), kind
    for kind in (ConfigError, StoreError, TlsError, TrustError):
        assert issubclass(kind, NotSetUp), kind  # each exits 3, "not set up"
    refused = BundleRefused("bad_signature", "the bundle's signature does not verify")
    assert (refused.reason, refused.message, str(refused)) == (
        "bad_signature", "the bundle's signature does not verify", "the bundle's signature does not verify")


@pytest.mark.usefixtures("ready")
def test_a_real_refusal_from_a_service_is_the_tidy_line_and_exit_1(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_main(monkeypatch, capsys, "keys", "revoke", "key_nope")
    assert code == REFUSED
    assert err.strip() == "error: no key 'key_nope'; `attunio keys list` shows them"


@pytest.mark.usefixtures("ready")
@pytest.mark.parametrize(("exc", "code", "line"), [
    (InvalidInput("that name is too long"), REFUSED, "error: that name is too long"),
    (NotFound("no app 'X'"), REFUSED, "error: no app 'X'"),
    (Conflict("already revoked"), REFUSED, "error: already revoked"),
    (Forbidden("needs an admin identity"), REFUSED, "error: needs an admin identity"),
    (NotSetUp("the store has no instance id; run `attunio init`"), CONFIG,
     "error: the store has no instance id; run `attunio init`"),
    (InvalidInput("the bundle is not signed", "unsigned"), REFUSED,
     "error: refused (unsigned): the bundle is not signed"),
], ids=["invalid-input", "not-found", "conflict", "forbidden", "not-set-up", "with-reason"])
def test_each_refusal_gives_its_tidy_line_and_documented_exit_code(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exc: Refused, code: int,
        line: str) -> None:
    plant(monkeypatch, exc)
    exited, err = run_main(monkeypatch, capsys, "keys", "create", "--app", "EHR", "--create-app")
    assert exited == code
    assert err.strip() == line


@pytest.mark.usefixtures("ready")
def test_a_refusal_under_json_is_the_error_document(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    plant(monkeypatch, NotSetUp("the store has no instance id; run `attunio init`"))
    monkeypatch.setattr(sys, "argv", ["attunio", "keys", "create", "--app", "EHR", "--create-app", "--json"])
    with pytest.raises(SystemExit) as exited:
        main_module.main()
    assert exited.value.code == CONFIG
    assert json.loads(capsys.readouterr().out) == {"ok": False, "error": {
        "code": "config", "message": "the store has no instance id; run `attunio init`", "exit": CONFIG}}


@pytest.mark.usefixtures("ready")
@pytest.mark.parametrize("exc", [KeyError("app_id"), TypeError("unsupported operand"),
                                 ValueError("invalid literal for int()"), LookupError("no such row"),
                                 PermissionError("a builtin, raised by a bug")],
                         ids=lambda e: type(e).__name__)
def test_a_programming_error_exits_70_with_its_traceback_logged_not_a_tidy_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exc: Exception) -> None:
    plant(monkeypatch, exc)
    code, err = run_main(monkeypatch, capsys, "keys", "create", "--app", "EHR", "--create-app")
    assert code == INTERNAL
    logged = bug_line(err)
    assert (logged["level"], logged["message"], logged["error_type"]) == ("error", "internal error",
                                                                          type(exc).__name__)
    assert "in raising" in logged["traceback"] and "raise exc" in logged["traceback"]
    assert "keys.py" in logged["traceback"]  # the frames from the command down to the bug
    assert str(exc.args[0]) not in err  # a message may quote a value: type and frames only
    assert err.splitlines()[-1] == (f"error: internal error ({type(exc).__name__}); this is a bug. Please send "
                                    "the traceback above and `attunio support-bundle` to the vendor.")
    assert "error: refused" not in err


@pytest.mark.usefixtures("ready")
def test_a_refusal_no_command_caught_still_ends_tidily(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`ehr list` has no clear_errors around it: main() ends a refusal that reaches it the same way."""
    from attunio.cds.registry import CdsRegistry

    def refusing(self: CdsRegistry) -> list[object]:
        raise NotFound("no registered EHR with issuer https://ehr.example")

    monkeypatch.setattr(CdsRegistry, "clients", refusing)
    code, err = run_main(monkeypatch, capsys, "ehr", "list")
    assert (code, err.strip()) == (REFUSED, "error: no registered EHR with issuer https://ehr.example")
