-- +goose Up
-- intake_keys are the orderers' API keys. Only a SHA-256 of each key is kept:
-- the key itself is shown once, when it is made.
CREATE TABLE intake_keys (
    id         INTEGER PRIMARY KEY,
    orderer    TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- orders are the orders received through the intake. payload holds the
-- order as received, client details included, only until HubSpot has
-- confirmed the deal and the contact; then it is set to NULL and only the
-- reference, ids, status and times remain. body_hash tells a repeated order
-- from a different one under the same reference.
CREATE TABLE orders (
    orderer    TEXT NOT NULL,
    order_ref  TEXT NOT NULL,
    body_hash  TEXT NOT NULL,
    payload    TEXT,
    state      TEXT NOT NULL,
    deal_id    TEXT NOT NULL DEFAULT '',
    contact_id TEXT NOT NULL DEFAULT '',
    error      TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (orderer, order_ref)
);
CREATE INDEX orders_state ON orders (state);
CREATE INDEX orders_deal ON orders (deal_id);

-- notifications is the outgoing message queue: e-mails and provider
-- webhooks. key makes enqueueing idempotent (one message per purpose);
-- a message is delivered by one worker, retried with backoff, and marked
-- sent once delivered.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
CREATE INDEX notifications_due ON notifications (state, next_at);

-- access_log records every view of client data through alusta (who, when,
-- which order, what), as Finnish client-data law expects.
CREATE TABLE access_log (
    id       INTEGER PRIMARY KEY,
    deal_id  TEXT NOT NULL,
    party    TEXT NOT NULL,
    action   TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX access_log_deal ON access_log (deal_id, at);

-- +goose Down
DROP TABLE access_log;
DROP TABLE notifications;
DROP TABLE orders;
DROP TABLE intake_keys;
