-- +goose Up
-- sync_cycles remembers the daemon's last cycles for the operations
-- console; only the latest few hundred are kept. The version is a date, not
-- the next sequence number, so that migrations written in parallel never
-- claim the same number.
CREATE TABLE sync_cycles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('full', 'targeted')),
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    pulled      INTEGER NOT NULL DEFAULT 0,
    decisions   INTEGER NOT NULL DEFAULT 0,
    writes      INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    api_calls   INTEGER NOT NULL DEFAULT 0,
    errors      INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_cycles_started ON sync_cycles (started_at);

-- rule_loads records every load of the rules and mappings (start-up and
-- reloads): the result, and on success the files then in force.
CREATE TABLE rule_loads (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error  TEXT NOT NULL DEFAULT '',
    files  TEXT NOT NULL DEFAULT '[]'
);

-- +goose Down
DROP TABLE rule_loads;
DROP TABLE sync_cycles;
