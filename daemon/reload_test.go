package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestReloadKeepsLastGoodRules breaks a rule file under a running daemon:
// the reload fails with the file and line, and the daemon keeps deciding
// with the rules it had. A good edit then takes effect.
func TestReloadKeepsLastGoodRules(t *testing.T) {
	dir := t.TempDir()
	files, err := filepath.Glob("../testdata/rules/pipelines/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("rule files: %v %v", files, err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.yaml") {
			continue // the gate's own test is TestReloadGate
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := newInProcessWith(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), dir)
	p.d.maxChanges = -1 // the size gate has TestReloadGate
	ctx := context.Background()
	tickets := filepath.Join(dir, "tickets.yaml")
	good, err := os.ReadFile(tickets)
	if err != nil {
		t.Fatal(err)
	}

	broken := strings.Replace(string(good), "queue: neuvonta", "queue: neuvonta\n    assign: {pool: nurses}", 1)
	if broken == string(good) {
		t.Fatal("the demo rules changed: no fallback queue line to break")
	}
	if err := os.WriteFile(tickets, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	err = p.d.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "tickets.yaml:") || !strings.Contains(err.Error(), `unknown pool "nurses"`) {
		t.Fatalf("reload of a broken file: got %v, want an error naming tickets.yaml's line and the unknown pool", err)
	}
	p.cycle(t)
	if q := queueOf(t, p, p.crm.Objects(hubspot.Tickets)[5]); q == "" {
		t.Error("after a failed reload the daemon stopped deciding: a ticket has no queue")
	}

	// A good edit: the fallback queue is renamed, and the next decisions use it.
	renamed := strings.Replace(string(good), "queue: neuvonta\n", "queue: yleisneuvonta\n", 1)
	if err := os.WriteFile(tickets, []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.d.Reload(ctx); err != nil {
		t.Fatalf("reload of a good edit: %v", err)
	}
	id := p.crm.Insert(hubspot.Tickets, map[string]string{
		"hs_pipeline": p.crm.Pipelines(hubspot.Tickets)[0].ID, "hs_pipeline_stage": p.crm.Pipelines(hubspot.Tickets)[0].Stages[0].ID,
		"alusta_service": "siivous", "alusta_language": "fi", "hs_ticket_priority": "LOW",
	}, p.now)
	p.now = p.now.Add(time.Minute)
	p.cycle(t)
	if q := queueOf(t, p, id); q != "yleisneuvonta" {
		t.Errorf("new ticket after the good reload: queue %q, want yleisneuvonta", q)
	}
}

func queueOf(t *testing.T, p *inProcess, id string) string {
	t.Helper()
	o, ok := p.crm.Object(hubspot.Tickets, id)
	if !ok {
		t.Fatalf("ticket %s not in the sandbox", id)
	}
	q, _ := o.Prop("alusta_queue")
	return q
}
