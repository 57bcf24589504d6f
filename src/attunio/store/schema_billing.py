"""Billing tables: license, usage, quota, clock high-water mark (ids 10–19).

The clock high-water mark, the license generation and the instance signing key live in `settings`.
Counters are WITHOUT ROWID tables keyed by what is counted, so each increment is one UPSERT on the
primary key.
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        10,
        "billing: licenses, sandbox quota, live usage, usage reports",
        """
        CREATE TABLE licenses (
            license_id TEXT PRIMARY KEY,
            kid TEXT NOT NULL,
            raw BLOB NOT NULL,
            claims TEXT NOT NULL,
            installed_at TEXT NOT NULL,
            installed_by TEXT NOT NULL
        );
        CREATE TABLE sandbox_daily (
            app_id TEXT NOT NULL,
            day TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (app_id, day)
        ) WITHOUT ROWID;
        CREATE TABLE usage_daily (
            app_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            day TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (app_id, key_id, endpoint, day)
        ) WITHOUT ROWID;
        CREATE INDEX usage_daily_day ON usage_daily(day);
        CREATE TABLE usage_reports (
            sequence INTEGER PRIMARY KEY,
            month TEXT NOT NULL,
            hash TEXT NOT NULL,
            generated_at TEXT NOT NULL,
            license_id TEXT,
            total INTEGER NOT NULL,
            overage INTEGER NOT NULL,
            report BLOB NOT NULL
        );
        """,
    ),
]
