"""docs/deploy.md is the one source of the deploy lines: scripts/container-test runs its marked
blocks as written. These checks keep the blocks there and keep them the hardened ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("container_checks", REPO / "scripts" / "container_checks.py")
assert spec is not None and spec.loader is not None
checks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checks)


def test_every_block_the_container_test_runs_is_in_the_docs() -> None:
    blocks = checks.doc_blocks()
    assert {"key", "init", "run", "healthcheck", "check", "stop", "verify", "load"} <= blocks.keys()
    assert blocks["init"].rstrip().endswith("attunio:1.0.0 init --existing-key")
    assert "podman load -i attunio-1.1.0/attunio-1.1.0.tar" in blocks["load"]


def test_the_podman_lines_are_the_hardened_ones_that_work_on_podman_4_3() -> None:
    blocks = checks.doc_blocks()
    for name in ("init", "run"):
        body = blocks[name]
        for flag in ("--read-only ", "--read-only-tmpfs=false", "--cap-drop ALL", "--security-opt no-new-privileges",
                     "--secret attunio_store_key,uid=10001,gid=10001,mode=0400"):
            assert flag in body, (name, flag)
        # The secret mount point needs a writable place under the read-only root (podman issue 15541).
        assert body.index("--tmpfs /run/secrets:") < body.index("--secret attunio_store_key")
    verify = blocks["verify"]
    assert "--network none" in verify and "--read-only" in verify and "release verify /release" in verify


def test_the_only_changes_to_the_docs_lines_are_the_port_and_the_name_resolution(tmp_path: Path) -> None:
    deploy = checks.Deploy(tmp_path)
    for name, body in deploy.blocks.items():
        changed = deploy.substitute(body)
        if "curl " in body:
            assert changed == body.replace("curl ", "curl --resolve attunio.hospital.local:8443:127.0.0.1 ", 1)
        elif deploy.port == 8443:
            assert changed == body, name
        else:
            assert changed == body.replace("-p 8443:8443", f"-p 127.0.0.1:{deploy.port}:8443"), name


def test_a_missing_block_stops_the_container_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tmp_path / "deploy.md"
    doc.write_text((REPO / "docs" / "deploy.md").read_text().replace("<!-- container-test: stop -->", ""))
    monkeypatch.setattr(checks, "DOC", doc)
    with pytest.raises(checks.CheckFailed, match="no container-test block for: stop"):
        checks.doc_blocks()
