package pipelines

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/alusta/alusta/config/yamlpos"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// TestFile is the schema of a *_test.yaml file beside the rules: records,
// a clock and what the rules should decide. Stages are written as their
// labels; owners are named by email.
type TestFile struct {
	Object string `yaml:"object"`
	// Providers are the companies: providers, and NGO activities marked
	// alusta_org_type: jarjesto.
	Providers []TestRecord `yaml:"providers"`
	Cases     []TestCase   `yaml:"cases"`
}

// TestRecord is a HubSpot record in a test.
type TestRecord struct {
	ID         string            `yaml:"id"`
	Created    time.Time         `yaml:"created"`
	Properties map[string]string `yaml:"properties"`
}

// TestCase is one case.
type TestCase struct {
	Name   string     `yaml:"name"`
	Now    time.Time  `yaml:"now"`
	Record TestRecord `yaml:"record"`
	// OpenOrders and OpenTickets seed the State's counts; Declined lists
	// providers that declined this record before.
	OpenOrders  map[string]int `yaml:"open_orders"`
	OpenTickets map[string]int `yaml:"open_tickets"`
	Declined    []string       `yaml:"declined"`
	// Written is what alusta wrote last time, to test sticky decisions.
	Written map[string]string `yaml:"written"`
	Expect  Expect            `yaml:"expect"`
}

// Expect lists what a case checks; empty fields are not checked, and
// "none" expects no value.
type Expect struct {
	Rule      string   `yaml:"rule"`
	Queue     string   `yaml:"queue"`
	Owner     string   `yaml:"owner"`
	Provider  string   `yaml:"provider"`
	Priority  string   `yaml:"priority"`
	Stage     string   `yaml:"stage"`
	SLADue    string   `yaml:"sla_due"`
	SLAStatus string   `yaml:"sla_status"`
	Sticky    []string `yaml:"sticky"`
	Retry     *bool    `yaml:"retry"`
	// Shortlist lists the provider ids expected on a ticket's shortlist,
	// in order; [] expects none eligible. Suggestions likewise lists NGO
	// activity ids.
	Shortlist   []string `yaml:"shortlist"`
	Suggestions []string `yaml:"suggestions"`
}

// TestResult is the outcome of one case.
type TestResult struct {
	File, Name string
	Failures   []string
}

// RunTests runs every *_test.yaml in dir against rules loaded from dir,
// writes PASS or FAIL per case to w and returns the results. Problems in
// the test files themselves come back as yamlpos.Errors. The mapping is
// cloned and resolved against its own labels, so stages in test records
// are written as labels.
func RunTests(dir string, m *mappings.Mapping, w io.Writer) ([]TestResult, error) {
	m = m.Clone()
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		return nil, err
	}
	r, err := Load(dir, m)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pipelines: run tests: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && isTestFile(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	var errs yamlpos.Errors
	var results []TestResult
	e := NewEngine(r, m)
	owners := testOwners(r)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("pipelines: run tests: %w", err)
		}
		var tf TestFile
		doc, es := yamlpos.DecodeFile(f, data, &tf)
		if len(es) == 0 && r.objects[tf.Object] == nil {
			es = append(es, doc.Errorf("object", "no rules for object %q", tf.Object))
		}
		if len(es) > 0 {
			errs = append(errs, es...)
			continue
		}
		var companies []hubspot.Object
		for _, p := range tf.Providers {
			companies = append(companies, toObject(p))
		}
		providers := ParseProviders(m, companies)
		activities := ParseActivities(m, companies)
		for i, tc := range tf.Cases {
			if tc.Now.IsZero() {
				errs = append(errs, doc.Errorf(fmt.Sprintf("cases[%d]", i), "now: missing"))
				continue
			}
			if es := checkCase(doc, m, tf.Object, owners, i, tc); len(es) > 0 {
				errs = append(errs, es...)
				continue
			}
			res := runCase(e, m, tf.Object, Input{Providers: providers, Activities: activities, Owners: owners}, tc)
			res.File = f
			results = append(results, res)
			if len(res.Failures) == 0 {
				fmt.Fprintf(w, "PASS %s: %s\n", f, tc.Name)
				continue
			}
			fmt.Fprintf(w, "FAIL %s: %s\n", f, tc.Name)
			for _, fl := range res.Failures {
				fmt.Fprintf(w, "    %s\n", fl)
			}
		}
	}
	if err := errs.Err(); err != nil {
		return results, err
	}
	return results, nil
}

// checkCase reports what a case names that cannot exist, so that a typo
// fails loudly instead of passing by accident: a stage label the mapping
// does not have, an owner who is in no team.
func checkCase(doc *yamlpos.Doc, m *mappings.Mapping, object string, owners []hubspot.Owner, i int, tc TestCase) yamlpos.Errors {
	var errs yamlpos.Errors
	at := fmt.Sprintf("cases[%d]", i)
	var labels []string
	if o := m.Objects[object]; o != nil {
		for _, name := range mappings.StageNames(object) {
			if l := o.Stages[name]; l != "" {
				labels = append(labels, l)
			}
		}
	}
	if sp := m.Field(object, "stage"); sp != "" && len(labels) > 0 {
		stage := func(path, v string) {
			if v != "" && v != "none" && !slices.Contains(labels, v) {
				errs = append(errs, doc.Errorf(path, "unknown stage %q (want %s)", v, strings.Join(labels, ", ")))
			}
		}
		stage(at+".record.properties."+sp, tc.Record.Properties[sp])
		stage(at+".written."+sp, tc.Written[sp])
		stage(at+".expect.stage", tc.Expect.Stage)
	}
	if op := m.Field(object, "owner"); op != "" {
		var emails []string
		for _, o := range owners {
			emails = append(emails, o.Email)
		}
		owner := func(path, v string) {
			if v != "" && v != "none" && !slices.Contains(emails, v) {
				errs = append(errs, doc.Errorf(path, "owner %q is in no team (want %s)", v, strings.Join(emails, ", ")))
			}
		}
		owner(at+".record.properties."+op, tc.Record.Properties[op])
		owner(at+".written."+op, tc.Written[op])
		owner(at+".expect.owner", tc.Expect.Owner)
		for _, k := range slices.Sorted(maps.Keys(tc.OpenTickets)) {
			owner(at+".open_tickets."+k, k)
		}
	}
	return errs
}

// testOwners makes an owner per team member, whose id is the email, so
// tests name owners by email.
func testOwners(r *Rules) []hubspot.Owner {
	set := map[string]bool{}
	for _, t := range r.teams {
		for _, mem := range t.members {
			set[mem] = true
		}
	}
	var out []hubspot.Owner
	for _, e := range slices.Sorted(maps.Keys(set)) {
		out = append(out, hubspot.Owner{ID: e, Email: e})
	}
	return out
}

func toObject(tr TestRecord) hubspot.Object {
	o := hubspot.Object{ID: tr.ID, CreatedAt: tr.Created, UpdatedAt: tr.Created, Properties: map[string]*string{}}
	for k, v := range tr.Properties {
		o.Properties[k] = &v
	}
	return o
}

// runCase decides the case's record against the companies and owners of
// dir.
func runCase(e *Engine, m *mappings.Mapping, object string, dir Input, tc TestCase) TestResult {
	res := TestResult{Name: tc.Name}
	st := &State{OpenOrders: maps.Clone(tc.OpenOrders), OpenTickets: maps.Clone(tc.OpenTickets)}
	rec := toObject(tc.Record)
	rs := st.record(object + "/" + rec.ID)
	rs.Declined = slices.Clone(tc.Declined)
	rs.Written = ValuesOf(tc.Written)
	dir.ObjectType, dir.Record = object, rec
	d, err := e.DecideApply(dir, st, tc.Now)
	if err != nil {
		res.Failures = append(res.Failures, err.Error())
		return res
	}
	// A condition that failed counted as false: the expectations may
	// still hold by luck, but the rules are wrong for this record.
	for _, p := range d.Problems {
		res.Failures = append(res.Failures, p.String())
	}
	value := func(p string) string {
		if v, ok := d.Writes.Lookup(p); ok {
			return v
		}
		v, _ := rec.Prop(p)
		return v
	}
	check := func(what, got, want string) {
		if want == "" {
			return
		}
		if want == "none" {
			want = ""
		}
		if got != want {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: got %q, want %q", what, got, want))
		}
	}
	x := tc.Expect
	check("rule", d.Rule, x.Rule)
	check("queue", value(m.Outputs.Queue), x.Queue)
	check("owner", value(m.Field(object, "owner")), x.Owner)
	check("provider", value(m.Outputs.Provider), x.Provider)
	check("priority", value(m.Field(object, "priority")), x.Priority)
	check("stage", value(m.Field(object, "stage")), x.Stage)
	check("sla_status", value(m.Outputs.SLAStatus), x.SLAStatus)
	if x.SLADue != "" {
		got := value(m.Outputs.SLADue)
		want, err := time.Parse(time.RFC3339, x.SLADue)
		gt, gerr := time.Parse(hubspot.TimeFormat, got)
		switch {
		case x.SLADue == "none":
			check("sla_due", got, x.SLADue)
		case err != nil:
			res.Failures = append(res.Failures, fmt.Sprintf("sla_due: bad expected time %q", x.SLADue))
		case gerr != nil || !gt.Equal(want):
			res.Failures = append(res.Failures, fmt.Sprintf("sla_due: got %q, want %s", got, want.UTC().Format(hubspot.TimeFormat)))
		}
	}
	if x.Sticky != nil && !slices.Equal(d.Sticky, x.Sticky) {
		res.Failures = append(res.Failures, fmt.Sprintf("sticky: got [%s], want [%s]", strings.Join(d.Sticky, " "), strings.Join(x.Sticky, " ")))
	}
	if x.Shortlist != nil && !slices.Equal(d.Shortlist, x.Shortlist) {
		res.Failures = append(res.Failures, fmt.Sprintf("shortlist: got [%s], want [%s]", strings.Join(d.Shortlist, " "), strings.Join(x.Shortlist, " ")))
	}
	if x.Suggestions != nil && !slices.Equal(d.Suggestions, x.Suggestions) {
		res.Failures = append(res.Failures, fmt.Sprintf("suggestions: got [%s], want [%s]", strings.Join(d.Suggestions, " "), strings.Join(x.Suggestions, " ")))
	}
	if x.Retry != nil && d.Retry != *x.Retry {
		res.Failures = append(res.Failures, fmt.Sprintf("retry: got %t, want %t", d.Retry, *x.Retry))
	}
	if len(res.Failures) > 0 {
		res.Failures = append(res.Failures, "decision: "+d.Explanation)
	}
	return res
}
