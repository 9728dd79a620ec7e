package hubspot_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/hubspot/spectest"
	"github.com/alusta/alusta/connector/sandbox"
)

// These tests run the client against the project's sandbox server, with
// spectest validating both sides of every exchange.

func sandboxPair(tb testing.TB, validate bool) (*sandbox.Server, *hubspot.Client) {
	tb.Helper()
	sb, err := sandbox.New(sandbox.Options{Token: "pat-na1-sandbox"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sb.Close() })
	var srv *httptest.Server
	if validate {
		specs := spectest.Load(tb)
		specs.Allow("GET", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}")
		specs.Allow("PUT", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}/{toObjectId}")
		srv = httptest.NewServer(specs.Wrap(tb, sb))
	} else {
		srv = httptest.NewServer(sb)
	}
	tb.Cleanup(srv.Close)
	return sb, newClient(tb, srv.URL)
}

// newClient paces searches loosely: the search limit (5/s) would make the
// 10,000-record read take a minute; the limiter has its own tests.
func newClient(tb testing.TB, url string) *hubspot.Client {
	c, err := hubspot.New(hubspot.Options{BaseURL: url, Token: "pat-na1-sandbox", RateLimit: 250, SearchRate: 10000,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestSandboxChangedSharedTimestamp syncs more than 10,000 records that
// share one hs_lastmodifieddate, between records modified before and after
// it, and gets each exactly once.
func TestSandboxChangedSharedTimestamp(t *testing.T) {
	sb, c := sandboxPair(t, true)
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	bulk := t0.Add(time.Hour)
	want := map[string]bool{}
	for i := range 120 {
		want[sb.Insert(hubspot.Tickets, map[string]string{"subject": "ennen"}, t0.Add(time.Duration(i)*time.Second))] = true
	}
	for range 10_250 {
		want[sb.Insert(hubspot.Tickets, map[string]string{"subject": "massamuutos"}, bulk)] = true
	}
	for i := range 130 {
		want[sb.Insert(hubspot.Tickets, map[string]string{"subject": "jälkeen"}, bulk.Add(time.Duration(i+1)*time.Millisecond))] = true
	}
	older := sb.Insert(hubspot.Tickets, nil, t0.Add(-time.Minute))

	seen := map[string]int{}
	var high time.Time
	err := c.Changed(context.Background(), hubspot.Tickets, t0, nil, func(page []hubspot.Object, h time.Time) error {
		for _, o := range page {
			seen[o.ID]++
		}
		high = h
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want) {
		t.Errorf("got %d records, want %d", len(seen), len(want))
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("record %s delivered %d times, want once", id, seen[id])
		}
	}
	if seen[older] != 0 {
		t.Errorf("record %s modified before since was delivered", older)
	}
	if wantHigh := bulk.Add(130 * time.Millisecond); !high.Equal(wantHigh) {
		t.Errorf("got high-water mark %s, want %s", high, wantHigh)
	}
	t.Logf("%d records in %d calls", len(seen), c.Calls())
}

// BenchmarkChanged1000 reads 1,000 changed records (among 1,500) and
// reports the HTTP calls it took (goal: at most 6).
func BenchmarkChanged1000(b *testing.B) {
	sb, _ := sandboxPair(b, false)
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := range 1500 {
		// Four records share each timestamp, as concurrent edits do.
		sb.Insert(hubspot.Deals, map[string]string{"dealname": "tilaus", "alusta_service": "siivous"}, t0.Add(time.Duration(i/4)*time.Second))
	}
	since := t0.Add(125 * time.Second) // records 500..1499
	var calls int64
	b.ResetTimer()
	for range b.N {
		c := newClient(b, serverURL(b, sb))
		n := 0
		err := c.Changed(context.Background(), hubspot.Deals, since, []string{"dealname", "alusta_service"}, func(p []hubspot.Object, _ time.Time) error {
			n += len(p)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != 1000 {
			b.Fatalf("got %d records, want 1000", n)
		}
		calls += c.Calls()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
}

// BenchmarkBatchUpdate1000 updates 1,000 records and reports the HTTP
// calls it took (goal: at most 11).
func BenchmarkBatchUpdate1000(b *testing.B) {
	sb, setup := sandboxPair(b, false)
	if _, err := setup.EnsureProperties(context.Background(), hubspot.Deals, alustaGroup, alustaProps); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var in []hubspot.BatchUpdateInput
	for i := range 1000 {
		id := sb.Insert(hubspot.Deals, map[string]string{"dealname": "tilaus"}, t0.Add(time.Duration(i)*time.Second))
		in = append(in, hubspot.BatchUpdateInput{ID: id, Properties: map[string]string{"alusta_sla_status": "running"}})
	}
	var calls int64
	b.ResetTimer()
	for range b.N {
		c := newClient(b, serverURL(b, sb))
		res, errs, err := c.BatchUpdate(context.Background(), hubspot.Deals, in)
		if err != nil || len(errs) != 0 || len(res) != 1000 {
			b.Fatalf("got %d results, %v, %v", len(res), errs, err)
		}
		calls += c.Calls()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
}

var (
	alustaGroup = hubspot.PropertyGroup{Name: "alusta", Label: "Alusta"}
	alustaProps = []hubspot.Property{
		{Name: "alusta_sla_status", Label: "SLA-tila", Type: "enumeration", FieldType: "select", Options: []hubspot.Option{
			{Label: "Käynnissä", Value: "running"}, {Label: "Varoitus", Value: "warning", DisplayOrder: 1},
			{Label: "Tauolla", Value: "paused", DisplayOrder: 2}, {Label: "Myöhässä", Value: "breached", DisplayOrder: 3},
			{Label: "Täytetty", Value: "met", DisplayOrder: 4}}},
		{Name: "alusta_decision", Label: "Päätös", Type: "string", FieldType: "textarea"},
		{Name: hubspot.IdempotencyProperty, Label: "Idempotency key", Type: "string", FieldType: "text", HasUniqueValue: true, Hidden: true},
	}
)

// TestSandboxProperties creates alusta's properties twice: the second run
// creates nothing.
func TestSandboxProperties(t *testing.T) {
	_, c := sandboxPair(t, true)
	ctx := context.Background()
	created, err := c.EnsureProperties(ctx, hubspot.Deals, alustaGroup, alustaProps)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 3 {
		t.Errorf("got created %v, want 3 properties", created)
	}
	again, err := c.EnsureProperties(ctx, hubspot.Deals, alustaGroup, alustaProps)
	if err != nil || len(again) != 0 {
		t.Errorf("second run: got %v, %v, want nothing created", again, err)
	}
	props, err := c.Properties(ctx, hubspot.Deals)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, p := range props {
		if p.GroupName == "alusta" {
			found++
		}
	}
	if found != 3 {
		t.Errorf("got %d properties in group alusta, want 3", found)
	}
}

func serverURL(tb testing.TB, h *sandbox.Server) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// TestSandboxRoundTrip runs each kind of call once against the sandbox.
func TestSandboxRoundTrip(t *testing.T) {
	sb, c := sandboxPair(t, true)
	ctx := context.Background()
	if _, err := c.EnsureProperties(ctx, hubspot.Tickets, alustaGroup, alustaProps); err != nil {
		t.Fatal(err)
	}
	company, err := c.Create(ctx, hubspot.Companies, hubspot.ObjectInput{Properties: map[string]string{"name": "Kotiapu Oy"}})
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := c.CreateOnce(ctx, hubspot.Tickets, "palaute-1", hubspot.ObjectInput{Properties: map[string]string{
		"subject": "Palaute", "hs_pipeline": "0", "hs_pipeline_stage": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	// A second CreateOnce with the same key meets HubSpot's refusal of a
	// duplicate unique value (409) and returns the record the first made.
	again, err := c.CreateOnce(ctx, hubspot.Tickets, "palaute-1", hubspot.ObjectInput{Properties: map[string]string{
		"subject": "Palaute", "hs_pipeline": "0", "hs_pipeline_stage": "1"}})
	if err != nil {
		t.Fatalf("second CreateOnce: %v", err)
	}
	if again.ID != ticket.ID {
		t.Errorf("second CreateOnce: got ticket %s, want the first one, %s", again.ID, ticket.ID)
	}
	if n := len(sb.Objects(hubspot.Tickets)); n != 1 {
		t.Errorf("got %d tickets, want 1", n)
	}
	if _, err := c.Update(ctx, hubspot.Tickets, ticket.ID, map[string]string{"alusta_sla_status": "running"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, hubspot.Tickets, ticket.ID, []string{"alusta_sla_status", "alusta_decision"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Prop("alusta_sla_status"); v != "running" {
		t.Errorf("got alusta_sla_status %q, want running", v)
	}
	if v, ok := got.Properties["alusta_decision"]; ok && v != nil {
		t.Errorf("got alusta_decision %q, want null", *v)
	}
	if err := c.Associate(ctx, hubspot.Tickets, ticket.ID, hubspot.Companies, company.ID,
		[]hubspot.AssociationSpec{{Category: hubspot.HubSpotDefined, TypeID: hubspot.AssocTicketToCompany}}); err != nil {
		t.Fatal(err)
	}
	assocs, err := c.Associations(ctx, hubspot.Tickets, ticket.ID, hubspot.Companies)
	if err != nil {
		t.Fatal(err)
	}
	if len(assocs) != 1 || fmt.Sprint(assocs[0].ToObjectID) != company.ID {
		t.Errorf("got associations %+v, want company %s", assocs, company.ID)
	}
	if _, err := c.AddNote(ctx, hubspot.Tickets, ticket.ID, "Ohjattu tuottajalle", time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	before := sb.Requests()["POST /crm/v3/objects/{objectType}/batch/create"]
	notes, noteErrs, err := c.AddNotes(ctx, []hubspot.Note{
		{ObjectType: hubspot.Tickets, ID: ticket.ID, Body: "SLA ylittyi", At: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)},
		{ObjectType: hubspot.Companies, ID: company.ID, Body: "Tuottaja hylkäsi", At: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)},
	})
	if err != nil || len(noteErrs) != 0 || len(notes) != 2 {
		t.Fatalf("AddNotes: got %d notes, errors %v, %v; want 2 notes", len(notes), noteErrs, err)
	}
	if n := sb.Requests()["POST /crm/v3/objects/{objectType}/batch/create"] - before; n != 1 {
		t.Errorf("AddNotes of 2 notes: got %d batch calls, want 1", n)
	}
	noteAssocs, err := c.Associations(ctx, hubspot.Notes, notes[0].ID, hubspot.Tickets)
	if err != nil {
		t.Fatal(err)
	}
	if len(noteAssocs) != 1 || fmt.Sprint(noteAssocs[0].ToObjectID) != ticket.ID {
		t.Errorf("note %s: got associations %+v, want ticket %s", notes[0].ID, noteAssocs, ticket.ID)
	}
	_, recErrs, err := c.BatchUpdate(ctx, hubspot.Tickets, []hubspot.BatchUpdateInput{
		{ID: ticket.ID, Properties: map[string]string{"alusta_sla_status": "met"}},
		{ID: "987654321098", Properties: map[string]string{"alusta_sla_status": "met"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(recErrs) != 1 || recErrs[0].ID != "987654321098" {
		t.Errorf("got record errors %+v, want one for 987654321098", recErrs)
	}
	pipes, err := c.Pipelines(ctx, hubspot.Tickets)
	if err != nil || len(pipes) == 0 {
		t.Errorf("got %d ticket pipelines, %v", len(pipes), err)
	}
	if _, err := c.Owners(ctx); err != nil {
		t.Error(err)
	}
	if _, err := c.AssociationLabels(ctx, hubspot.Deals, hubspot.Companies); err != nil {
		t.Error(err)
	}
}

// TestSandboxBatchReadHistory reads the stage history of 120 tickets: 50
// per call, as HubSpot allows when history is asked for, each value with
// when it was set, newest first.
func TestSandboxBatchReadHistory(t *testing.T) {
	sb, c := sandboxPair(t, true)
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 120 {
		ids = append(ids, sb.Insert(hubspot.Tickets, map[string]string{"hs_pipeline_stage": "1"}, t0.Add(time.Duration(i)*time.Second)))
	}
	if err := sb.Update(hubspot.Tickets, ids[70], map[string]string{"hs_pipeline_stage": "2"}); err != nil {
		t.Fatal(err)
	}
	const call = "POST /crm/v3/objects/{objectType}/batch/read"
	before := sb.Requests()[call]
	objs, recErrs, err := c.BatchReadHistory(context.Background(), hubspot.Tickets, ids, []string{"hs_pipeline_stage"}, []string{"hs_pipeline_stage"})
	if err != nil || len(recErrs) != 0 || len(objs) != 120 {
		t.Fatalf("got %d records, errors %v, %v; want 120", len(objs), recErrs, err)
	}
	if n := sb.Requests()[call] - before; n != 3 {
		t.Errorf("got %d calls, want 3 (50 + 50 + 20)", n)
	}
	for _, o := range objs {
		h := o.WithHistory["hs_pipeline_stage"]
		want := 1
		if o.ID == ids[70] {
			want = 2
		}
		if len(h) != want || h[len(h)-1].Value != "1" || !h[len(h)-1].Timestamp.Equal(o.CreatedAt) || (want == 2 && h[0].Value != "2") {
			t.Errorf("ticket %s: got history %+v, want %d values, the first %q at creation", o.ID, h, want, "1")
		}
	}
}
