"""Admin console tables (ids 50–59): server-side sessions, failed sign-ins, key expiry.

A session row is keyed by an HMAC of its cookie value under the instance's key-hashing secret, as
API keys and admin tokens are, so the store never holds a value that opens a session, and a
cookie minted by another instance (another secret) matches no row. Failed sign-ins are kept per
client address so every worker counts the same attempts. `api_keys.expires_at` is when a rotated
key stops working: the old key keeps serving through the overlap its rotation gave it.
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        50,
        "admin console: sessions, failed sign-ins, api key expiry",
        """
        CREATE TABLE admin_sessions (
            id_hash BLOB PRIMARY KEY,
            admin_id TEXT NOT NULL REFERENCES admins(id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            absolute_expires_at TEXT NOT NULL,
            client TEXT NOT NULL DEFAULT ''
        ) WITHOUT ROWID;
        CREATE INDEX admin_sessions_admin ON admin_sessions(admin_id);
        CREATE TABLE admin_signin_failures (
            client TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX admin_signin_failures_client ON admin_signin_failures(client, at);
        ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
        """,
    ),
]
