package pipelines

import "time"

// sla advances every policy's clock for the record.
func (x *decider) sla(policies []*policy) {
	for _, p := range policies {
		x.policy(p)
	}
	for _, c := range x.rs.SLA {
		if c.Stopped.IsZero() || c.Stopped.Equal(x.now) {
			x.d.SLA = append(x.d.SLA, c)
		}
	}
}

func (x *decider) policy(p *policy) {
	what := "sla " + p.Name
	start := x.eval(p.start, true, what+" start")
	pause := x.eval(p.pause, false, what+" pause")
	stop := x.eval(p.stop, false, what+" stop")
	var g *goal
	for _, gl := range p.goals {
		if x.eval(gl.when, true, what+" goal "+gl.Name) {
			g = gl
			break
		}
	}
	var c *SLACycle
	first := true
	for i := range x.rs.SLA {
		if x.rs.SLA[i].Policy == p.Name {
			c = &x.rs.SLA[i]
			first = false
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
		x.rs.SLA = append(x.rs.SLA, SLACycle{Policy: p.Name, Start: at, LastSeen: at, Status: "running"})
		c = &x.rs.SLA[len(x.rs.SLA)-1]
	}
	if g == nil {
		g = p.goals[len(p.goals)-1]
	}
	cal := g.cal
	target := time.Duration(g.Target)
	c.Goal, c.Calendar, c.Target = g.Name, cal.Name, target
	prevSeen, prevElapsed, wasPaused := c.LastSeen, c.Elapsed, c.Paused
	if !wasPaused && x.now.After(c.LastSeen) {
		c.Elapsed += cal.Between(c.LastSeen, x.now)
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
	if c.Status == "breached" && !c.Acted && c.Stopped.IsZero() {
		c.Acted = true
		x.breach(p)
	}
	if c.Stopped.IsZero() && !c.Paused {
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
		x.want[k] = b.Set[k]
	}
	if b.RaisePriority {
		pp := x.field("priority")
		cur := x.prop(pp)
		if v, ok := x.want[pp]; ok {
			cur = v
		}
		if next, ok := nextPriority[cur]; ok {
			x.want[pp] = next
		}
	}
	if b.Reassign != "" {
		x.assignOwner(b.Reassign, "", true)
	}
	if b.Note != "" {
		x.d.Notes = append(x.d.Notes, b.Note)
	}
	x.why = append(x.why, x.p.T("decision.sla_breached", "Policy", p.Name))
}
