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

-- record_facts holds, per ticket and deal, the few properties the
-- console's pages group by, as plain columns. Triggers keep it in step
-- with records (a delete and an insert rather than INSERT OR REPLACE, whose
-- conflict clause the upsert writing records would override), so JSON is
-- parsed once per write instead of once per record
-- on every page view, and the pages read covering indexes: a page then
-- renders quickly from a store of a hundred thousand records.
CREATE TABLE record_facts (
    object_type TEXT NOT NULL,
    id          TEXT NOT NULL,
    archived    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    stage       TEXT NOT NULL,
    queue       TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    sla_status  TEXT NOT NULL,
    closed_date TEXT NOT NULL,
    service     TEXT NOT NULL,
    declined_by TEXT NOT NULL,
    PRIMARY KEY (object_type, id)
);
CREATE INDEX record_facts_open ON record_facts (object_type, archived, stage, queue, owner_id, provider_id, sla_status, created_at);
CREATE INDEX record_facts_created ON record_facts (object_type, archived, created_at, service, declined_by);
CREATE INDEX record_facts_closed ON record_facts (object_type, archived, closed_date);

-- +goose StatementBegin
CREATE TRIGGER record_facts_insert AFTER INSERT ON records WHEN NEW.object_type IN ('tickets', 'deals') BEGIN
    DELETE FROM record_facts WHERE object_type = NEW.object_type AND id = NEW.id;
    INSERT INTO record_facts VALUES (NEW.object_type, NEW.id, NEW.archived, NEW.created_at,
        COALESCE(json_extract(NEW.properties, '$.stage'), ''),
        COALESCE(json_extract(NEW.properties, '$.queue'), ''),
        COALESCE(json_extract(NEW.properties, '$.owner'), ''),
        COALESCE(json_extract(NEW.properties, '$.provider'), ''),
        COALESCE(json_extract(NEW.properties, '$.sla_status'), ''),
        COALESCE(json_extract(NEW.properties, '$.closed_at'), ''),
        COALESCE(json_extract(NEW.properties, '$.service'), ''),
        COALESCE(json_extract(NEW.properties, '$.declined_by'), ''));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER record_facts_update AFTER UPDATE ON records WHEN NEW.object_type IN ('tickets', 'deals') BEGIN
    DELETE FROM record_facts WHERE object_type = NEW.object_type AND id = NEW.id;
    INSERT INTO record_facts VALUES (NEW.object_type, NEW.id, NEW.archived, NEW.created_at,
        COALESCE(json_extract(NEW.properties, '$.stage'), ''),
        COALESCE(json_extract(NEW.properties, '$.queue'), ''),
        COALESCE(json_extract(NEW.properties, '$.owner'), ''),
        COALESCE(json_extract(NEW.properties, '$.provider'), ''),
        COALESCE(json_extract(NEW.properties, '$.sla_status'), ''),
        COALESCE(json_extract(NEW.properties, '$.closed_at'), ''),
        COALESCE(json_extract(NEW.properties, '$.service'), ''),
        COALESCE(json_extract(NEW.properties, '$.declined_by'), ''));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER record_facts_delete AFTER DELETE ON records BEGIN
    DELETE FROM record_facts WHERE object_type = OLD.object_type AND id = OLD.id;
END;
-- +goose StatementEnd

INSERT INTO record_facts
SELECT object_type, id, archived, created_at,
       COALESCE(json_extract(properties, '$.stage'), ''),
       COALESCE(json_extract(properties, '$.queue'), ''),
       COALESCE(json_extract(properties, '$.owner'), ''),
       COALESCE(json_extract(properties, '$.provider'), ''),
       COALESCE(json_extract(properties, '$.sla_status'), ''),
       COALESCE(json_extract(properties, '$.closed_at'), ''),
       COALESCE(json_extract(properties, '$.service'), ''),
       COALESCE(json_extract(properties, '$.declined_by'), '')
FROM records WHERE object_type IN ('tickets', 'deals');

CREATE INDEX sla_cycles_started ON sla_cycles (started_at, status, goal);

-- +goose Down
DROP INDEX sla_cycles_started;
DROP TRIGGER record_facts_delete;
DROP TRIGGER record_facts_update;
DROP TRIGGER record_facts_insert;
DROP TABLE record_facts;
DROP TABLE rule_loads;
DROP TABLE sync_cycles;
