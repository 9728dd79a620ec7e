-- +goose Up
-- Report rows are kept as JSON objects keyed by column name, not arrays
-- read by position: a view reading $[7] silently read another column once
-- one was added or moved. Rows saved as arrays are converted here.

UPDATE report_rows SET row = json_object(
    'month', json_extract(row, '$[0]'),
    'kind', json_extract(row, '$[1]'),
    'provider_id', json_extract(row, '$[2]'),
    'provider', json_extract(row, '$[3]'),
    'service', json_extract(row, '$[4]'),
    'payer', json_extract(row, '$[5]'),
    'unit', json_extract(row, '$[6]'),
    'orders', json_extract(row, '$[7]'),
    'units', json_extract(row, '$[8]'),
    'unit_price', json_extract(row, '$[9]'),
    'total', json_extract(row, '$[10]'))
WHERE report = 'billing' AND json_type(row) = 'array';

UPDATE report_rows SET row = json_object(
    'month', json_extract(row, '$[0]'),
    'pipeline', json_extract(row, '$[1]'),
    'queue', json_extract(row, '$[2]'),
    'provider_id', json_extract(row, '$[3]'),
    'goal', json_extract(row, '$[4]'),
    'cycles', json_extract(row, '$[5]'),
    'met', json_extract(row, '$[6]'),
    'breached', json_extract(row, '$[7]'),
    'open', json_extract(row, '$[8]'),
    'paused_hours', json_extract(row, '$[9]'),
    'median_hours', json_extract(row, '$[10]'),
    'p90_hours', json_extract(row, '$[11]'))
WHERE report = 'sla' AND json_type(row) = 'array';

UPDATE report_rows SET row = json_object(
    'month', json_extract(row, '$[0]'),
    'provider_id', json_extract(row, '$[1]'),
    'provider', json_extract(row, '$[2]'),
    'orders', json_extract(row, '$[3]'),
    'declines', json_extract(row, '$[4]'),
    'reassignments', json_extract(row, '$[5]'),
    'complaints', json_extract(row, '$[6]'),
    'feedback', json_extract(row, '$[7]'),
    'feedback_score', json_extract(row, '$[8]'))
WHERE report = 'quality' AND json_type(row) = 'array';

UPDATE report_rows SET row = json_object(
    'week', json_extract(row, '$[0]'),
    'week_start', json_extract(row, '$[1]'),
    'owner_id', json_extract(row, '$[2]'),
    'owner', json_extract(row, '$[3]'),
    'channel', json_extract(row, '$[4]'),
    'opened', json_extract(row, '$[5]'),
    'closed', json_extract(row, '$[6]'),
    'backlog', json_extract(row, '$[7]'))
WHERE report = 'workload' AND json_type(row) = 'array';

DROP VIEW v_report_billing;
DROP VIEW v_report_sla;
DROP VIEW v_report_quality;
DROP VIEW v_report_workload;

CREATE VIEW v_report_billing AS
SELECT period,
       json_extract(row, '$.month')           AS month,
       json_extract(row, '$.kind')            AS kind,
       json_extract(row, '$.provider_id')     AS provider_id,
       json_extract(row, '$.provider')        AS provider,
       json_extract(row, '$.service')         AS service,
       json_extract(row, '$.payer')           AS payer,
       json_extract(row, '$.unit')            AS unit,
       json_extract(row, '$.orders')          AS orders,
       json_extract(row, '$.units')           AS units,
       json_extract(row, '$.unit_price')      AS unit_price,
       json_extract(row, '$.total')           AS total
FROM report_rows WHERE report = 'billing';

CREATE VIEW v_report_sla AS
SELECT period,
       json_extract(row, '$.month')            AS month,
       json_extract(row, '$.pipeline')         AS pipeline,
       json_extract(row, '$.queue')            AS queue,
       json_extract(row, '$.provider_id')      AS provider_id,
       json_extract(row, '$.goal')             AS goal,
       json_extract(row, '$.cycles')           AS cycles,
       json_extract(row, '$.met')              AS met,
       json_extract(row, '$.breached')         AS breached,
       json_extract(row, '$.open')             AS open,
       json_extract(row, '$.paused_hours')     AS paused_hours,
       json_extract(row, '$.median_hours')     AS median_hours,
       json_extract(row, '$.p90_hours')        AS p90_hours
FROM report_rows WHERE report = 'sla';

CREATE VIEW v_report_quality AS
SELECT period,
       json_extract(row, '$.month')              AS month,
       json_extract(row, '$.provider_id')        AS provider_id,
       json_extract(row, '$.provider')           AS provider,
       json_extract(row, '$.orders')             AS orders,
       json_extract(row, '$.declines')           AS declines,
       json_extract(row, '$.reassignments')      AS reassignments,
       json_extract(row, '$.complaints')         AS complaints,
       json_extract(row, '$.feedback')           AS feedback,
       json_extract(row, '$.feedback_score')     AS feedback_score
FROM report_rows WHERE report = 'quality';

CREATE VIEW v_report_workload AS
SELECT period,
       json_extract(row, '$.week')           AS week,
       json_extract(row, '$.week_start')     AS week_start,
       json_extract(row, '$.owner_id')       AS owner_id,
       json_extract(row, '$.owner')          AS owner,
       json_extract(row, '$.channel')        AS channel,
       json_extract(row, '$.opened')         AS opened,
       json_extract(row, '$.closed')         AS closed,
       json_extract(row, '$.backlog')        AS backlog
FROM report_rows WHERE report = 'workload';

-- +goose Down
SELECT 'report rows stay keyed by name' WHERE 0;
