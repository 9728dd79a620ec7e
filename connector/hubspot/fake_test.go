package hubspot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot/spectest"
)

// fakeCRM is a small in-memory HubSpot for this package's tests: objects,
// search (every operator, one sort, the 10,000 cap), batch calls with 207
// answers, and creates with a unique idempotency key. Every request and
// answer passes through spectest. Tests add handlers for anything else
// with handle, which runs before the built-in routes.
type fakeCRM struct {
	t     testing.TB
	mu    sync.Mutex
	objs  map[string]map[string]*fakeObj
	next  int64
	epoch time.Time

	extra    []fakeRoute
	searches int
}

type fakeRoute struct {
	method, prefix string
	h              http.HandlerFunc
}

type fakeObj struct {
	id      string
	props   map[string]*string
	created time.Time
	updated time.Time
	seq     int
}

func newFake(t testing.TB) (*fakeCRM, *httptest.Server) {
	f := &fakeCRM{t: t, objs: map[string]map[string]*fakeObj{}, next: 1000,
		epoch: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	specs := spectest.Load(t)
	specs.Allow("GET", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}")
	specs.Allow("PUT", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}/{toObjectId}")
	srv := httptest.NewServer(specs.Wrap(t, f))
	t.Cleanup(srv.Close)
	return f, srv
}

// handle routes method requests whose path starts with prefix to h.
func (f *fakeCRM) handle(method, prefix string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.extra = append(f.extra, fakeRoute{method, prefix, h})
}

// insert adds a record with the given modification time and returns its id.
func (f *fakeCRM) insert(objType string, props map[string]string, modified time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.insertLocked(objType, props, modified)
}

func (f *fakeCRM) insertLocked(objType string, props map[string]string, modified time.Time) string {
	f.next++
	id := strconv.FormatInt(f.next, 10)
	o := &fakeObj{id: id, props: map[string]*string{}, created: modified, updated: modified, seq: int(f.next)}
	for k, v := range props {
		o.props[k] = &v
	}
	f.stamp(o, modified)
	if f.objs[objType] == nil {
		f.objs[objType] = map[string]*fakeObj{}
	}
	f.objs[objType][id] = o
	return id
}

func (f *fakeCRM) stamp(o *fakeObj, modified time.Time) {
	ts := modified.UTC().Format(TimeFormat)
	id := o.id
	o.updated = modified
	o.props[PropLastModified] = &ts
	o.props[PropObjectID] = &id
}

func (f *fakeCRM) count(objType string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objs[objType])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, category, msg string) {
	writeJSON(w, status, ErrorBody{Status: "error", Category: category, Message: msg, CorrelationID: "c0ffee00-0000-4000-8000-000000000001"})
}

func (o *fakeObj) wire(props []string) Object {
	out := Object{ID: o.id, Properties: map[string]*string{}, CreatedAt: o.created, UpdatedAt: o.updated}
	for _, p := range props {
		out.Properties[p] = o.props[p] // nil (JSON null) when unset, as HubSpot answers
	}
	out.Properties[PropObjectID] = o.props[PropObjectID]
	out.Properties[PropLastModified] = o.props[PropLastModified]
	return out
}

// wireAll is the record with every property it has, as HubSpot answers a
// create or an update.
func (o *fakeObj) wireAll() Object {
	var names []string
	for k := range o.props {
		names = append(names, k)
	}
	return o.wire(names)
}

func (f *fakeCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	for _, e := range f.extra {
		if e.method == r.Method && strings.HasPrefix(r.URL.Path, e.prefix) {
			f.mu.Unlock()
			e.h(w, r)
			return
		}
	}
	defer f.mu.Unlock()
	rest, ok := strings.CutPrefix(r.URL.Path, "/crm/v3/objects/")
	if !ok {
		writeErr(w, 404, CategoryObjectNotFound, "no route "+r.URL.Path)
		return
	}
	parts := strings.Split(rest, "/")
	objType := parts[0]
	body, _ := io.ReadAll(r.Body)
	switch {
	case len(parts) == 2 && parts[1] == "search" && r.Method == "POST":
		f.search(w, objType, body)
	case len(parts) == 3 && parts[1] == "batch" && r.Method == "POST":
		f.batch(w, objType, parts[2], body)
	case len(parts) == 1 && r.Method == "POST":
		var in createInput
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, 400, CategoryValidation, err.Error())
			return
		}
		if key, ok := in.Properties[IdempotencyProperty]; ok {
			for _, o := range f.objs[objType] {
				if v := o.props[IdempotencyProperty]; v != nil && *v == key {
					writeErr(w, 409, CategoryConflict, "A "+objType+" with "+IdempotencyProperty+" already exists")
					return
				}
			}
		}
		id := f.insertLocked(objType, in.Properties, f.epoch.Add(time.Duration(f.next)*time.Second))
		writeJSON(w, 201, f.objs[objType][id].wireAll())
	case len(parts) == 1 && r.Method == "GET":
		limit, _ := strconv.Atoi(cmp.Or(r.URL.Query().Get("limit"), "10"))
		after, _ := strconv.Atoi(cmp.Or(r.URL.Query().Get("after"), "0"))
		all := f.sorted(objType, func(*fakeObj) bool { return true }, nil)
		end := min(after+limit, len(all))
		page := Page{Results: []Object{}}
		for _, o := range all[min(after, end):end] {
			page.Results = append(page.Results, o.wire(r.URL.Query()["properties"]))
		}
		if end < len(all) {
			page.Paging = &Paging{Next: &NextPage{After: strconv.Itoa(end)}}
		}
		writeJSON(w, 200, page)
	case len(parts) == 2:
		o := f.objs[objType][parts[1]]
		if p := r.URL.Query().Get("idProperty"); p != "" {
			o = nil
			for _, c := range f.objs[objType] {
				if v := c.props[p]; v != nil && *v == parts[1] {
					o = c
				}
			}
		}
		if o == nil {
			writeErr(w, 404, CategoryObjectNotFound, "resource not found")
			return
		}
		switch r.Method {
		case "GET":
			writeJSON(w, 200, o.wire(r.URL.Query()["properties"]))
		case "PATCH":
			var in ObjectInput
			json.Unmarshal(body, &in)
			for k, v := range in.Properties {
				o.props[k] = &v
			}
			f.stamp(o, o.updated.Add(time.Second))
			writeJSON(w, 200, o.wireAll())
		case "DELETE":
			delete(f.objs[objType], o.id)
			w.WriteHeader(204)
		}
	default:
		writeErr(w, 404, CategoryObjectNotFound, "no route "+r.URL.Path)
	}
}

func (f *fakeCRM) batch(w http.ResponseWriter, objType, verb string, body []byte) {
	resp := BatchResponse{Status: "COMPLETE", Results: []Object{}, StartedAt: f.epoch, CompletedAt: f.epoch}
	var missing []string
	switch verb {
	case "read":
		var in BatchReadRequest
		json.Unmarshal(body, &in)
		for _, id := range in.Inputs {
			if o := f.objs[objType][id.ID]; o != nil {
				resp.Results = append(resp.Results, o.wire(in.Properties))
			} else {
				missing = append(missing, id.ID)
			}
		}
	case "update":
		var in BatchUpdateRequest
		json.Unmarshal(body, &in)
		for _, u := range in.Inputs {
			o := f.objs[objType][u.ID]
			if o == nil {
				missing = append(missing, u.ID)
				continue
			}
			for k, v := range u.Properties {
				o.props[k] = &v
			}
			f.stamp(o, o.updated.Add(time.Second))
			resp.Results = append(resp.Results, o.wire(nil))
		}
	case "create":
		var in struct {
			Inputs []createInput `json:"inputs"`
		}
		json.Unmarshal(body, &in)
		for _, c := range in.Inputs {
			id := f.insertLocked(objType, c.Properties, f.epoch)
			resp.Results = append(resp.Results, f.objs[objType][id].wire(nil))
		}
		writeJSON(w, 201, resp)
		return
	case "archive":
		var in BatchArchiveRequest
		json.Unmarshal(body, &in)
		for _, id := range in.Inputs {
			delete(f.objs[objType], id.ID)
		}
		w.WriteHeader(204)
		return
	}
	if len(missing) > 0 {
		resp.NumErrors = 1
		resp.Errors = []StandardError{{Status: "error", Category: CategoryObjectNotFound,
			Message: "Could not get some " + strings.ToUpper(objType) + " objects, they may be deleted or not exist.",
			Context: map[string][]string{"ids": missing}, Errors: []ErrorDetail{}, Links: map[string]string{}}}
		writeJSON(w, 207, resp)
		return
	}
	writeJSON(w, 200, resp)
}

// tieKey orders records that share a sort value the way a search engine
// might: neither by id nor by insertion, so that no test relies on it.
func tieKey(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()
}

func (f *fakeCRM) sorted(objType string, keep func(*fakeObj) bool, sorts []Sort) []*fakeObj {
	var out []*fakeObj
	for _, o := range f.objs[objType] {
		if keep(o) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *fakeObj) int {
		if len(sorts) > 0 {
			s := sorts[0] // HubSpot applies one sort only
			c := compareValues(a.props[s.PropertyName], b.props[s.PropertyName])
			if s.Direction == "DESCENDING" {
				c = -c
			}
			if c != 0 {
				return c
			}
			return cmp.Compare(tieKey(a.id), tieKey(b.id))
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

// number reads a value as a number: plain, or a datetime as epoch ms.
func number(s string) (float64, bool) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return n, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return float64(t.UnixMilli()), true
	}
	return 0, false
}

func compareValues(a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	na, oka := number(*a)
	nb, okb := number(*b)
	if oka && okb {
		return cmp.Compare(na, nb)
	}
	return strings.Compare(*a, *b)
}

func matches(o *fakeObj, fl Filter) bool {
	v := o.props[fl.PropertyName]
	val := fl.Value
	switch fl.Operator {
	case OpHasProperty:
		return v != nil && *v != ""
	case OpNotHasProperty:
		return v == nil || *v == ""
	case OpIn, OpNotIn:
		in := false
		for _, x := range fl.Values {
			if v != nil && compareValues(v, &x) == 0 {
				in = true
			}
		}
		return in == (fl.Operator == OpIn)
	case OpContainsToken, OpNotContainsToken:
		has := v != nil && strings.Contains(strings.ToLower(*v), strings.ToLower(strings.Trim(val, "*")))
		return has == (fl.Operator == OpContainsToken)
	}
	if v == nil {
		return fl.Operator == OpNEQ
	}
	c := compareValues(v, &val)
	switch fl.Operator {
	case OpEQ:
		return c == 0
	case OpNEQ:
		return c != 0
	case OpLT:
		return c < 0
	case OpLTE:
		return c <= 0
	case OpGT:
		return c > 0
	case OpGTE:
		return c >= 0
	case OpBetween:
		hi := fl.HighValue
		return c >= 0 && compareValues(v, &hi) <= 0
	}
	return false
}

func (f *fakeCRM) search(w http.ResponseWriter, objType string, body []byte) {
	f.searches++
	var req SearchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeErr(w, 400, CategoryValidation, err.Error())
		return
	}
	after, _ := strconv.Atoi(cmp.Or(req.After, "0"))
	if after+req.Limit > SearchCap {
		writeErr(w, 400, CategoryValidation, fmt.Sprintf("after + limit must not exceed %d", SearchCap))
		return
	}
	keep := func(o *fakeObj) bool {
		if len(req.FilterGroups) == 0 {
			return true
		}
		for _, g := range req.FilterGroups {
			all := true
			for _, fl := range g.Filters {
				all = all && matches(o, fl)
			}
			if all {
				return true
			}
		}
		return false
	}
	all := f.sorted(objType, keep, req.Sorts)
	total := len(all)
	end := min(after+req.Limit, total)
	page := Page{Total: &total, Results: []Object{}}
	for _, o := range all[min(after, end):end] {
		page.Results = append(page.Results, o.wire(req.Properties))
	}
	if end < total {
		page.Paging = &Paging{Next: &NextPage{After: strconv.Itoa(end)}}
	}
	writeJSON(w, 200, page)
}

// testClient is a client for srv with pacing loose enough for unit tests
// (the 100-per-10s limit would make them wait); the limiter has its own
// tests and benchmark.
func testClient(t testing.TB, url string, opts Options) *Client {
	t.Helper()
	opts.BaseURL = url
	if opts.Token == "" {
		opts.Token = "pat-na1-test-token"
	}
	if opts.RetryWaitMin == 0 {
		opts.RetryWaitMin = time.Millisecond
	}
	if opts.RetryWaitMax == 0 {
		opts.RetryWaitMax = 5 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	c.lim.limit = 1 << 20
	c.lim.searchLimit = 1 << 20
	return c
}

// wrapped serves h over loopback HTTP, validating requests with spectest.
// Its answers are not validated: the tests using it send malformed and
// off-spec answers on purpose.
func wrapped(t testing.TB, h http.Handler) *httptest.Server {
	specs := spectest.Load(t)
	specs.Allow("GET", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}")
	specs.Allow("PUT", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}/{toObjectId}")
	srv := httptest.NewServer(specs.WrapRequests(t, h))
	t.Cleanup(srv.Close)
	return srv
}
