-- +goose Up
-- sla_cycles becomes the one record of SLA clocks: the rule engine's state
-- no longer keeps its own copy, and is rebuilt from these rows on start. The
-- columns below are what the engine needs beyond the reports' seconds and
-- milliseconds: the goal's name and target, the exact elapsed and paused
-- business time and the exact times (nanoseconds; 0 when unknown), when the
-- clock was last advanced, whether it is on hold, whether its breach
-- actions ran, and its place among the record's cycles.
ALTER TABLE sla_cycles ADD COLUMN goal_name  TEXT    NOT NULL DEFAULT '';
ALTER TABLE sla_cycles ADD COLUMN target_ns  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN elapsed_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN paused_ns  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN started_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN due_ns     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN stopped_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN seen_ns    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN paused     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN acted      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sla_cycles ADD COLUMN position   INTEGER NOT NULL DEFAULT 0;
-- Rows saved before: the seconds are what is known of them.
UPDATE sla_cycles SET elapsed_ns = business_elapsed_seconds * 1000000000,
    paused_ns = paused_seconds * 1000000000, paused = (status = 'paused');

-- +goose Down
ALTER TABLE sla_cycles DROP COLUMN position;
ALTER TABLE sla_cycles DROP COLUMN acted;
ALTER TABLE sla_cycles DROP COLUMN paused;
ALTER TABLE sla_cycles DROP COLUMN seen_ns;
ALTER TABLE sla_cycles DROP COLUMN stopped_ns;
ALTER TABLE sla_cycles DROP COLUMN due_ns;
ALTER TABLE sla_cycles DROP COLUMN started_ns;
ALTER TABLE sla_cycles DROP COLUMN paused_ns;
ALTER TABLE sla_cycles DROP COLUMN elapsed_ns;
ALTER TABLE sla_cycles DROP COLUMN target_ns;
ALTER TABLE sla_cycles DROP COLUMN goal_name;
