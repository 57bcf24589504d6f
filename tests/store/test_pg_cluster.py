"""The tests' own PostgreSQL cluster speaks only verified TLS on TCP, as a hospital's should."""

from __future__ import annotations

import psycopg
import pytest
from tests.pg_cluster import PgCluster


def test_tcp_connections_are_tls_and_verified_against_the_test_ca(postgres: PgCluster, pg_url: str) -> None:
    with psycopg.connect(pg_url + "&sslmode=verify-full") as conn:
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
    with pytest.raises(psycopg.OperationalError, match="does not match host name"):
        psycopg.connect(pg_url.replace("@localhost:", "@127.0.0.1:") + "&sslmode=verify-full")
    with pytest.raises(psycopg.OperationalError, match=r"no encryption|pg_hba"):
        psycopg.connect(pg_url + "&sslmode=disable")
