-- +goose Up
-- property_history keeps people's changes to the few properties the
-- backtest replays (a record's stage, owner and priority, under alusta's
-- field names), never free text or contact details: value, the moment it
-- was set and who set it. source is HubSpot's sourceType (CRM_UI, API,
-- ...) for history read from HubSpot, which is exact; "pull" for a change
-- alusta saw on a pull, dated at the record's modification time; "alusta"
-- for a value alusta itself wrote. A change seen both ways is one row:
-- HubSpot's history replaces what pulls saw up to when it was read.
CREATE TABLE property_history (
    object_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    property    TEXT NOT NULL,
    set_at      TEXT NOT NULL,
    value       TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (object_type, record_id, property, set_at, value)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE property_history;
