-- One row per queued scan that gave up (bad configuration on the worker, an unreachable target,
-- not HTTP): `keyhole history` shows failed runs beside the scans. Portable SQL: the same file
-- migrates SQLite and PostgreSQL.
CREATE TABLE keyhole_failures (
    id TEXT PRIMARY KEY NOT NULL,
    target TEXT NOT NULL,
    failed_at TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    keyhole_version TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- The queued scan's key: a job that is given up twice (its worker died before the queue
    -- heard) is remembered once.
    job_key TEXT UNIQUE
);
CREATE INDEX keyhole_failures_by_target ON keyhole_failures (target, failed_at);
