package daemon

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/locale"
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

// Explanation is one record's decision with what it takes to show it.
type Explanation struct {
	Decision pipelines.Decision
	// Owners name the owners a decision refers to by id.
	Owners []hubspot.Owner
	// Printer writes in the portal's language (the mapping's locale).
	Printer *locale.Printer
	// Warnings are about the rules against the portal: team members who
	// are no owner in it.
	Warnings []string
	// Earlier are the record's SLA cycles that stopped at an earlier
	// look: a decision carries only the clocks it runs, starts or stops,
	// so a closed ticket's would otherwise not show at all.
	Earlier []pipelines.SLACycle
}

// Explain decides one record as the daemon would, without writing
// anything. With the daemon's State it uses its rotation positions, open
// counts, declines and SLA history. Without it, a fresh State: for a deal
// the open orders per provider are counted from the CRM's deals, but a
// round robin shows its first choice among the eligible. An order already
// assigned lists who else could take it, and the decision's writes are
// only what the daemon would really send.
func Explain(ctx context.Context, c ExplainCRM, o ExplainOptions) (Explanation, error) {
	rs, _, err := resolveRules(ctx, c, o.PipelinesDir, o.MappingsDir)
	if err != nil {
		return Explanation{}, err
	}
	m := rs.mapping
	rec, err := c.Get(ctx, o.ObjectType, o.ID, m.Properties(o.ObjectType))
	if err != nil {
		return Explanation{}, fmt.Errorf("read %s %s: %w", o.ObjectType, o.ID, err)
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
			return Explanation{}, fmt.Errorf("read providers: %w", err)
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
		props := []string{m.Field(hubspot.Deals, "stage"), m.Field(hubspot.Deals, "owner"), m.Outputs.Provider}
		err := c.List(ctx, hubspot.Deals, props, func(page []hubspot.Object) error {
			for _, d := range page {
				if d.ID != o.ID {
					rs.engine.Observe(pipelines.Input{ObjectType: hubspot.Deals, Record: d}, st)
				}
			}
			return nil
		})
		if err != nil {
			return Explanation{}, fmt.Errorf("count open orders: %w", err)
		}
	}
	in := pipelines.Input{ObjectType: o.ObjectType, Record: *rec, Providers: providers, Activities: activities, Owners: rs.owners,
		Explain: true}
	rs.engine.Observe(in, st)
	d, err := rs.engine.DecideApply(in, st, o.Now)
	if err != nil {
		return Explanation{}, err
	}
	if o.ObjectType == hubspot.Deals && len(d.Candidates) == 0 {
		// Already assigned: who else could take it, for reference.
		d.Candidates = rs.engine.Candidates(in, st)
	}
	d.Writes = WouldWrite(*rec, d, m.Outputs.Decision)
	var earlier []pipelines.SLACycle
	if r := st.Records[o.ObjectType+"/"+o.ID]; r != nil {
		for _, c := range r.SLA {
			if !slices.ContainsFunc(d.SLA, func(s pipelines.SLACycle) bool {
				return s.Policy == c.Policy && s.Cycle == c.Cycle && s.Start.Equal(c.Start)
			}) {
				earlier = append(earlier, c)
			}
		}
	}
	return Explanation{Decision: d, Owners: rs.owners, Printer: m.Printer(),
		Warnings: rs.rules.MembersWithoutOwner(rs.owners), Earlier: earlier}, nil
}
