package servicepage

import (
	"context"
	"fmt"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// StoreDirectory reads the companies from alusta's cache, so a page view
// costs no HubSpot call; the cache holds what the daemon last pulled.
type StoreDirectory struct{ Store *store.Store }

var _ Directory = StoreDirectory{}

// Companies lists the cached companies, archived ones left out.
func (d StoreDirectory) Companies(ctx context.Context) ([]hubspot.Object, error) {
	recs, err := d.Store.Records(ctx, hubspot.Companies, store.Filter{})
	if err != nil {
		return nil, fmt.Errorf("servicepage: read companies: %w", err)
	}
	out := make([]hubspot.Object, len(recs))
	for i, r := range recs {
		props := make(map[string]*string, len(r.Properties))
		for k, v := range r.Properties {
			props[k] = &v
		}
		out[i] = hubspot.Object{ID: r.ID, Properties: props, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}
