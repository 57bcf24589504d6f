"""The repository's copy of the conformance cases is the shared contract, byte for byte.

`CONTRACT.sha256` records the contract's files as they were copied in (the output of `sha256sum`).
Every run checks the copy against it, so an edited or missing case fails even in a fresh clone;
where the shared folder sits beside the checkout, that folder is checked against it too, so a change
of the contract upstream fails until the copy and the record are renewed together.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conformance import HERE, case_files, load_cases, shared_dir

RECORD = HERE / "CONTRACT.sha256"


def recorded() -> dict[str, str]:
    pairs = (line.split("  ", 1) for line in RECORD.read_text(encoding="ascii").splitlines() if line)
    return {name: digest for digest, name in pairs}


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in case_files(folder)}


def test_the_repository_holds_every_case_the_suite_runs() -> None:
    names = [name for name, _ in load_cases()]
    assert len(names) >= 13, names  # the reference's examples, one case each
    assert (HERE / "README.md").is_file()


def test_the_copy_is_the_recorded_contract_and_so_is_the_shared_folder_where_present() -> None:
    record = recorded()
    assert len(record) >= 14, record
    assert digests(HERE) == record, "tests/conformance/ differs from CONTRACT.sha256: a case was edited or lost"
    shared = shared_dir()
    if shared.is_dir():  # a development checkout: the contract itself must not have moved on
        assert digests(shared) == record, f"{shared} differs from CONTRACT.sha256; copy the shared cases in " \
                                          "and record them with `sha256sum *.json *.md > CONTRACT.sha256`"
