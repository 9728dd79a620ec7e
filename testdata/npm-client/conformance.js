// conformance.js drives alusta's sandbox with HubSpot's official Node
// client (@hubspot/api-client) pointed at SANDBOX_URL through its basePath
// setting. It creates, reads, searches, batch-updates and associates
// tickets, deals and companies and lists pipelines and owners, and exits
// non-zero on the first mismatch or client error. The sandbox must run
// with --seed demo (the pipeline and owner checks expect the demo portal).
'use strict';

const hubspot = require('@hubspot/api-client');

const base = process.env.SANDBOX_URL;
if (!base) {
  console.error('conformance: SANDBOX_URL is not set');
  process.exit(2);
}

const client = new hubspot.Client({ accessToken: 'sandbox-token', basePath: base, numberOfApiCallRetries: 0 });

let checks = 0;
function expect(cond, what, got) {
  checks++;
  if (!cond) {
    throw new Error(`${what}: got ${JSON.stringify(got)}`);
  }
}

async function main() {
  // Companies: create and read.
  const company = await client.crm.companies.basicApi.create({
    properties: { name: 'Konformanssi Oy', alusta_provider_services: 'siivous;kauppa', alusta_provider_active: 'true' },
    associations: [],
  });
  expect(/^\d+$/.test(company.id) && BigInt(company.id) > 2n ** 32n, 'company id above 2^32', company.id);
  const companyRead = await client.crm.companies.basicApi.getById(company.id, ['name', 'alusta_provider_services']);
  expect(companyRead.properties.name === 'Konformanssi Oy', 'company name', companyRead.properties);
  expect(companyRead.properties.alusta_provider_services === 'siivous;kauppa', 'multi-select value', companyRead.properties);

  // Tickets: create with an association, read, search.
  const ticket = await client.crm.tickets.basicApi.create({
    properties: { subject: 'Konformanssitesti', content: 'Virallinen asiakaskirjasto', hs_ticket_priority: 'HIGH',
      alusta_service: 'siivous', alusta_municipality: 'Nokia' },
    associations: [{ to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 339 }] }],
  });
  const ticketRead = await client.crm.tickets.basicApi.getById(ticket.id, ['subject', 'hs_ticket_priority', 'content'], undefined, ['companies']);
  expect(ticketRead.properties.subject === 'Konformanssitesti', 'ticket subject', ticketRead.properties);
  expect(ticketRead.properties.hs_object_id === ticket.id, 'hs_object_id', ticketRead.properties);
  expect(ticketRead.createdAt instanceof Date && !isNaN(ticketRead.createdAt), 'createdAt is a date', ticketRead.createdAt);
  const embedded = ticketRead.associations && ticketRead.associations.companies;
  expect(embedded && embedded.results.some((a) => a.id === company.id), 'ticket -> company association', ticketRead.associations);

  const found = await client.crm.tickets.searchApi.doSearch({
    filterGroups: [{ filters: [
      { propertyName: 'alusta_municipality', operator: 'EQ', value: 'Nokia' },
      { propertyName: 'hs_ticket_priority', operator: 'IN', values: ['HIGH', 'URGENT'] },
    ] }],
    sorts: ['-createdate'],
    properties: ['subject', 'alusta_municipality'],
    limit: 5,
    after: '0',
  });
  expect(found.total >= 1 && found.results.length >= 1, 'search total', found.total);
  expect(found.results[0].id === ticket.id, 'newest first', found.results.map((r) => r.id));
  expect(found.paging === undefined || /^\d+$/.test(found.paging.next.after), 'search paging cursor', found.paging);

  // Deals: batch create, batch update, batch read.
  const created = await client.crm.deals.batchApi.create({ inputs: [
    { properties: { dealname: 'Konformanssi 1', amount: '100.50', alusta_service: 'siivous' }, associations: [] },
    { properties: { dealname: 'Konformanssi 2', amount: '7' }, associations: [] },
  ] });
  expect(created.results.length === 2, 'batch create', created.results.length);
  const [d1, d2] = created.results.map((r) => r.id).sort();
  const updated = await client.crm.deals.batchApi.update({ inputs: [
    { id: d1, properties: { amount: '200' } },
    { id: d2, properties: { dealname: 'Konformanssi 2b' } },
  ] });
  expect(updated.results.length === 2 && updated.status === 'COMPLETE', 'batch update', updated);
  const read = await client.crm.deals.batchApi.read({ inputs: [{ id: d1 }, { id: d2 }], properties: ['amount', 'dealname'], propertiesWithHistory: [] });
  const byId = Object.fromEntries(read.results.map((r) => [r.id, r.properties]));
  expect(byId[d1].amount === '200' && byId[d2].dealname === 'Konformanssi 2b', 'batch read after update', byId);
  const tickets = await client.crm.tickets.batchApi.update({ inputs: [{ id: ticket.id, properties: { hs_ticket_priority: 'LOW' } }] });
  expect(tickets.results[0].properties.hs_ticket_priority === 'LOW', 'ticket batch update', tickets.results[0].properties);

  // Associations v4: labelled PUT, per-record read, batch create, labels.
  const pair = await client.crm.associations.v4.basicApi.create('deals', d1, 'companies', company.id,
    [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 5 }]);
  expect(String(pair.toObjectId) === company.id && pair.labels.includes('Primary'), 'v4 PUT', pair);
  const assoc = await client.crm.associations.v4.basicApi.getPage('deals', d1, 'companies');
  expect(assoc.results.length === 1 && String(assoc.results[0].toObjectId) === company.id, 'v4 GET', assoc.results);
  const typeIds = assoc.results[0].associationTypes.map((t) => t.typeId).sort((a, b) => a - b);
  expect(typeIds.join(',') === '5,341', 'v4 types', typeIds);
  const batch = await client.crm.associations.v4.batchApi.create('tickets', 'deals', { inputs: [
    { _from: { id: ticket.id }, to: { id: d2 }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 28 }] },
  ] });
  expect(batch.results.length === 1, 'v4 batch create', batch);
  const back = await client.crm.associations.v4.basicApi.getPage('deals', d2, 'tickets');
  expect(back.results.length === 1 && String(back.results[0].toObjectId) === ticket.id, 'v4 inverse', back.results);
  const labels = await client.crm.associations.v4.schema.definitionsApi.getAll('deals', 'companies');
  expect(labels.results.some((l) => l.typeId === 5 && l.label === 'Primary'), 'labels', labels.results);

  // Pipelines and owners.
  const tp = await client.crm.pipelines.pipelinesApi.getAll('tickets');
  expect(tp.results.some((p) => p.label === 'Neuvonta ja ohjaus' && p.stages.length === 4), 'ticket pipeline', tp.results.map((p) => p.label));
  const dp = await client.crm.pipelines.pipelinesApi.getAll('deals');
  const stages = dp.results[0].stages.map((s) => s.label);
  expect(stages.includes('Toteutunut') && stages.length === 7, 'deal stages', stages);
  const owners = await client.crm.owners.ownersApi.getPage(undefined, undefined, 100);
  expect(owners.results.length === 7 && owners.results.some((o) => o.email === 'aino.virtanen@kotitori.example.fi'), 'owners', owners.results.map((o) => o.email));

  // Errors surface as the client's ApiException with HubSpot's body.
  try {
    await client.crm.tickets.basicApi.update(ticket.id, { properties: { no_such_property: 'x' } });
    expect(false, 'unknown property rejected', 'accepted');
  } catch (e) {
    expect(e.code === 400 && JSON.stringify(e.body).includes('VALIDATION_ERROR'), 'validation error', e.code);
  }

  console.log(`conformance: ${checks} checks passed against ${base}`);
}

main().catch((e) => {
  console.error('conformance: FAILED:', e && e.message ? e.message : e);
  if (e && e.body) console.error('body:', JSON.stringify(e.body));
  process.exit(1);
});
