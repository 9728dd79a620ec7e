package servicepage

import (
	"context"
	"fmt"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// StoreDirectory reads the companies from alusta's cache, so a page view
// costs no HubSpot call; the cache holds what the daemon last pulled,
// under alusta's field names (the mapping was applied on the way in).
type StoreDirectory struct{ Store *store.Store }

var _ Directory = StoreDirectory{}

// Companies lists the cached providers and NGO activities, archived ones
// left out.
func (d StoreDirectory) Companies(ctx context.Context) ([]pipelines.Provider, []pipelines.Activity, error) {
	recs, err := d.Store.Records(ctx, hubspot.Companies, store.Filter{})
	if err != nil {
		return nil, nil, fmt.Errorf("servicepage: read companies: %w", err)
	}
	var ps []pipelines.Provider
	var as []pipelines.Activity
	for _, r := range recs {
		if pipelines.IsNGO(r.Properties) {
			as = append(as, pipelines.ActivityOf(r.ID, r.Properties))
			continue
		}
		ps = append(ps, pipelines.ProviderOf(r.ID, r.Properties))
	}
	pipelines.SortActivities(as)
	return ps, as, nil
}
