package console

import (
	"net/http"
	"time"

	"github.com/alusta/alusta/store"
)

type cycleRow struct {
	store.SyncCycle
	Failed bool
}

type rejectedRow struct {
	Type, ID, Property, Reason string
	Seen                       int
	LastSeen                   time.Time
}

type failedWrite struct {
	Type, ID, Property, Rule, Reason string
	At                               time.Time
}

type healthBody struct {
	LastOK        time.Time
	Lag           time.Duration
	HasLag        bool
	QuotaLeft     int64
	DailyLimit    int
	QuotaReported bool
	QuotaSpent    bool
	QuotaReset    time.Time
	RateLimited   float64
	HasGatherer   bool
	Cycles        []cycleRow
	Rejected      []rejectedRow
	Failed        []failedWrite
	Runs          []store.Run
	LastLoad      store.RuleLoad
	HasLoad       bool
	InForce       store.RuleLoad
	HasInForce    bool
}

const (
	cyclesShown   = 20
	rejectedShown = 50
	failedShown   = 50
	runsShown     = 20
)

// health shows whether alusta keeps up with HubSpot: cycles, lag, quota,
// what it rejected or failed to write, report runs and the rules in force.
func (c *Console) health(w http.ResponseWriter, r *http.Request) {
	b, err := c.healthBody(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.logView(r, "sync")
	c.render(w, r, "health", "sync.title", b)
}

func (c *Console) healthBody(r *http.Request) (*healthBody, error) {
	ctx := r.Context()
	st := c.opts.Store
	now := c.opts.Now()
	b := &healthBody{DailyLimit: c.opts.DailyLimit}
	cycles, err := st.SyncCycles(ctx, cyclesShown)
	if err != nil {
		return nil, err
	}
	for _, cy := range cycles {
		b.Cycles = append(b.Cycles, cycleRow{SyncCycle: cy, Failed: cy.Error != ""})
	}
	last, ok, err := st.LastFullCycle(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		// The lag is measured as the daemon's alusta_sync_lag_seconds is:
		// from the start of the last successful full cycle.
		b.LastOK, b.Lag, b.HasLag = last.StartedAt, now.Sub(last.StartedAt), true
	}
	// HubSpot's daily quota resets at midnight in the portal's time zone.
	day := now.In(c.opts.Loc)
	midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.opts.Loc)
	calls, err := st.CallsSince(ctx, midnight)
	if err != nil {
		return nil, err
	}
	b.QuotaReset = midnight.AddDate(0, 0, 1)
	b.QuotaLeft = max(int64(c.opts.DailyLimit)-calls, 0)
	if c.opts.Quota != nil {
		q := c.opts.Quota.Quota()
		b.QuotaReset, b.QuotaSpent = q.ResetAt, q.Spent
		if q.Limit > 0 {
			b.DailyLimit = q.Limit
		}
		if q.Remaining >= 0 {
			b.QuotaLeft, b.QuotaReported = int64(q.Remaining), true
		} else {
			// The client counts every call since it started; the store
			// remembers the cycles' calls across restarts.
			b.QuotaLeft = max(int64(b.DailyLimit)-max(int64(q.Used), calls), 0)
		}
	}
	if c.opts.Gatherer != nil {
		b.HasGatherer = true
		b.RateLimited, err = sumCounter(c.opts.Gatherer, "alusta_hubspot_rate_limited_total")
		if err != nil {
			return nil, err
		}
	}
	rej, err := st.RejectedRecords(ctx, rejectedShown)
	if err != nil {
		return nil, err
	}
	for _, x := range rej {
		b.Rejected = append(b.Rejected, rejectedRow{Type: x.ObjectType, ID: x.RecordID, Property: x.Property,
			Reason: mask(x.Reason), Seen: x.Seen, LastSeen: x.LastSeen})
	}
	failed, err := st.FailedWrites(ctx, failedShown)
	if err != nil {
		return nil, err
	}
	for _, x := range failed {
		b.Failed = append(b.Failed, failedWrite{Type: x.ObjectType, ID: x.RecordID, Property: x.Property, Rule: x.Rule,
			Reason: mask(x.Reason), At: x.At})
	}
	if b.Runs, err = st.Runs(ctx, runsShown); err != nil {
		return nil, err
	}
	for i := range b.Runs {
		b.Runs[i].Error = mask(b.Runs[i].Error)
	}
	b.LastLoad, b.HasLoad, b.InForce, b.HasInForce, err = st.RuleLoads(ctx)
	if err != nil {
		return nil, err
	}
	b.LastLoad.Error = mask(b.LastLoad.Error)
	return b, nil
}
