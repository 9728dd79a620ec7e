// Package daemon is alusta's sync loop: it pulls changed records from
// HubSpot, asks the rule engine for decisions, pushes the results back and
// remembers everything in the store. It is a top-level package because its
// job, wiring the connector, the rules and the store together over time,
// belongs to none of them; cmd/alusta only reads settings and starts it.
package daemon
