"""CDS Hooks tables (ids 40–49): registered EHRs, seen JWT ids, calls per
issuer, tenant and UTC day, issued cards and feedback counts.

`cds_jti` is how a replayed JWT is refused by every worker: the primary key makes the second
insert of an (iss, jti) pair fail, whichever process tries it. Rows go once their token has
expired. `cds_cards` keeps only what feedback needs to be counted (service, kind, model) and no
patient data; `cds_feedback` is the counts themselves.
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        40,
        "cds hooks: ehr clients, jwt ids, calls per tenant, issued cards, feedback counts",
        """
        CREATE TABLE cds_clients (
            iss TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            jwks TEXT NOT NULL,
            jku TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            removed_at TEXT
        );
        CREATE TABLE cds_jti (
            iss TEXT NOT NULL,
            jti TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            tenant TEXT,
            seen_at INTEGER NOT NULL,
            PRIMARY KEY (iss, jti)
        );
        CREATE INDEX cds_jti_expiry ON cds_jti(expires_at);
        CREATE TABLE cds_cards (
            uuid TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            kind TEXT NOT NULL,
            model_key TEXT NOT NULL,
            model_version TEXT NOT NULL,
            issued_at INTEGER NOT NULL
        );
        CREATE INDEX cds_cards_issued ON cds_cards(issued_at);
        CREATE TABLE cds_calls (
            iss TEXT NOT NULL,
            tenant TEXT NOT NULL,
            day TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (iss, tenant, day)
        );
        CREATE TABLE cds_feedback (
            service TEXT NOT NULL,
            kind TEXT NOT NULL,
            model_key TEXT NOT NULL,
            model_version TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
            reason TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (service, kind, model_key, model_version, outcome, reason)
        )
        """,
    ),
]
