package store

import (
	"context"
	"fmt"
	"time"
)

// Portal is the HubSpot portal a store belongs to, recorded at first use:
// ids, cursors and decisions mean nothing against another portal.
type Portal struct {
	ID int64 `json:"id"`
	// Demo marks a portal that was alusta's own demo sandbox, whose
	// state may be thrown away and seeded again.
	Demo    bool      `json:"demo,omitempty"`
	BoundAt time.Time `json:"bound_at"`
}

// portalState is the engine_state name the binding is kept under.
const portalState = "portal"

// Portal returns the portal the store belongs to; ok is false for a store
// never bound.
func (s *Store) Portal(ctx context.Context) (p Portal, ok bool, err error) {
	if err := s.LoadState(ctx, portalState, &p); err != nil {
		return Portal{}, false, fmt.Errorf("store: portal: %w", err)
	}
	return p, p.ID != 0, nil
}

// BindPortal records the portal the store belongs to; BoundAt is set from
// the store's clock.
func (s *Store) BindPortal(ctx context.Context, p Portal) error {
	p.BoundAt = s.now().UTC()
	if err := s.SaveStates(ctx, map[string]any{portalState: p}); err != nil {
		return fmt.Errorf("store: bind portal %d: %w", p.ID, err)
	}
	return nil
}
