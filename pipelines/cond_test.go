package pipelines

import (
	"math/rand/v2"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestFastConds runs conditions of every shape both as Go functions and
// on expr's VM over many records: the answers must be the same, and the
// shapes admins write must get functions.
func TestFastConds(t *testing.T) {
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		object, src string
		fast        bool
	}{
		{hubspot.Tickets, `stage != "new"`, true},
		{hubspot.Tickets, `stage == "waiting"`, true},
		{hubspot.Tickets, `"closed" == stage`, true},
		{hubspot.Tickets, `kind in ["", "neuvonta"] && stage != "closed"`, true},
		{hubspot.Tickets, `kind in ["palaute", "reklamaatio"]`, true},
		{hubspot.Tickets, `kind not in ["palaute", "reklamaatio"]`, true},
		{hubspot.Tickets, `kind == "reklamaatio" && priority != "URGENT"`, true},
		{hubspot.Tickets, `priority == "URGENT" || language == "sv" and not (kind == "palaute")`, true},
		{hubspot.Tickets, `!(needs != "")`, true},
		{hubspot.Tickets, `needs contains "tuki"`, true},
		{hubspot.Tickets, `municipality startsWith "Tam" or municipality endsWith "järvi"`, true},
		{hubspot.Tickets, `kind == language`, true},
		{hubspot.Tickets, `feedback_score >= 4`, true},
		{hubspot.Tickets, `feedback_score < 2.5 && feedback_score != 0`, true},
		{hubspot.Tickets, `true`, true},
		{hubspot.Tickets, `1 < 2`, true},
		{hubspot.Tickets, `stage in ["new", "waiting"]`, true},
		{hubspot.Tickets, `stage in ["new", 1]`, false},
		{hubspot.Tickets, `props["subject"] != ""`, false},
		{hubspot.Tickets, `len(kind) > 3`, false},
		{hubspot.Tickets, `kind matches "^pal"`, false},
		{hubspot.Tickets, `upper(kind) == "PALAUTE"`, false},
		{hubspot.Tickets, `priority == "URGENT" ? true : stage == "new"`, false},
		{hubspot.Deals, `service == "turvapalvelu"`, true},
		{hubspot.Deals, `stage != "received" && stage != "declined"`, true},
		{hubspot.Deals, `units > 5 && amount <= 400 || declines >= 2`, true},
		{hubspot.Deals, `declines == 1`, true},
		{hubspot.Deals, `units == 3`, true},
		{hubspot.Deals, `units in 2..4`, false},
		{hubspot.Deals, `units * 2 > 9`, false},
	}
	values := map[string][]string{
		"hs_pipeline_stage":     {"Uusi", "Työn alla", "Odottaa asiakasta", "Suljettu", "", "tuntematon"},
		"dealstage":             {"Vastaanotettu", "Välitetty tuottajalle", "Tuottaja hylännyt", "Toteutunut", ""},
		"alusta_ticket_kind":    {"", "neuvonta", "palaute", "reklamaatio", "sv"},
		"hs_ticket_priority":    {"", "LOW", "URGENT"},
		"alusta_language":       {"fi", "sv", "", "neuvonta"},
		"alusta_needs":          {"", "vertaistuki", "yksinaisyys;arjen_tuki"},
		"alusta_municipality":   {"Tampere", "Ylöjärvi", ""},
		"alusta_service":        {"turvapalvelu", "siivous", ""},
		"alusta_units":          {"", "3", "6", "2,5", "abc", "1e3"},
		"amount":                {"", "400", "400.01", "-3"},
		"alusta_feedback_score": {"", "4", "2", "1,5"},
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		p, err := expr.Compile(tt.src, expr.Env(exprEnv(m, tt.object)), expr.AsBool())
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		c := newCond(p, tt.object)
		if (c.fast != nil) != tt.fast {
			t.Errorf("%s: Go function %t, want %t", tt.src, c.fast != nil, tt.fast)
		}
		if c.fast == nil {
			continue
		}
		e := &Engine{m: m, envs: map[string]*envSpec{tt.object: newEnvSpec(m, tt.object, nil)}}
		for i := range 300 {
			props := map[string]string{}
			for k, vs := range values {
				props[k] = vs[rnd.IntN(len(vs))]
			}
			rec := obj("1", monday, props)
			declines := i % 3
			v := newView(e.envSpec(tt.object), &rec, declines, false)
			var machine vm.VM
			want, err := run(&machine, p, v.exprEnv())
			if err != nil {
				want = false
			}
			if got := c.fast(v); got != want {
				t.Errorf("%s on %v, declines %d: Go %t, VM %v", tt.src, props, declines, got, want)
			}
			v.release()
		}
	}
}

// TestFastCondsDecide decides a first sync's records with the conditions'
// Go functions and with every condition on expr's VM: the decisions and
// the states must be the same.
func TestFastCondsDecide(t *testing.T) {
	e, _ := demoEngine(t)
	vm := NewEngine(e.r, e.m)
	vm.vmOnly = true
	sameDecisions(t, e, vm)
}
