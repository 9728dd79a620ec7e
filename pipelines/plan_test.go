package pipelines_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store/mask"
)

// localeRules loads testdata/locale as the live rules and a copy with
// each old text replaced by its new one (pairs) as the next rules.
func localeRules(t *testing.T, pairs ...string) (m *mappings.Mapping, live, next *pipelines.Rules, srcs, changed map[string][]byte) {
	t.Helper()
	m = pipelines.ShippedMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	srcs, err := pipelines.Sources("testdata/locale")
	if err != nil {
		t.Fatal(err)
	}
	if live, err = pipelines.Parse(srcs, m); err != nil {
		t.Fatal(err)
	}
	changed = map[string][]byte{}
	for name, src := range srcs {
		for i := 0; i+1 < len(pairs); i += 2 {
			src = bytes.Replace(src, []byte(pairs[i]), []byte(pairs[i+1]), 1)
		}
		changed[name] = src
	}
	if next, err = pipelines.Parse(changed, m); err != nil {
		t.Fatal(err)
	}
	return m, live, next, srcs, changed
}

func TestComparePlan(t *testing.T) {
	m, live, next, srcs, changed := localeRules(t, "queue: tilaukset", "queue: palvelut")
	if pipelines.Fingerprint(srcs) == pipelines.Fingerprint(changed) {
		t.Fatal("fingerprint: the same for different rules")
	}
	str := func(s string) *string { return &s }
	providers := pipelines.ParseProviders(m, []hubspot.Object{{ID: "101", Properties: map[string]*string{"name": str("Siivous Aalto Oy"),
		"alusta_provider_active": str("true"), "alusta_provider_services": str("siivous"), "alusta_provider_areas": str("Tampere")}}})
	owners := []hubspot.Owner{{ID: "501", Email: "pekka.laine@kotitori.example.fi"}}
	deal := func(id, stage, queue string) pipelines.Input {
		return pipelines.Input{ObjectType: hubspot.Deals, Providers: providers, Owners: owners, Record: hubspot.Object{ID: id,
			CreatedAt: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC), Properties: map[string]*string{
				"dealstage": str(stage), "alusta_service": str("siivous"), "alusta_municipality": str("Tampere"),
				"alusta_queue": str(queue)}}}
	}
	inputs := []pipelines.Input{deal("1", "Vastaanotettu", ""), deal("2", "Välitetty tuottajalle", "tilaukset")}
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	st := &pipelines.State{}

	same, err := pipelines.ComparePlan(pipelines.NewEngine(live, m), pipelines.NewEngine(live, m), inputs, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if same.Records != 2 || len(same.Changes) != 0 {
		t.Errorf("the same rules: got %d records, changes %+v, want 2 and none", same.Records, same.Changes)
	}
	p, err := pipelines.ComparePlan(pipelines.NewEngine(live, m), pipelines.NewEngine(next, m), inputs, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Records != 2 || len(p.Changes) != 2 || p.Counts["queue"] != 2 || len(p.Counts) != 1 {
		t.Fatalf("got %d records, counts %v, changes %+v, want 2 queue changes only", p.Records, p.Counts, p.Changes)
	}
	want := pipelines.Diff{Kind: "queue", Property: "alusta_queue", Before: "tilaukset", After: "palvelut"}
	if c := p.Changes[1]; c.RecordID != "2" || len(c.Diffs) != 1 || c.Diffs[0] != want {
		t.Errorf("deal 2: got %+v, want %+v", c, want)
	}
	if len(st.Records) != 0 {
		t.Errorf("state: got %d records, want the caller's state untouched", len(st.Records))
	}
}

// TestFingerprintSurvivesMasking: the store masks text that looks like an
// identity code, and an approval keeps its fingerprint there; one masked
// would never match the rules it approved again.
func TestFingerprintSurvivesMasking(t *testing.T) {
	for i := range 5000 {
		fp := pipelines.Fingerprint(map[string][]byte{"tickets.yaml": []byte(strconv.Itoa(i))})
		if got := mask.Hetu(fp); got != fp {
			t.Fatalf("fingerprint %s is masked as %s", fp, got)
		}
	}
}
