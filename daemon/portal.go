package daemon

import (
	"context"
	"fmt"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// OtherPortalError is a store that belongs to another portal than the one
// the client reaches: ids, cursors and decisions of one portal mean nothing
// in another, and syncing on would route nothing while every log stays
// green.
type OtherPortalError struct {
	StorePath string
	Have      store.Portal // what the store belongs to
	Got       int64        // what the client reaches
}

func (e *OtherPortalError) Error() string {
	return fmt.Sprintf("store.path %s belongs to HubSpot portal %d (since %s), but hubspot.token and hubspot.base_url reach portal %d: "+
		"give each portal its own store.path", e.StorePath, e.Have.ID, e.Have.BoundAt.Format("2006-01-02"), e.Got)
}

// BindPortal checks that st belongs to the portal c reaches, recording it
// at the store's first use. demo marks the binding as one to alusta's own
// demo sandbox.
func BindPortal(ctx context.Context, c *hubspot.Client, st *store.Store, storePath string, demo bool) error {
	have, ok, err := st.Portal(ctx)
	if err != nil {
		return err
	}
	got, err := portalID(ctx, c, storePath)
	if err != nil {
		return err
	}
	if !ok {
		return st.BindPortal(ctx, store.Portal{ID: got, Demo: demo})
	}
	if have.ID != got {
		return &OtherPortalError{StorePath: storePath, Have: have, Got: got}
	}
	return nil
}

// CheckPortal is BindPortal for readers of a store (rules explain): a
// store never bound is left as it is and costs no call.
func CheckPortal(ctx context.Context, c *hubspot.Client, st *store.Store, storePath string) error {
	have, ok, err := st.Portal(ctx)
	if err != nil || !ok {
		return err
	}
	got, err := portalID(ctx, c, storePath)
	if err != nil {
		return err
	}
	if have.ID != got {
		return &OtherPortalError{StorePath: storePath, Have: have, Got: got}
	}
	return nil
}

func portalID(ctx context.Context, c *hubspot.Client, storePath string) (int64, error) {
	acct, err := c.AccountDetails(ctx)
	if err != nil {
		return 0, fmt.Errorf("check which portal store.path %s belongs to: %w", storePath, err)
	}
	if acct.PortalID <= 0 {
		return 0, fmt.Errorf("check which portal store.path %s belongs to: account details name no portal id", storePath)
	}
	return acct.PortalID, nil
}
