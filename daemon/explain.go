package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// ExplainCRM is what Explain reads from HubSpot or the sandbox.
type ExplainCRM interface {
	portal
	Get(ctx context.Context, objectType, id string, props []string) (*hubspot.Object, error)
	List(ctx context.Context, objectType string, props []string, fn func([]hubspot.Object) error) error
}

var _ ExplainCRM = (*hubspot.Client)(nil)

// ExplainOptions name the record to explain and what to decide it with.
type ExplainOptions struct {
	PipelinesDir, MappingsDir string
	ObjectType, ID            string
	// Now is the moment to decide as of.
	Now time.Time
	// State is the daemon's engine state (LoadState); nil decides on a
	// fresh one.
	State *pipelines.State
}

// Explain decides one record as the daemon would, without writing
// anything. With the daemon's State it uses its rotation positions, open
// counts, declines and SLA history. Without it, a fresh State: for a deal
// the open orders per provider are counted from the CRM's deals, but a
// round robin shows its first choice among the eligible. It returns the
// owners too, to name them.
func Explain(ctx context.Context, c ExplainCRM, o ExplainOptions) (pipelines.Decision, []hubspot.Owner, error) {
	rs, _, err := resolveRules(ctx, c, o.PipelinesDir, o.MappingsDir)
	if err != nil {
		return pipelines.Decision{}, nil, err
	}
	m := rs.mapping
	rec, err := c.Get(ctx, o.ObjectType, o.ID, m.Properties(o.ObjectType))
	if err != nil {
		return pipelines.Decision{}, nil, fmt.Errorf("read %s %s: %w", o.ObjectType, o.ID, err)
	}
	var providers []pipelines.Provider
	var activities []pipelines.Activity
	// Deals are assigned providers; tickets may get a shortlist of them
	// and NGO activity suggestions.
	{
		var companies []hubspot.Object
		err := c.List(ctx, hubspot.Companies, m.Properties(hubspot.Companies), func(page []hubspot.Object) error {
			companies = append(companies, page...)
			return nil
		})
		if err != nil {
			return pipelines.Decision{}, nil, fmt.Errorf("read providers: %w", err)
		}
		providers = pipelines.ParseProviders(m, companies)
		activities = pipelines.ParseActivities(m, companies)
	}
	st := o.State
	if st == nil {
		st = &pipelines.State{}
	}
	if o.State == nil && o.ObjectType == hubspot.Deals {
		// Count every open order, so capacity and load are the CRM's.
		props := []string{m.Field(hubspot.Deals, "stage"), m.Field(hubspot.Deals, "owner"), m.Written.Provider}
		err := c.List(ctx, hubspot.Deals, props, func(page []hubspot.Object) error {
			for _, d := range page {
				if d.ID != o.ID {
					rs.engine.Observe(pipelines.Input{ObjectType: hubspot.Deals, Record: d}, st)
				}
			}
			return nil
		})
		if err != nil {
			return pipelines.Decision{}, nil, fmt.Errorf("count open orders: %w", err)
		}
	}
	in := pipelines.Input{ObjectType: o.ObjectType, Record: *rec, Providers: providers, Activities: activities, Owners: rs.owners}
	rs.engine.Observe(in, st)
	d, err := rs.engine.DecideApply(in, st, o.Now)
	if err != nil {
		return pipelines.Decision{}, nil, err
	}
	return d, rs.owners, nil
}
