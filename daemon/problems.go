package daemon

import (
	"sync"
	"time"

	"github.com/alusta/alusta/pipelines"
)

// problemLogEvery is how often one rule's failures are logged: a rule that
// fails on every record of a 3,000-record sync would otherwise drown the
// log, while the counter and each decision's explanation keep every one.
const problemLogEvery = time.Minute

// problemLog remembers, per rule, when its failures were last logged and
// how many went unlogged since.
type problemLog struct {
	mu     sync.Mutex
	last   map[string]time.Time
	hidden map[string]int
}

// ruleProblems counts a decision's rule failures and logs them, each rule
// at most once per problemLogEvery. The messages carry no record values
// (pipelines.Problem), so they are safe to log.
func (d *Daemon) ruleProblems(typ, id string, ps []pipelines.Problem) {
	if len(ps) == 0 {
		return
	}
	now := d.now()
	l := &d.problems
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last, l.hidden = map[string]time.Time{}, map[string]int{}
	}
	for _, p := range ps {
		d.metrics.ruleErrors.WithLabelValues(p.Rule).Inc()
		if at, ok := l.last[p.Rule]; ok && now.Sub(at) < problemLogEvery {
			l.hidden[p.Rule]++
			continue
		}
		d.log.Warn("rule failed on a record; counted as false", "object", typ, "id", id, "rule", p.Rule, "err", p.Err,
			"not_logged_since_last", l.hidden[p.Rule])
		l.last[p.Rule], l.hidden[p.Rule] = now, 0
	}
}
