package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixture is a golden case: steps that load rows, move the clock, lock
// months and export reports whose CSV must equal a golden file.
type fixture struct {
	Steps []step `yaml:"steps"`
}

type step struct {
	Now       string                `yaml:"now"`
	Stages    map[string][]fxStage  `yaml:"stages"`
	Records   map[string][]fxRecord `yaml:"records"`
	Owners    []fxOwner             `yaml:"owners"`
	SLA       []fxCycle             `yaml:"sla_cycles"`
	Decisions []fxDecision          `yaml:"decisions"`
	Lock      string                `yaml:"lock"`
	Export    []fxExport            `yaml:"export"`
}

type fxStage struct {
	Pipeline      string `yaml:"pipeline"`
	PipelineLabel string `yaml:"pipeline_label"`
	ID            string `yaml:"id"`
	Label         string `yaml:"label"`
	Probability   string `yaml:"probability"`
	Closed        bool   `yaml:"closed"`
}

type fxRecord struct {
	ID      string            `yaml:"id"`
	Created string            `yaml:"created"`
	Updated string            `yaml:"updated"`
	Props   map[string]string `yaml:"props"`
}

type fxOwner struct {
	ID    string `yaml:"id"`
	First string `yaml:"first"`
	Last  string `yaml:"last"`
}

type fxCycle struct {
	Type     string `yaml:"type"`
	ID       string `yaml:"id"`
	Goal     string `yaml:"goal"`
	Cycle    int    `yaml:"cycle"`
	Started  string `yaml:"started"`
	Stopped  string `yaml:"stopped"`
	Due      string `yaml:"due"`
	Paused   int64  `yaml:"paused"`
	Business int64  `yaml:"business"`
	Status   string `yaml:"status"`
}

type fxDecision struct {
	Type     string `yaml:"type"`
	ID       string `yaml:"id"`
	Provider string `yaml:"provider"`
	At       string `yaml:"at"`
}

type fxExport struct {
	Report string `yaml:"report"`
	Period string `yaml:"period"`
	Golden string `yaml:"golden"`
}

// testClock is a settable clock.
type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time { return c.t }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func timePtr(t *testing.T, s string) *time.Time {
	if s == "" {
		return nil
	}
	v := mustTime(t, s)
	return &v
}

func helsinki(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func openStore(t *testing.T, c *testClock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "alusta.db"), store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// load applies a step's rows to the store.
func (st step) load(t *testing.T, ctx context.Context, s *store.Store) {
	t.Helper()
	for typ, stages := range st.Stages {
		byPipeline := map[string]*hubspot.Pipeline{}
		var order []string
		for i, fs := range stages {
			p := byPipeline[fs.Pipeline]
			if p == nil {
				p = &hubspot.Pipeline{ID: fs.Pipeline, Label: fs.PipelineLabel}
				byPipeline[fs.Pipeline] = p
				order = append(order, fs.Pipeline)
			}
			md := map[string]string{}
			if fs.Probability != "" {
				md["probability"] = fs.Probability
			}
			if fs.Closed {
				md["isClosed"] = "true"
			}
			p.Stages = append(p.Stages, hubspot.Stage{ID: fs.ID, Label: fs.Label, DisplayOrder: i, Metadata: md})
		}
		var ps []hubspot.Pipeline
		for _, id := range order {
			ps = append(ps, *byPipeline[id])
		}
		if err := s.UpsertPipelines(ctx, typ, ps); err != nil {
			t.Fatal(err)
		}
	}
	mapping, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		t.Fatal(err)
	}
	for typ, recs := range st.Records {
		var rs []store.Record
		for _, r := range recs {
			created := mustTime(t, r.Created)
			updated := mustTime(t, r.Updated)
			if created.IsZero() {
				created = updated
			}
			if updated.IsZero() {
				updated = created
			}
			// Fixtures hold records as HubSpot sends them; the daemon
			// translates them through the mapping before storing.
			props := make(map[string]*string, len(r.Props))
			for k, v := range r.Props {
				props[k] = &v
			}
			rs = append(rs, store.Record{ID: r.ID, Properties: mapping.Translate(typ, props), CreatedAt: created, UpdatedAt: updated})
		}
		if err := s.UpsertRecords(ctx, typ, rs); err != nil {
			t.Fatal(err)
		}
	}
	var owners []store.Owner
	for _, o := range st.Owners {
		owners = append(owners, store.Owner{ID: o.ID, FirstName: o.First, LastName: o.Last})
	}
	if err := s.UpsertOwners(ctx, owners); err != nil {
		t.Fatal(err)
	}
	// Saved as the daemon saves them, a page at a time; an SLA cycle's
	// decision names no provider, so the reports pass it by.
	for _, c := range st.SLA {
		if err := s.SavePage(ctx, store.Page{ObjectType: c.Type, Decided: []store.DecidedRecord{{
			Decision: store.Decision{ObjectType: c.Type, RecordID: c.ID, Fingerprint: "sla", At: mustTime(t, c.Started)},
			SLA: []store.SLACycle{{
				Goal: c.Goal, Cycle: c.Cycle, StartedAt: mustTime(t, c.Started), StoppedAt: timePtr(t, c.Stopped),
				DueAt: timePtr(t, c.Due), PausedSeconds: c.Paused, BusinessElapsedSeconds: c.Business, Status: c.Status, Calendar: "fi",
			}},
		}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range st.Decisions {
		if err := s.SavePage(ctx, store.Page{ObjectType: d.Type, Decided: []store.DecidedRecord{{
			Decision: store.Decision{ObjectType: d.Type, RecordID: d.ID, ProviderID: d.Provider,
				At: mustTime(t, d.At), Fingerprint: d.Provider}}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGolden runs every case in testdata/report: the CSV of each export
// must equal its golden file byte for byte (go test -update rewrites them).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "report", "*", "fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases found")
	}
	loc := helsinki(t)
	for _, file := range dirs {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ctx := context.Background()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var fx fixture
			dec := yaml.NewDecoder(bytes.NewReader(b))
			dec.KnownFields(true)
			if err := dec.Decode(&fx); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			c := &testClock{}
			s := openStore(t, c)
			env := Env{Store: s, Loc: loc, Now: c.Now, Mapping: testMapping(t)}
			for i, st := range fx.Steps {
				if st.Now != "" {
					c.t = mustTime(t, st.Now)
				}
				st.load(t, ctx, s)
				if st.Lock != "" {
					if _, err := Lock(ctx, env, st.Lock); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				}
				for _, ex := range st.Export {
					p, err := ParsePeriod(ex.Period, loc)
					if err != nil {
						t.Fatal(err)
					}
					tbl, err := Build(ctx, env, ex.Report, p)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					var got bytes.Buffer
					if err := WriteCSV(&got, tbl, CSVOptions{}, nil); err != nil {
						t.Fatal(err)
					}
					golden := filepath.Join(dir, ex.Golden)
					if *update && i == firstUse(fx, ex.Golden) {
						if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), want) {
						t.Errorf("step %d: %s %s: got\n%s\nwant (%s)\n%s", i, ex.Report, ex.Period, got.Bytes(), golden, want)
					}
				}
			}
		})
	}
}

// firstUse is the step that first exports golden; later steps must match
// what it wrote, which is how a locked month proves it did not change.
func firstUse(fx fixture, golden string) int {
	for i, st := range fx.Steps {
		for _, ex := range st.Export {
			if ex.Golden == golden {
				return i
			}
		}
	}
	return -1
}

func yamlDecode(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}
