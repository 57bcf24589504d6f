"""The store's contract tests run on both backends: the SQLCipher file and PostgreSQL (the tests'
own cluster, tests/pg_cluster.py). A test marked `sqlite_only` is about the file itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import init_store, make_settings

from attunio.config import Settings
from attunio.store import Store

BACKENDS = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = list(BACKENDS)
        if metafunc.definition.get_closest_marker("sqlite_only"):
            chosen = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres_only"):
            chosen = ["postgres"]
        metafunc.parametrize("backend", chosen, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend_env(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """The ATTUNIO_* variables that select the backend (none for the file)."""
    if backend == "postgres":
        return {"ATTUNIO_STORE_URL": str(request.getfixturevalue("pg_url"))}
    return {}


@pytest.fixture
def settings(tmp_path: Path, backend_env: dict[str, str]) -> Settings:
    return make_settings(tmp_path, **backend_env)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """As a serving worker has it (on PostgreSQL: listening for the other replicas' changes)."""
    store = init_store(settings)
    store.serving()
    yield store
    store.close()
