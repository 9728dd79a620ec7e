package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/alusta/alusta/store"
)

// noteCycle remembers a finished cycle in the store for the operations
// console: every full cycle, and the targeted ones that did something or
// failed (an SLA wake that changed nothing is not worth a row). A failure
// to remember is logged, never allowed to stop syncing.
func (d *Daemon) noteCycle(ctx context.Context, full bool, sum Summary, err error) {
	if !full && err == nil && sum.Pulled == 0 && sum.Decisions == 0 && sum.Writes == 0 && sum.Calls == 0 {
		return
	}
	c := store.SyncCycle{
		Full: full, StartedAt: d.now().Add(-sum.Duration), Duration: sum.Duration,
		Pulled: sum.Pulled, Decisions: sum.Decisions, Writes: sum.Writes, Rejected: sum.Rejected,
		Calls: sum.Calls, Errors: sum.Errors,
	}
	if err != nil {
		c.Error = err.Error()
	}
	if rerr := d.store.RecordCycle(context.WithoutCancel(ctx), c); rerr != nil {
		d.log.Warn("sync cycle not remembered for the console", "err", rerr)
	}
}

// noteRules remembers a load of the rules, and the files it read when it
// succeeded, so the console can say which rules are in force.
func (d *Daemon) noteRules(ctx context.Context, err error) {
	l := store.RuleLoad{At: d.now(), OK: err == nil}
	if err != nil {
		l.Error = err.Error()
	} else {
		l.Files = ruleFiles(d.mapDir, d.pipeDir)
	}
	if rerr := d.store.RecordRuleLoad(context.WithoutCancel(ctx), l); rerr != nil {
		d.log.Warn("rule load not remembered for the console", "err", rerr)
	}
}

// ruleFiles lists the YAML files of the folders with their checksums; a
// file that cannot be read is left out, as the load that just succeeded
// read what it needed.
func ruleFiles(dirs ...string) []store.RuleFile {
	var out []store.RuleFile
	for _, dir := range dirs {
		var names []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			names = append(names, m...)
		}
		sort.Strings(names)
		for _, name := range names {
			if strings.HasSuffix(name, "_test.yaml") {
				continue // test cases beside the rules, not rules
			}
			b, err := os.ReadFile(name)
			if err != nil {
				continue
			}
			fi, err := os.Stat(name)
			if err != nil {
				continue
			}
			sum := sha256.Sum256(b)
			out = append(out, store.RuleFile{Path: name, SHA256: hex.EncodeToString(sum[:]), ModTime: fi.ModTime().UTC()})
		}
	}
	return out
}
