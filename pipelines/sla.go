package pipelines

import (
	"slices"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// sla advances every policy's clock for the record. The decision carries
// the cycles that run, and those this decision made or stopped.
func (x *decider) sla(policies []*policy) {
	n := len(x.rs.SLA)
	// The clocks run in the scratch's room, and the record keeps exactly
	// the cycles there are, in the copy Decide made when their number
	// stays: room for a cycle a policy, half of it unused on a first look
	// and all of it a copy more on the next, was a third of what deciding
	// allocated.
	own := x.rs.SLA
	x.rs.SLA = append(x.sc.sla[:0], own...)
	// The stage history is looked up once for all policies: the lookup
	// in each record's own map was a sixth of replaying.
	stageProp := x.spec.stageProp
	hist := x.in.History[stageProp]
	rec := x.in.Record
	var since [1]hubspot.ValueTime
	if len(hist) == 0 && !rec.CreatedAt.IsZero() && !rec.UpdatedAt.After(rec.CreatedAt) {
		// Never modified: the record has been as it is since creation.
		since[0] = hubspot.ValueTime{Value: x.prop(stageProp), Timestamp: rec.CreatedAt}
		hist = since[:]
	}
	for _, p := range policies {
		x.firstLook = x.replay(p, hist)
		x.policy(p)
	}
	x.firstLook = false
	work := x.rs.SLA
	switch {
	case len(work) == 0:
		x.rs.SLA = nil
	case len(work) == len(own):
		x.rs.SLA = own[:copy(own, work)]
	default:
		x.rs.SLA = slices.Clone(work)
	}
	clear(work) // the scratch keeps no record's cycles
	x.sc.sla = work[:0]
	shown := func(i int, c *SLACycle) bool { return i >= n || c.Stopped.IsZero() || c.Stopped.Equal(x.now) }
	all := true
	for i := range x.rs.SLA {
		all = all && shown(i, &x.rs.SLA[i])
	}
	if all && len(x.rs.SLA) > 0 {
		// Most often every cycle is shown: the decision shares the
		// record's, which nobody changes (the next decision copies them),
		// rather than copying them once more. Its capacity ends with it,
		// so an append to either copies.
		x.d.SLA = x.rs.SLA[:len(x.rs.SLA):len(x.rs.SLA)]
		return
	}
	for i := range x.rs.SLA {
		if shown(i, &x.rs.SLA[i]) {
			x.d.SLA = append(x.d.SLA, x.rs.SLA[i])
		}
	}
}

// replay runs a policy over the record's stage history on its first look,
// so that a clock starts, pauses and stops when the stage moved in HubSpot
// rather than when alusta first saw the record: a ticket created last week
// and closed yesterday gets its met or breached cycle, and an open one the
// time it has really run. Other properties are taken as they are now.
//
// Breach actions are for breaches alusta sees happen: a cycle found already
// breached at the first look is recorded and shown as breached, but it is
// not reassigned, raised or noted, so that a first deployment does not
// reassign every old ticket at once, and a first look repeated after a
// crash acts as the first did. hist is the stage history, newest first.
// It reports whether it replayed.
func (x *decider) replay(p *policy, hist []hubspot.ValueTime) bool {
	stageProp := x.spec.stageProp
	if len(hist) == 0 {
		return false
	}
	for i := range x.rs.SLA {
		if x.rs.SLA[i].Policy == p.Name {
			return false
		}
	}
	now, want, d, why := x.now, x.want, x.d, x.why
	// The past's decision and writes are thrown away, unread; the
	// scratch empties them after the decision. (Emptying the decision for
	// each policy was a fiftieth of deciding.)
	x.want, x.d, x.why = x.pastWant, x.past, nil
	x.replaying = true
	// The past stages are set in the environment in place and the
	// present one is set back after: copying the environment for every
	// past stage was a tenth of deciding. The fields are worked out from
	// the properties alone, so setting the property back restores them.
	present, had := x.v.value(stageProp)
	cur := present
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		if !h.Timestamp.Before(now) {
			continue
		}
		x.now = h.Timestamp
		if h.Value != cur {
			x.v.setPast(stageProp, h.Value)
			cur = h.Value
		}
		x.policy(p)
	}
	if cur != present {
		x.v.setPast(stageProp, present)
		if x.v.full && !had {
			delete(x.v.props, stageProp)
		}
	}
	x.now, x.want, x.d, x.why = now, want, d, why
	x.replaying = false
	return true
}

func (x *decider) policy(p *policy) {
	start := x.eval(p.start, true, "sla ", p.Name, " start")
	var c *SLACycle
	first := true
	for i := range x.rs.SLA {
		if x.rs.SLA[i].Policy == p.Name {
			c = &x.rs.SLA[i]
			first = false
		}
	}
	if x.replaying && !start && (c == nil || !c.Stopped.IsZero()) {
		// Nothing starts, and the problems of the other conditions
		// would go with the past's decision, which is thrown away: a
		// past stage that starts no clock need not run them.
		return
	}
	pause := x.eval(p.pause, false, "sla ", p.Name, " pause")
	stop := x.eval(p.stop, false, "sla ", p.Name, " stop")
	var g *goal
	for _, gl := range p.goals {
		if x.eval(gl.when, true, "sla ", p.Name, " goal ", gl.Name) {
			g = gl
			break
		}
	}
	if c == nil || !c.Stopped.IsZero() {
		if !start || stop || g == nil {
			return
		}
		// A clock without a start condition runs from the record's
		// creation, so a record first seen late gets no extra time; a
		// conditional clock, and a reopened record's next cycle, start
		// when alusta sees the condition hold.
		at := x.now
		if first && p.start == nil && !x.in.Record.CreatedAt.IsZero() && x.in.Record.CreatedAt.Before(x.now) {
			at = x.in.Record.CreatedAt
		}
		n := 1
		for i := range x.rs.SLA {
			if x.rs.SLA[i].Policy == p.Name {
				n++
			}
		}
		x.rs.SLA = append(x.rs.SLA, SLACycle{Policy: p.Name, Cycle: n, Start: at, LastSeen: at, Status: "running"})
		c = &x.rs.SLA[len(x.rs.SLA)-1]
	}
	if g == nil {
		g = p.goals[len(p.goals)-1]
	}
	cal := g.cal
	target := time.Duration(g.Target)
	c.Goal, c.Calendar, c.Target = g.Name, cal.Name, target
	prevSeen, prevElapsed, wasPaused := c.LastSeen, c.Elapsed, c.Paused
	if x.now.After(c.LastSeen) {
		// The time since the last look counts as what the clock was
		// then: running or on hold.
		if wasPaused {
			c.PausedFor += cal.Between(c.LastSeen, x.now)
		} else {
			c.Elapsed += cal.Between(c.LastSeen, x.now)
		}
	}
	if x.now.After(c.LastSeen) {
		c.LastSeen = x.now
	}
	switch {
	case !wasPaused && target-prevElapsed > 0:
		c.Due = cal.Add(prevSeen, target-prevElapsed)
	case target-c.Elapsed > 0:
		c.Due = cal.Add(x.now, target-c.Elapsed)
	case c.Due.IsZero():
		c.Due = x.now
	}
	breached := c.Elapsed >= target
	switch {
	case stop:
		c.Stopped, c.Paused = x.now, false
		if breached {
			c.Status = "breached"
		} else {
			c.Status = "met"
		}
	case breached:
		c.Status, c.Paused = "breached", pause
	case pause:
		c.Status, c.Paused = "paused", true
	case float64(c.Elapsed) >= p.Warning*float64(target):
		c.Status, c.Paused = "warning", false
	default:
		c.Status, c.Paused = "running", false
	}
	if c.Status == "breached" && !c.Acted && c.Stopped.IsZero() && !x.replaying {
		c.Acted = true
		if !x.firstLook {
			x.breach(p)
		}
	}
	// The past's wake time is thrown away with its decision.
	if c.Stopped.IsZero() && !c.Paused && !x.replaying {
		wake := c.Due
		if warn := time.Duration(p.Warning*float64(target)) - c.Elapsed; warn > 0 {
			wake = cal.Add(x.now, warn)
		}
		if wake.After(x.now) && (x.d.NextWake.IsZero() || wake.Before(x.d.NextWake)) {
			x.d.NextWake = wake
		}
	}
}

// breach runs a policy's breach actions, once per cycle.
func (x *decider) breach(p *policy) {
	b := p.OnBreach
	for _, k := range sortedKeys(b.Set) {
		x.want.Set(k, b.Set[k])
	}
	if b.RaisePriority {
		pp := x.field("priority")
		cur := x.prop(pp)
		if v, ok := x.want.Lookup(pp); ok {
			cur = v
		}
		if next, ok := nextPriority[cur]; ok {
			x.want.Set(pp, next)
		}
	}
	if b.Reassign != "" {
		x.assignOwner(b.Reassign, "", true)
	}
	if b.Note != "" {
		x.d.Notes = append(x.d.Notes, b.Note)
	}
	x.say("decision.sla_breached", "Policy", p.Name)
}
