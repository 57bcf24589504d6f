"""Model registry tables: calibrated versions and the active pointer (ids 20–29).

`model_versions` keeps every imported version for ever (rows are never deleted), so "higher than
any version ever imported" is a plain `max(version)`. The partial unique index makes "at most one
active version per engine" a property of the store, not of the code; no active row means the
engine runs its shipped defaults. `model_generation` is one row that every change of an active
version increments in the same transaction: workers read it on each scored request (one primary-key
read) and reload their cached parameter sets only when it moved.
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        20,
        "models: calibrated versions, activation history, registry generation",
        """
        CREATE TABLE model_versions (
            engine TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            state TEXT NOT NULL CHECK (state IN ('candidate', 'active', 'retired')),
            params TEXT NOT NULL,
            metrics TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            signer TEXT NOT NULL,
            bundle BLOB NOT NULL,
            bundle_sha256 TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL,
            promoted_at TEXT,
            promoted_by TEXT,
            PRIMARY KEY (engine, version)
        );
        CREATE UNIQUE INDEX model_versions_one_active ON model_versions(engine) WHERE state = 'active';
        CREATE TABLE model_activations (
            seq INTEGER PRIMARY KEY,
            engine TEXT NOT NULL,
            version INTEGER,
            action TEXT NOT NULL CHECK (action IN ('promote', 'rollback', 'reset')),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX model_activations_engine ON model_activations(engine, seq);
        CREATE TABLE model_generation (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL
        );
        INSERT INTO model_generation (id, generation) VALUES (1, 0)
        """,
    ),
]
