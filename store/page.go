package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Page is what a sync cycle decided and pushed for one page of records:
// saved by SavePage in one transaction, so that after a crash the
// decisions, SLA clocks, write log, cache and engine state of a page are
// either all there or all absent, never half.
type Page struct {
	ObjectType string
	// Decided are the records whose writes HubSpot accepted (or that
	// needed none).
	Decided []DecidedRecord
	// Writes are logged without a decision: writes HubSpot rejected.
	Writes []Write
	// Records are the cached records as HubSpot holds them after the push.
	Records []Record
	// States are engine states by name, as SaveStates takes them.
	States map[string]any
}

// DecidedRecord is one record's decision with what goes with it.
type DecidedRecord struct {
	Decision Decision
	// SLA are the record's SLA cycles after the decision.
	SLA []SLACycle
	// Events are the SLA clock changes the decision made.
	Events []SLAEvent
	// Writes are logged with the stored decision's id.
	Writes []Write
}

// SavePage saves a page in one transaction, with one query to find the
// records' latest decisions and prepared statements for the rest.
func (s *Store) SavePage(ctx context.Context, p Page) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ids := make([]string, len(p.Decided))
		for i, d := range p.Decided {
			ids[i] = d.Decision.RecordID
		}
		latest, err := latestDecisions(ctx, tx, p.ObjectType, ids)
		if err != nil {
			return fmt.Errorf("latest decisions: %w", err)
		}
		writes := append([]Write(nil), p.Writes...)
		var events []SLAEvent
		for _, d := range p.Decided {
			id, err := s.saveDecision(ctx, tx, d.Decision, latest[d.Decision.RecordID])
			if err != nil {
				return fmt.Errorf("decision %s: %w", d.Decision.RecordID, err)
			}
			for _, w := range d.Writes {
				w.DecisionID = id
				writes = append(writes, w)
			}
			if len(d.SLA) > 0 {
				if err := s.saveSLACycles(ctx, tx, p.ObjectType, d.Decision.RecordID, d.SLA); err != nil {
					return fmt.Errorf("sla cycles %s: %w", d.Decision.RecordID, err)
				}
			}
			events = append(events, d.Events...)
		}
		if err := saveSLAEvents(ctx, tx, events); err != nil {
			return fmt.Errorf("sla events: %w", err)
		}
		if _, err := s.logWrites(ctx, tx, writes); err != nil {
			return fmt.Errorf("writes: %w", err)
		}
		if len(p.Records) > 0 {
			if err := s.upsertRecords(ctx, tx, p.ObjectType, p.Records); err != nil {
				return err
			}
		}
		return s.saveStates(ctx, tx, p.States)
	})
	if err != nil {
		return fmt.Errorf("store: save %s page: %w", p.ObjectType, err)
	}
	return nil
}
