-- +goose Up
-- records is the cache of CRM objects (tickets, deals, companies). properties
-- holds only allow-listed, redacted values as a JSON object, so that views can
-- read them with json_extract. Times are UTC text in one fixed layout
-- (2006-01-02T15:04:05.000Z), which sorts as it compares.
CREATE TABLE records (
    object_type TEXT NOT NULL,
    id          TEXT NOT NULL,
    properties  TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0,
    synced_at   TEXT NOT NULL,
    PRIMARY KEY (object_type, id)
);
CREATE INDEX records_updated ON records (object_type, updated_at);

-- owners are the coordinators. Names only: alusta keeps no contact details.
CREATE TABLE owners (
    id         TEXT PRIMARY KEY,
    first_name TEXT NOT NULL DEFAULT '',
    last_name  TEXT NOT NULL DEFAULT '',
    teams      TEXT NOT NULL DEFAULT '[]',
    archived   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE TABLE pipeline_stages (
    object_type    TEXT NOT NULL,
    pipeline_id    TEXT NOT NULL,
    pipeline_label TEXT NOT NULL,
    stage_id       TEXT NOT NULL,
    stage_label    TEXT NOT NULL,
    display_order  INTEGER NOT NULL DEFAULT 0,
    is_closed      INTEGER NOT NULL DEFAULT 0,
    probability    REAL,
    archived       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object_type, pipeline_id, stage_id)
);

CREATE TABLE cursors (
    object_type     TEXT PRIMARY KEY,
    since           TEXT NOT NULL,
    last_id         TEXT NOT NULL DEFAULT '',
    sync_started_at TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL
);

CREATE TABLE decisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    rule        TEXT NOT NULL DEFAULT '',
    queue       TEXT NOT NULL DEFAULT '',
    owner_id    TEXT NOT NULL DEFAULT '',
    provider_id TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX decisions_record ON decisions (object_type, record_id, id);

-- writes logs every property alusta wrote, tried to write or chose not to.
-- The unique key makes a replay after a crash a no-op.
CREATE TABLE writes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    property    TEXT NOT NULL,
    old_value   TEXT NOT NULL DEFAULT '',
    new_value   TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL DEFAULT '',
    decision_id INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'skipped_unchanged', 'skipped_human')),
    reason      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    UNIQUE (object_type, record_id, property, new_value, decision_id, status)
);
CREATE INDEX writes_record ON writes (object_type, record_id, property, at);

CREATE TABLE sla_cycles (
    object_type              TEXT NOT NULL,
    record_id                TEXT NOT NULL,
    goal                     TEXT NOT NULL,
    cycle                    INTEGER NOT NULL,
    started_at               TEXT NOT NULL,
    stopped_at               TEXT,
    paused_seconds           INTEGER NOT NULL DEFAULT 0,
    business_elapsed_seconds INTEGER NOT NULL DEFAULT 0,
    due_at                   TEXT,
    status                   TEXT NOT NULL,
    calendar                 TEXT NOT NULL DEFAULT '',
    updated_at               TEXT NOT NULL,
    PRIMARY KEY (object_type, record_id, goal, cycle)
);
CREATE INDEX sla_cycles_due ON sla_cycles (status, due_at);

CREATE TABLE sla_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    goal        TEXT NOT NULL,
    cycle       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('started', 'warning', 'breached', 'met', 'paused', 'resumed')),
    at          TEXT NOT NULL,
    UNIQUE (object_type, record_id, goal, cycle, kind, at)
);

CREATE TABLE engine_state (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE rejected_records (
    object_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    property    TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    seen        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (object_type, record_id, property, reason)
);

CREATE TABLE report_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report      TEXT NOT NULL,
    period      TEXT NOT NULL,
    format      TEXT NOT NULL DEFAULT '',
    path        TEXT NOT NULL DEFAULT '',
    attempt     INTEGER NOT NULL DEFAULT 1,
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    rows        INTEGER NOT NULL DEFAULT 0,
    checksum    TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    finished_at TEXT
);

-- billing_billed is, per deal, what a locked month has billed so far; a later
-- change to the deal is measured against it and produces corrections.
CREATE TABLE billing_billed (
    deal_id       TEXT PRIMARY KEY,
    month         TEXT NOT NULL,
    provider_id   TEXT NOT NULL,
    service       TEXT NOT NULL,
    payer         TEXT NOT NULL,
    unit          TEXT NOT NULL,
    units_milli   INTEGER NOT NULL,
    price_cents   INTEGER NOT NULL,
    total_cents   INTEGER NOT NULL
);

-- billing_corrections holds refund and correction lines, in the month the
-- change was seen (seen_month), pointing at the month first billed.
CREATE TABLE billing_corrections (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    seen_month   TEXT NOT NULL,
    orig_month   TEXT NOT NULL,
    deal_id      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('correction', 'refund')),
    provider_id  TEXT NOT NULL,
    service      TEXT NOT NULL,
    payer        TEXT NOT NULL,
    unit         TEXT NOT NULL,
    units_milli  INTEGER NOT NULL,
    price_cents  INTEGER NOT NULL,
    total_cents  INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX billing_corrections_seen ON billing_corrections (seen_month);

-- billing_locks freezes a month; billing_locked_rows is its report as it
-- stood when locked.
CREATE TABLE billing_locks (
    month     TEXT PRIMARY KEY,
    locked_at TEXT NOT NULL
);
CREATE TABLE billing_locked_rows (
    month    TEXT NOT NULL REFERENCES billing_locks (month),
    position INTEGER NOT NULL,
    row      TEXT NOT NULL,
    PRIMARY KEY (month, position)
);

-- report_rows is the last computed result of every report and period, one
-- JSON array per row, for BI tools; the v_report_* views unpack them.
CREATE TABLE report_rows (
    report   TEXT NOT NULL,
    period   TEXT NOT NULL,
    position INTEGER NOT NULL,
    row      TEXT NOT NULL,
    PRIMARY KEY (report, period, position)
);

CREATE VIEW v_tickets AS
SELECT id,
       created_at,
       updated_at,
       archived,
       json_extract(properties, '$.hs_pipeline')           AS pipeline,
       json_extract(properties, '$.hs_pipeline_stage')     AS stage,
       json_extract(properties, '$.hs_ticket_priority')    AS priority,
       json_extract(properties, '$.source_type')           AS channel,
       json_extract(properties, '$.hubspot_owner_id')      AS owner_id,
       json_extract(properties, '$.alusta_ticket_kind')    AS kind,
       json_extract(properties, '$.alusta_queue')          AS queue,
       json_extract(properties, '$.alusta_provider')       AS provider_id,
       json_extract(properties, '$.alusta_feedback_score') AS feedback_score,
       json_extract(properties, '$.alusta_sla_status')     AS sla_status,
       json_extract(properties, '$.closed_date')           AS closed_date
FROM records WHERE object_type = 'tickets';

CREATE VIEW v_deals AS
SELECT id,
       created_at,
       updated_at,
       archived,
       json_extract(properties, '$.pipeline')            AS pipeline,
       json_extract(properties, '$.dealstage')           AS stage,
       json_extract(properties, '$.amount')              AS amount,
       json_extract(properties, '$.closedate')           AS closedate,
       json_extract(properties, '$.alusta_service')      AS service,
       json_extract(properties, '$.alusta_municipality') AS municipality,
       json_extract(properties, '$.alusta_units')        AS units,
       json_extract(properties, '$.alusta_unit')         AS unit,
       json_extract(properties, '$.alusta_payer')        AS payer,
       json_extract(properties, '$.alusta_provider')     AS provider_id,
       json_extract(properties, '$.alusta_declined_by')  AS declined_by
FROM records WHERE object_type = 'deals';

CREATE VIEW v_providers AS
SELECT id,
       json_extract(properties, '$.name')                      AS name,
       json_extract(properties, '$.alusta_provider_active')    AS active,
       json_extract(properties, '$.alusta_provider_services')  AS services,
       json_extract(properties, '$.alusta_provider_areas')     AS areas,
       json_extract(properties, '$.alusta_provider_prices')    AS prices,
       json_extract(properties, '$.alusta_provider_capacity')  AS capacity
FROM records WHERE object_type = 'companies';

CREATE VIEW v_sla_cycles AS
SELECT c.*,
       COALESCE(json_extract(r.properties, '$.hs_pipeline'), json_extract(r.properties, '$.pipeline')) AS pipeline,
       json_extract(r.properties, '$.alusta_queue')    AS queue,
       json_extract(r.properties, '$.alusta_provider') AS provider_id
FROM sla_cycles c
LEFT JOIN records r ON r.object_type = c.object_type AND r.id = c.record_id;

CREATE VIEW v_report_billing AS
SELECT period,
       json_extract(row, '$[0]')  AS month,
       json_extract(row, '$[1]')  AS kind,
       json_extract(row, '$[2]')  AS provider_id,
       json_extract(row, '$[3]')  AS provider,
       json_extract(row, '$[4]')  AS service,
       json_extract(row, '$[5]')  AS payer,
       json_extract(row, '$[6]')  AS unit,
       json_extract(row, '$[7]')  AS orders,
       json_extract(row, '$[8]')  AS units,
       json_extract(row, '$[9]')  AS unit_price,
       json_extract(row, '$[10]') AS total
FROM report_rows WHERE report = 'billing';

CREATE VIEW v_report_sla AS
SELECT period,
       json_extract(row, '$[0]')  AS month,
       json_extract(row, '$[1]')  AS pipeline,
       json_extract(row, '$[2]')  AS queue,
       json_extract(row, '$[3]')  AS provider_id,
       json_extract(row, '$[4]')  AS goal,
       json_extract(row, '$[5]')  AS cycles,
       json_extract(row, '$[6]')  AS met,
       json_extract(row, '$[7]')  AS breached,
       json_extract(row, '$[8]')  AS open,
       json_extract(row, '$[9]')  AS paused_hours,
       json_extract(row, '$[10]') AS median_hours,
       json_extract(row, '$[11]') AS p90_hours
FROM report_rows WHERE report = 'sla';

CREATE VIEW v_report_quality AS
SELECT period,
       json_extract(row, '$[0]') AS month,
       json_extract(row, '$[1]') AS provider_id,
       json_extract(row, '$[2]') AS provider,
       json_extract(row, '$[3]') AS orders,
       json_extract(row, '$[4]') AS declines,
       json_extract(row, '$[5]') AS reassignments,
       json_extract(row, '$[6]') AS complaints,
       json_extract(row, '$[7]') AS feedback,
       json_extract(row, '$[8]') AS feedback_score
FROM report_rows WHERE report = 'quality';

CREATE VIEW v_report_workload AS
SELECT period,
       json_extract(row, '$[0]') AS week,
       json_extract(row, '$[1]') AS week_start,
       json_extract(row, '$[2]') AS owner_id,
       json_extract(row, '$[3]') AS owner,
       json_extract(row, '$[4]') AS channel,
       json_extract(row, '$[5]') AS opened,
       json_extract(row, '$[6]') AS closed,
       json_extract(row, '$[7]') AS backlog
FROM report_rows WHERE report = 'workload';

-- +goose Down
DROP VIEW v_report_workload;
DROP VIEW v_report_quality;
DROP VIEW v_report_sla;
DROP VIEW v_report_billing;
DROP VIEW v_sla_cycles;
DROP VIEW v_providers;
DROP VIEW v_deals;
DROP VIEW v_tickets;
DROP TABLE report_rows;
DROP TABLE billing_locked_rows;
DROP TABLE billing_locks;
DROP TABLE billing_corrections;
DROP TABLE billing_billed;
DROP TABLE report_runs;
DROP TABLE rejected_records;
DROP TABLE engine_state;
DROP TABLE sla_events;
DROP TABLE sla_cycles;
DROP TABLE writes;
DROP TABLE decisions;
DROP TABLE cursors;
DROP TABLE pipeline_stages;
DROP TABLE owners;
DROP TABLE records;
