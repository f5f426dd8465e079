-- One row per finished scan: the whole schema_version 1 report, and the columns history needs
-- without parsing it. Portable SQL: the same file migrates SQLite and PostgreSQL.
CREATE TABLE keyhole_scans (
    id TEXT PRIMARY KEY NOT NULL,
    target TEXT NOT NULL,
    started_at TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    keyhole_version TEXT NOT NULL,
    score BIGINT NOT NULL,
    grade TEXT NOT NULL,
    report TEXT NOT NULL,
    -- A queued scan's key: a scan taken from the queue twice (its worker died after storing it)
    -- is stored once.
    job_key TEXT UNIQUE
);
CREATE INDEX keyhole_scans_by_target ON keyhole_scans (target, started_at);
