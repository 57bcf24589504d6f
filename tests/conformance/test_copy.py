"""The repository's copy of the conformance cases is the shared contract, byte for byte."""

from __future__ import annotations

import pytest
from tests.conformance import HERE, case_files, load_cases, shared_dir


def test_the_repository_holds_every_case_the_suite_runs() -> None:
    names = [name for name, _ in load_cases()]
    assert len(names) >= 13, names  # the reference's examples, one case each
    assert (HERE / "README.md").is_file()


def test_the_copy_equals_the_shared_folder_when_it_is_present() -> None:
    shared = shared_dir()
    if not shared.is_dir():
        pytest.skip(f"shared conformance folder {shared} is absent (a fresh clone): only the repository's "
                    "copy is checked; every other test runs as usual")
    ours = {p.name: p.read_bytes() for p in case_files(HERE)}
    theirs = {p.name: p.read_bytes() for p in case_files(shared)}
    assert sorted(ours) == sorted(theirs), "tests/conformance/ and the shared folder hold different files"
    changed = [name for name in ours if ours[name] != theirs[name]]
    assert not changed, f"tests/conformance/ differs from {shared} in {changed}; copy the shared cases in"
