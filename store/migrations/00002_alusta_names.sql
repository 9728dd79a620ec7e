-- +goose Up
-- Records are kept under alusta's names (the mapping's field names, the
-- written keys and closed_at), not a portal's property names: a portal that
-- renames a property in its mapping must not lose it from the cache, the
-- views and the reports. A cache filled before this migration holds the
-- default mapping's property names; they are renamed here. json_patch onto
-- '{}' leaves out the properties a record does not have.

UPDATE records SET properties = json_patch('{}', json_object(
    'pipeline',       json_extract(properties, '$.hs_pipeline'),
    'stage',          json_extract(properties, '$.hs_pipeline_stage'),
    'priority',       json_extract(properties, '$.hs_ticket_priority'),
    'source',         json_extract(properties, '$.source_type'),
    'owner',          json_extract(properties, '$.hubspot_owner_id'),
    'service',        json_extract(properties, '$.alusta_service'),
    'municipality',   json_extract(properties, '$.alusta_municipality'),
    'client_group',   json_extract(properties, '$.alusta_client_group'),
    'language',       json_extract(properties, '$.alusta_language'),
    'kind',           json_extract(properties, '$.alusta_ticket_kind'),
    'provider',       json_extract(properties, '$.alusta_provider'),
    'feedback_score', json_extract(properties, '$.alusta_feedback_score'),
    'queue',          json_extract(properties, '$.alusta_queue'),
    'sla_due',        json_extract(properties, '$.alusta_sla_due'),
    'sla_status',     json_extract(properties, '$.alusta_sla_status'),
    'decision',       json_extract(properties, '$.alusta_decision'),
    'closed_at',      json_extract(properties, '$.closed_date')))
WHERE object_type = 'tickets';

UPDATE records SET properties = json_patch('{}', json_object(
    'pipeline',      json_extract(properties, '$.pipeline'),
    'stage',         json_extract(properties, '$.dealstage'),
    'amount',        json_extract(properties, '$.amount'),
    'close_date',    json_extract(properties, '$.closedate'),
    'owner',         json_extract(properties, '$.hubspot_owner_id'),
    'service',       json_extract(properties, '$.alusta_service'),
    'municipality',  json_extract(properties, '$.alusta_municipality'),
    'units',         json_extract(properties, '$.alusta_units'),
    'unit',          json_extract(properties, '$.alusta_unit'),
    'payer',         json_extract(properties, '$.alusta_payer'),
    'client_choice', json_extract(properties, '$.alusta_client_choice'),
    'language',      json_extract(properties, '$.alusta_language'),
    'provider',      json_extract(properties, '$.alusta_provider'),
    'declined_by',   json_extract(properties, '$.alusta_declined_by'),
    'queue',         json_extract(properties, '$.alusta_queue'),
    'sla_due',       json_extract(properties, '$.alusta_sla_due'),
    'sla_status',    json_extract(properties, '$.alusta_sla_status'),
    'decision',      json_extract(properties, '$.alusta_decision')))
WHERE object_type = 'deals';

UPDATE records SET properties = json_patch('{}', json_object(
    'name',      json_extract(properties, '$.name'),
    'active',    json_extract(properties, '$.alusta_provider_active'),
    'services',  json_extract(properties, '$.alusta_provider_services'),
    'areas',     json_extract(properties, '$.alusta_provider_areas'),
    'languages', json_extract(properties, '$.alusta_provider_languages'),
    'capacity',  json_extract(properties, '$.alusta_provider_capacity'),
    'weight',    json_extract(properties, '$.alusta_provider_weight'),
    'prices',    json_extract(properties, '$.alusta_provider_prices')))
WHERE object_type = 'companies';

DROP VIEW v_tickets;
DROP VIEW v_deals;
DROP VIEW v_providers;
DROP VIEW v_sla_cycles;

CREATE VIEW v_tickets AS
SELECT id,
       created_at,
       updated_at,
       archived,
       json_extract(properties, '$.pipeline')       AS pipeline,
       json_extract(properties, '$.stage')          AS stage,
       json_extract(properties, '$.priority')       AS priority,
       json_extract(properties, '$.source')         AS channel,
       json_extract(properties, '$.owner')          AS owner_id,
       json_extract(properties, '$.kind')           AS kind,
       json_extract(properties, '$.queue')          AS queue,
       json_extract(properties, '$.provider')       AS provider_id,
       json_extract(properties, '$.feedback_score') AS feedback_score,
       json_extract(properties, '$.sla_status')     AS sla_status,
       json_extract(properties, '$.closed_at')      AS closed_date
FROM records WHERE object_type = 'tickets';

CREATE VIEW v_deals AS
SELECT id,
       created_at,
       updated_at,
       archived,
       json_extract(properties, '$.pipeline')     AS pipeline,
       json_extract(properties, '$.stage')        AS stage,
       json_extract(properties, '$.amount')       AS amount,
       json_extract(properties, '$.close_date')   AS closedate,
       json_extract(properties, '$.service')      AS service,
       json_extract(properties, '$.municipality') AS municipality,
       json_extract(properties, '$.units')        AS units,
       json_extract(properties, '$.unit')         AS unit,
       json_extract(properties, '$.payer')        AS payer,
       json_extract(properties, '$.provider')     AS provider_id,
       json_extract(properties, '$.declined_by')  AS declined_by
FROM records WHERE object_type = 'deals';

CREATE VIEW v_providers AS
SELECT id,
       json_extract(properties, '$.name')     AS name,
       json_extract(properties, '$.active')   AS active,
       json_extract(properties, '$.services') AS services,
       json_extract(properties, '$.areas')    AS areas,
       json_extract(properties, '$.prices')   AS prices,
       json_extract(properties, '$.capacity') AS capacity
FROM records WHERE object_type = 'companies';

CREATE VIEW v_sla_cycles AS
SELECT c.*,
       json_extract(r.properties, '$.pipeline') AS pipeline,
       json_extract(r.properties, '$.queue')    AS queue,
       json_extract(r.properties, '$.provider') AS provider_id
FROM sla_cycles c
LEFT JOIN records r ON r.object_type = c.object_type AND r.id = c.record_id;

-- +goose Down
SELECT 'alusta names cannot be turned back into a portal''s property names' WHERE 0;
