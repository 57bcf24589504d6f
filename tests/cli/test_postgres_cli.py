"""`attunio init`, `migrate` and `doctor` against a PostgreSQL store (the tests' own TLS cluster)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_cli, settings_env
from tests.pg_cluster import PgCluster

from attunio.store.migrations import latest_version


def test_init_makes_the_schema_once_and_a_second_replica_joins_it(tmp_path: Path, pg_url: str,
                                                                 postgres: PgCluster) -> None:
    first = settings_env(tmp_path / "a", ATTUNIO_STORE_URL=pg_url)
    made = run_cli(first, "init").stdout
    assert "(created)" in made.split("store       ")[1].splitlines()[0]
    assert postgres.password not in made  # the URL is shown without its password
    (tmp_path / "b" / "secrets").mkdir(parents=True)
    shutil.copy2(tmp_path / "a" / "secrets" / "store.key", tmp_path / "b" / "secrets" / "store.key")
    second = settings_env(tmp_path / "b", ATTUNIO_STORE_URL=pg_url)
    joined = run_cli(second, "init", "--existing-key").stdout
    assert "exists, opened" in joined
    instance = [line for line in made.splitlines() if line.startswith("instance")]
    assert instance and instance[0] in joined  # one installation, whichever replica asks

    migrated = json.loads(run_cli(second, "migrate", "--json").stdout)
    assert migrated["schema"] == latest_version() and migrated["applied"] == []

    report = run_cli(second, "doctor", "--json", check=False)
    checks = {c["name"]: c for c in json.loads(report.stdout)["checks"]}
    assert checks["database"]["status"] == "ok", checks["database"]
    assert checks["database TLS"]["status"] == "ok" and "verify-full" in checks["database TLS"]["detail"]
    assert "change notices" not in checks and "store" not in checks
    assert postgres.password not in report.stdout + report.stderr
    assert json.loads(report.stdout)["settings"]["store"]["url"].startswith("postgresql://attunio@localhost:")


def test_a_replica_with_another_key_file_is_refused(tmp_path: Path, pg_url: str) -> None:
    run_cli(settings_env(tmp_path / "a", ATTUNIO_STORE_URL=pg_url), "init")
    other = run_cli(settings_env(tmp_path / "b", ATTUNIO_STORE_URL=pg_url), "init", check=False)
    assert other.returncode == 3
    assert "does not open with the key in the store key file" in other.stderr
    doctor = run_cli(settings_env(tmp_path / "b", ATTUNIO_STORE_URL=pg_url), "doctor", "--json", check=False)
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["database"]["status"] == "fail" and doctor.returncode == 5
