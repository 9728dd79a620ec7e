package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestSearchAllPagesToEnd(t *testing.T) {
	f, srv := newFake(t)
	for i := range 450 {
		svc := "siivous"
		if i%3 == 0 {
			svc = "kauppa"
		}
		f.insert(Deals, map[string]string{"alusta_service": svc}, f.epoch.Add(time.Duration(i)*time.Minute))
	}
	c := testClient(t, srv.URL, Options{})
	req := SearchRequest{
		Limit:      200,
		Sorts:      []Sort{{PropertyName: PropLastModified, Direction: "ASCENDING"}},
		Properties: []string{"alusta_service"},
		FilterGroups: []FilterGroup{{Filters: []Filter{
			{PropertyName: "alusta_service", Operator: OpEQ, Value: "siivous"},
		}}},
	}
	var got []string
	pages := 0
	err := c.SearchAll(context.Background(), Deals, req, func(page []Object) error {
		pages++
		for _, o := range page {
			if v, _ := o.Prop("alusta_service"); v != "siivous" {
				t.Errorf("record %s: got service %q, want siivous", o.ID, v)
			}
			got = append(got, o.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 300 || pages != 2 {
		t.Errorf("got %d records in %d pages, want 300 in 2", len(got), pages)
	}
	if c.Calls() != 2 {
		t.Errorf("got %d calls, want 2", c.Calls())
	}
}

func TestSearchAllStopsAtCap(t *testing.T) {
	f, srv := newFake(t)
	for i := range SearchCap + 5 {
		f.insert(Tickets, nil, f.epoch.Add(time.Duration(i)*time.Second))
	}
	c := testClient(t, srv.URL, Options{})
	n := 0
	err := c.SearchAll(context.Background(), Tickets, SearchRequest{}, func(p []Object) error { n += len(p); return nil })
	if !errors.Is(err, ErrSearchCap) {
		t.Fatalf("got %v, want ErrSearchCap", err)
	}
	if want := "hubspot: search tickets: hubspot: search reached the 10,000 result cap"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if n != SearchCap {
		t.Errorf("got %d records before the cap, want %d", n, SearchCap)
	}
}

// TestChanged checks that an incremental read gets every record exactly
// once, in ascending modification order, whatever the timestamps look
// like, including more than 10,000 records sharing one instant (which a
// server enforcing the search cap would otherwise make unreadable).
func TestChanged(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		stamps func(i int) time.Time
		n      int
		since  time.Time
		want   int
	}{
		{name: "distinct timestamps", n: 1000, stamps: func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }, since: t0, want: 1000},
		{name: "since skips older", n: 1000, stamps: func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }, since: t0.Add(500 * time.Second), want: 500},
		{name: "clusters of 150", n: 1500, stamps: func(i int) time.Time { return t0.Add(time.Duration(i/150) * time.Second) }, since: t0, want: 1500},
		{name: "clusters of 199 and 201", n: 2000, stamps: func(i int) time.Time {
			if i < 1000 {
				return t0.Add(time.Duration(i/199) * time.Second)
			}
			return t0.Add(time.Hour + time.Duration(i/201)*time.Second)
		}, since: t0, want: 2000},
		{name: "10500 at one instant between others", n: 10800, stamps: func(i int) time.Time {
			switch {
			case i < 150:
				return t0.Add(time.Duration(i) * time.Millisecond)
			case i < 10650:
				return t0.Add(time.Minute)
			default:
				return t0.Add(time.Minute + time.Duration(i)*time.Millisecond)
			}
		}, since: t0, want: 10800},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t)
			for i := range tc.n {
				f.insert(Tickets, map[string]string{"alusta_queue": "neuvonta"}, tc.stamps(i))
			}
			c := testClient(t, srv.URL, Options{})
			seen := map[string]int{}
			var last, lastHigh time.Time
			err := c.Changed(context.Background(), Tickets, tc.since, []string{"alusta_queue"}, func(page []Object, high time.Time) error {
				if len(page) == 0 {
					t.Error("got an empty page")
				}
				for i := range page {
					seen[page[i].ID]++
					ts, err := Timestamp(&page[i], PropLastModified)
					if err != nil {
						t.Fatal(err)
					}
					if ts.Before(last) {
						t.Errorf("record %s at %s after one at %s", page[i].ID, ts, last)
					}
					if ts.Before(tc.since) {
						t.Errorf("record %s at %s is older than since", page[i].ID, ts)
					}
					if ts.After(high) {
						t.Errorf("record %s at %s is past the page's high-water mark %s", page[i].ID, ts, high)
					}
					last = ts
				}
				if high.Before(lastHigh) {
					t.Errorf("high-water mark went back from %s to %s", lastHigh, high)
				}
				lastHigh = high
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != tc.want {
				t.Errorf("got %d distinct records, want %d", len(seen), tc.want)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("record %s delivered %d times, want once", id, n)
				}
			}
		})
	}
}

// TestChangedNoProgress checks that a server ignoring the filters ends the
// read with ErrNoProgress instead of looping.
func TestChangedNoProgress(t *testing.T) {
	f, srv := newFake(t)
	t0 := f.epoch
	for i := range 300 {
		f.insert(Deals, nil, t0.Add(time.Duration(i)*time.Second))
	}
	var first []byte
	f.handle("POST", "/crm/v3/objects/deals/search", func(w http.ResponseWriter, r *http.Request) {
		// Always the first page, whatever was asked.
		if first == nil {
			rec := &recorder{header: http.Header{}}
			f.mu.Lock()
			f.search(rec, Deals, []byte(`{"limit":200,"after":"","sorts":["hs_lastmodifieddate"],"properties":[],"filterGroups":[]}`))
			f.mu.Unlock()
			first = rec.body
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(first)
	})
	c := testClient(t, srv.URL, Options{})
	pages := 0
	err := c.Changed(context.Background(), Deals, t0, nil, func([]Object, time.Time) error { pages++; return nil })
	want := fmt.Sprintf("hubspot: changed deals: no new record after %s: hubspot: search made no progress",
		t0.Add(199*time.Second).Format(TimeFormat))
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if pages != 1 || c.Calls() != 2 {
		t.Errorf("got %d pages in %d calls, want 1 in 2", pages, c.Calls())
	}
}

// recorder is a minimal ResponseWriter for reusing fake handlers.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }

// TestSearchOperators sends every operator the spec lists; spectest
// validates each request, and the fake answers by HubSpot's semantics.
func TestSearchOperators(t *testing.T) {
	f, srv := newFake(t)
	for i, m := range []string{"Tampere", "Nokia", "Orivesi", "Tampere", ""} {
		props := map[string]string{"alusta_units": fmt.Sprint(i + 1), "dealname": "Siivous viikoittain"}
		if m != "" {
			props["alusta_municipality"] = m
		}
		f.insert(Deals, props, f.epoch.Add(time.Duration(i)*time.Hour))
	}
	c := testClient(t, srv.URL, Options{})
	tests := []struct {
		filter Filter
		want   int
	}{
		{Filter{PropertyName: "alusta_municipality", Operator: OpEQ, Value: "Tampere"}, 2},
		{Filter{PropertyName: "alusta_municipality", Operator: OpNEQ, Value: "Tampere"}, 3},
		{Filter{PropertyName: "alusta_units", Operator: OpLT, Value: "3"}, 2},
		{Filter{PropertyName: "alusta_units", Operator: OpLTE, Value: "3"}, 3},
		{Filter{PropertyName: "alusta_units", Operator: OpGT, Value: "3"}, 2},
		{Filter{PropertyName: "alusta_units", Operator: OpGTE, Value: "3"}, 3},
		{Filter{PropertyName: "alusta_units", Operator: OpBetween, Value: "2", HighValue: "4"}, 3},
		{Filter{PropertyName: "alusta_municipality", Operator: OpIn, Values: []string{"Nokia", "Orivesi"}}, 2},
		{Filter{PropertyName: "alusta_municipality", Operator: OpNotIn, Values: []string{"Nokia", "Orivesi"}}, 3},
		{Filter{PropertyName: "alusta_municipality", Operator: OpHasProperty}, 4},
		{Filter{PropertyName: "alusta_municipality", Operator: OpNotHasProperty}, 1},
		{Filter{PropertyName: "dealname", Operator: OpContainsToken, Value: "viikoittain"}, 5},
		{Filter{PropertyName: "dealname", Operator: OpNotContainsToken, Value: "kuukausittain"}, 5},
	}
	if len(tests) != len(Operators) {
		t.Fatalf("got %d cases for %d operators", len(tests), len(Operators))
	}
	for i, tc := range tests {
		t.Run(tc.filter.Operator, func(t *testing.T) {
			if tc.filter.Operator != Operators[i] {
				t.Fatalf("case %d is %s, want %s", i, tc.filter.Operator, Operators[i])
			}
			page, err := c.Search(context.Background(), Deals, SearchRequest{
				FilterGroups: []FilterGroup{{Filters: []Filter{tc.filter}}},
				Sorts:        []Sort{{PropertyName: "alusta_units", Direction: "DESCENDING"}},
				Properties:   []string{"alusta_municipality"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Results) != tc.want || page.Total == nil || *page.Total != tc.want {
				t.Errorf("got %d results, want %d", len(page.Results), tc.want)
			}
		})
	}
}

// TestChangedResume stops a read midway, as a crash would, and resumes it
// from the last high-water mark: nothing is skipped, and only records at
// that instant are read twice.
func TestChangedResume(t *testing.T) {
	f, srv := newFake(t)
	t0 := f.epoch
	for i := range 1200 {
		f.insert(Tickets, nil, t0.Add(time.Duration(i/7)*time.Second))
	}
	c := testClient(t, srv.URL, Options{})
	stop := errors.New("crash")
	seen := map[string]int{}
	var high time.Time
	pages := 0
	err := c.Changed(context.Background(), Tickets, time.Time{}, nil, func(p []Object, h time.Time) error {
		if pages == 3 {
			return stop
		}
		pages++
		for _, o := range p {
			seen[o.ID]++
		}
		high = h
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("got %v, want fn's error", err)
	}
	first := len(seen)
	err = c.Changed(context.Background(), Tickets, high, nil, func(p []Object, _ time.Time) error {
		for _, o := range p {
			seen[o.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1200 {
		t.Errorf("got %d records after resuming, want 1200", len(seen))
	}
	twice := 0
	for id, n := range seen {
		if n > 1 {
			twice++
			o := f.objs[Tickets][id]
			if ts, _ := time.Parse(time.RFC3339Nano, *o.props[PropLastModified]); !ts.Equal(high) {
				t.Errorf("record %s at %s read twice, want only records at %s", id, ts, high)
			}
		}
	}
	if first != 600 || twice == 0 || twice > 7 {
		t.Errorf("got %d records before the crash and %d read twice, want 600 and 1 to 7", first, twice)
	}
}
