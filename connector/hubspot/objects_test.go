package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestBatchUpdatePartialFailure(t *testing.T) {
	f, srv := newFake(t)
	var ids []string
	for i := range 250 {
		ids = append(ids, f.insert(Deals, map[string]string{"dealname": "tilaus"}, f.epoch.Add(time.Duration(i)*time.Second)))
	}
	c := testClient(t, srv.URL, Options{})
	var in []BatchUpdateInput
	for _, id := range ids {
		in = append(in, BatchUpdateInput{ID: id, Properties: map[string]string{"alusta_provider": "77"}})
	}
	// Two ids that do not exist, in different chunks.
	in[10].ID = "999999999001"
	in[210].ID = "999999999002"
	results, recErrs, err := c.BatchUpdate(context.Background(), Deals, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 248 {
		t.Errorf("got %d results, want 248", len(results))
	}
	want := []string{"999999999001", "999999999002"}
	var got []string
	for _, e := range recErrs {
		got = append(got, e.ID)
		if e.Category != CategoryObjectNotFound || e.Status != "error" {
			t.Errorf("record %s: got %s/%s, want error/%s", e.ID, e.Status, e.Category, CategoryObjectNotFound)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("got failed ids %v, want %v", got, want)
	}
	if c.Calls() != 3 {
		t.Errorf("got %d calls, want 3 (100+100+50)", c.Calls())
	}
}

func TestRecordErrors(t *testing.T) {
	tests := []struct {
		name   string
		errs   []StandardError
		inputs []string
		want   []string
	}{
		{name: "context ids", errs: []StandardError{{Message: "m", Context: map[string][]string{"ids": {"1", "2"}}}}, inputs: []string{"1", "2", "3"}, want: []string{"1", "2"}},
		{name: "id in message", errs: []StandardError{{Message: "Property values were not valid for object 12345: bad"}}, inputs: []string{"1234", "12345"}, want: []string{"12345"}},
		{name: "no id anywhere", errs: []StandardError{{Message: "something failed"}}, inputs: []string{"1"}, want: []string{""}},
		{name: "error id field", errs: []StandardError{{ID: "42", Message: "x"}}, inputs: []string{"42"}, want: []string{"42"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range recordErrors(tc.errs, tc.inputs) {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBatchReadMissing(t *testing.T) {
	f, srv := newFake(t)
	a := f.insert(Companies, map[string]string{"name": "Siivous Oy"}, f.epoch)
	c := testClient(t, srv.URL, Options{})
	got, recErrs, err := c.BatchRead(context.Background(), Companies, []string{a, "404404"}, []string{"name", "alusta_provider_areas"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != a {
		t.Fatalf("got %+v, want record %s", got, a)
	}
	if v, ok := got[0].Prop("name"); !ok || v != "Siivous Oy" {
		t.Errorf("got name %q, %v, want Siivous Oy", v, ok)
	}
	if v, ok := got[0].Properties["alusta_provider_areas"]; !ok || v != nil {
		t.Errorf("got alusta_provider_areas %v (present %v), want present and nil (null)", v, ok)
	}
	if len(recErrs) != 1 || recErrs[0].ID != "404404" {
		t.Errorf("got record errors %+v, want one for 404404", recErrs)
	}
}

// TestNullProperties checks that JSON null stays nil and "" stays "",
// which the generated models would both turn into "".
func TestNullProperties(t *testing.T) {
	s := &scripted{answers: []answer{{200, nil, `{"id":"7","properties":{"alusta_provider":null,"alusta_decision":"","dealname":"x"},"createdAt":"2026-11-20T09:00:00Z","updatedAt":"2026-11-20T09:00:00Z","archived":false}`}}}
	c := testClient(t, wrapped(t, s).URL, Options{})
	o, err := c.Get(context.Background(), Deals, "7", []string{"alusta_provider", "alusta_decision", "dealname"})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := o.Properties["alusta_provider"]; !ok || v != nil {
		t.Errorf("alusta_provider: got %v (present %v), want nil", v, ok)
	}
	if v, ok := o.Prop("alusta_decision"); !ok || v != "" {
		t.Errorf("alusta_decision: got %q, %v, want \"\", true", v, ok)
	}
	if _, ok := o.Prop("alusta_provider"); ok {
		t.Error("Prop(alusta_provider) reports a value for null")
	}
}

func TestObjectsCRUD(t *testing.T) {
	f, srv := newFake(t)
	c := testClient(t, srv.URL, Options{})
	ctx := context.Background()
	created, err := c.Create(ctx, Tickets, ObjectInput{Properties: map[string]string{"subject": "Kysymys", "hs_pipeline": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := c.Update(ctx, Tickets, created.ID, map[string]string{"alusta_queue": "neuvonta"})
	if err != nil {
		t.Fatal(err)
	}
	if upd.ID != created.ID {
		t.Errorf("update: got id %s, want %s", upd.ID, created.ID)
	}
	got, err := c.Get(ctx, Tickets, created.ID, []string{"alusta_queue"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Prop("alusta_queue"); v != "neuvonta" {
		t.Errorf("got alusta_queue %q, want neuvonta", v)
	}
	for i := range 230 {
		f.insert(Tickets, nil, f.epoch.Add(time.Duration(i)*time.Second))
	}
	n, pages := 0, 0
	if err := c.List(ctx, Tickets, []string{"subject"}, func(p []Object) error { n += len(p); pages++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 231 || pages != 3 {
		t.Errorf("list: got %d records in %d pages, want 231 in 3", n, pages)
	}
	if err := c.Archive(ctx, Tickets, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, Tickets, created.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("after archive: got %v, want ErrNotFound", err)
	}
	objs, _, err := c.BatchCreate(ctx, Companies, []ObjectInput{{Properties: map[string]string{"name": "A"}}, {Properties: map[string]string{"name": "B"}}})
	if err != nil || len(objs) != 2 {
		t.Fatalf("batch create: got %d, %v, want 2 records", len(objs), err)
	}
	if err := c.BatchArchive(ctx, Companies, []string{objs[0].ID, objs[1].ID}); err != nil {
		t.Fatal(err)
	}
	if f.count(Companies) != 0 {
		t.Errorf("got %d companies after batch archive, want 0", f.count(Companies))
	}
}

// TestCreateNotDuplicated uses a server that commits a create and then
// answers 502, as a gateway timing out behind HubSpot would.
func TestCreateNotDuplicated(t *testing.T) {
	tests := []struct {
		name      string
		once      bool
		failures  int  // creates answered 502 after committing
		lost      int  // creates answered 502 without committing
		existing  bool // the key was used before (a restart after a crash)
		wantErr   string
		wantCount int
	}{
		{name: "plain create is not replayed", failures: 1, wantCount: 1,
			wantErr: "hubspot: create tickets: 502 Bad Gateway"},
		{name: "create once finds the committed record", once: true, failures: 1, wantCount: 1},
		{name: "create once retries a create that was lost", once: true, lost: 1, wantCount: 1},
		{name: "create once after commit and loss", once: true, lost: 1, failures: 1, wantCount: 1},
		{name: "create once with a used key returns its record", once: true, existing: true, wantCount: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t)
			var creates atomic.Int64
			f.handle("POST", "/crm/v3/objects/tickets", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/crm/v3/objects/tickets" {
					f.mu.Lock()
					defer f.mu.Unlock()
					f.search(w, Tickets, must(io.ReadAll(r.Body)))
					return
				}
				n := int(creates.Add(1))
				var in createInput
				json.Unmarshal(must(io.ReadAll(r.Body)), &in)
				switch {
				case n <= tc.lost:
					writeErr(w, 502, "", "bad gateway")
					return
				case n <= tc.lost+tc.failures:
					f.insert(Tickets, in.Properties, f.epoch)
					writeErr(w, 502, "", "bad gateway")
					return
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				for _, o := range f.objs[Tickets] {
					if v := o.props[IdempotencyProperty]; v != nil && *v == in.Properties[IdempotencyProperty] {
						writeErr(w, 409, CategoryConflict, "duplicate")
						return
					}
				}
				id := f.insertLocked(Tickets, in.Properties, f.epoch)
				writeJSON(w, 201, f.objs[Tickets][id].wireAll())
			})
			if tc.existing {
				f.insert(Tickets, map[string]string{IdempotencyProperty: "feedback-2026-11-22-001"}, f.epoch)
			}
			c := testClient(t, srv.URL, Options{})
			in := ObjectInput{Properties: map[string]string{"subject": "Palaute", "alusta_ticket_kind": "palaute"}}
			var obj *Object
			var err error
			if tc.once {
				obj, err = c.CreateOnce(context.Background(), Tickets, "feedback-2026-11-22-001", in)
			} else {
				obj, err = c.Create(context.Background(), Tickets, in)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error()[:len(tc.wantErr)] != tc.wantErr {
					t.Fatalf("got %v, want %s...", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if v, _ := obj.Prop(IdempotencyProperty); v != "feedback-2026-11-22-001" {
				t.Errorf("got key %q on the record, want feedback-2026-11-22-001", v)
			}
			if got := f.count(Tickets); got != tc.wantCount {
				t.Errorf("got %d tickets, want %d", got, tc.wantCount)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestBatchUpdateCalls(t *testing.T) {
	f, srv := newFake(t)
	var in []BatchUpdateInput
	for i := range 1000 {
		id := f.insert(Deals, nil, f.epoch)
		in = append(in, BatchUpdateInput{ID: id, Properties: map[string]string{"alusta_sla_status": "running", "alusta_queue": strconv.Itoa(i % 7)}})
	}
	c := testClient(t, srv.URL, Options{})
	res, errs, err := c.BatchUpdate(context.Background(), Deals, in)
	if err != nil || len(errs) != 0 || len(res) != 1000 {
		t.Fatalf("got %d results, %v, %v; want 1000 and no errors", len(res), errs, err)
	}
	if c.Calls() != 10 {
		t.Errorf("got %d calls, want 10", c.Calls())
	}
}
