package hubspot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/clarkmcc/go-hubspot/generated/v3/objects"
)

// SearchPageSize is the largest page a search returns.
const SearchPageSize = 200

// SearchCap is how deep HubSpot lets a search page: after+limit may not
// pass it.
const SearchCap = 10000

// Properties every incremental read needs.
const (
	PropLastModified = "hs_lastmodifieddate"
	PropObjectID     = "hs_object_id"
)

// maxNotIn bounds the ids Changed excludes with one NOT_IN filter; more
// records than this sharing one instant are read by id instead.
const maxNotIn = 100

// Search runs one search page (POST /crm/v3/objects/{type}/search).
// A zero Limit means SearchPageSize; a larger one is cut to it.
func (c *Client) Search(ctx context.Context, objType string, req SearchRequest) (*Page, error) {
	op := "search " + objType
	if req.Limit <= 0 || req.Limit > SearchPageSize {
		req.Limit = SearchPageSize
	}
	// The spec requires all of these (HubSpot does not); empty lists
	// satisfy both.
	if req.Sorts == nil {
		req.Sorts = []Sort{}
	}
	if req.Properties == nil {
		req.Properties = []string{}
	}
	if req.FilterGroups == nil {
		req.FilterGroups = []FilterGroup{}
	}
	for i := range req.FilterGroups {
		if req.FilterGroups[i].Filters == nil {
			req.FilterGroups[i].Filters = []Filter{}
		}
	}
	body, err := convert[objects.PublicObjectSearchRequest](op, req)
	if err != nil {
		return nil, err
	}
	ctx = c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/search", search: true})
	_, resp, gerr := c.objects.SearchApi.Search(ctx, objType).PublicObjectSearchRequest(body).Execute()
	var out Page
	if err := c.finish(op, resp, gerr, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SearchAll pages through a search to its end, calling fn with each page.
// HubSpot refuses to page past SearchCap results; SearchAll returns
// ErrSearchCap there rather than fail obscurely. Use Changed for reads
// that may be larger.
func (c *Client) SearchAll(ctx context.Context, objType string, req SearchRequest, fn func([]Object) error) error {
	if req.Limit <= 0 || req.Limit > SearchPageSize {
		req.Limit = SearchPageSize
	}
	offset := 0
	for {
		page, err := c.Search(ctx, objType, req)
		if err != nil {
			return err
		}
		if err := fn(page.Results); err != nil {
			return err
		}
		next := page.After()
		if next == "" || len(page.Results) == 0 {
			return nil
		}
		if next == req.After {
			return fmt.Errorf("hubspot: search %s: cursor %q repeated: %w", objType, next, ErrNoProgress)
		}
		offset += len(page.Results)
		if n, err := strconv.Atoi(next); err == nil {
			offset = n
		}
		if offset+req.Limit > SearchCap {
			return fmt.Errorf("hubspot: search %s: %w", objType, ErrSearchCap)
		}
		req.After = next
	}
}

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// Timestamp reads a datetime property value: ISO 8601 or epoch
// milliseconds, both of which HubSpot writes.
func Timestamp(o *Object, prop string) (time.Time, error) {
	v, ok := o.Prop(prop)
	if !ok || v == "" {
		return time.Time{}, fmt.Errorf("record %s has no %s", o.ID, prop)
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("record %s: %s %q is not a time", o.ID, prop, v)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Changed reads every record of objType whose hs_lastmodifieddate is at or
// after since, in ascending hs_lastmodifieddate order, calling fn with each
// page as it arrives together with the page's high-water mark (the
// newest hs_lastmodifieddate delivered so far).
//
// It never meets the 10,000-result search cap, because it never pages
// with after: every call is a fresh search starting from the newest
// timestamp seen (keyset paging). HubSpot sorts a search by one property
// only, so records sharing that timestamp are told apart by id: the next
// call asks for "modified after T, or modified at T and not one of the ids
// already delivered at T". When more than a hundred records share one
// instant (a bulk edit; HubSpot has been seen to give 10,000+ records one
// timestamp), that instant is read on its own, sorted by hs_object_id and
// paged with "hs_object_id GT last id", before the read moves past it.
// Every call must deliver a new record or end the read, so it cannot loop
// forever (ErrNoProgress if a server answers otherwise); and since the
// order is ascending, a record is never skipped, even one modified during
// the read (it moves to a later timestamp and is read there).
//
// To resume after a crash, persist the highWater given with the last page
// fn accepted and call Changed again with since = highWater: records
// modified at exactly highWater are read again (at least once, never
// skipped), so fn must be idempotent per record. fn's error stops the read
// and is returned as is.
func (c *Client) Changed(ctx context.Context, objType string, since time.Time, props []string,
	fn func(page []Object, highWater time.Time) error) error {
	props = withProps(props, PropLastModified, PropObjectID)
	if since.Before(time.Unix(0, 0)) {
		since = time.Unix(0, 0) // "everything"; HubSpot has no records before 1970
	}
	cursor := since.UTC().Truncate(time.Millisecond)
	inclusive := true            // GTE cursor (true) or GT cursor (false)
	var seen []string            // ids delivered at cursor
	seenSet := map[string]bool{} // the same, for lookups
	sorts := []Sort{{PropertyName: PropLastModified, Direction: "ASCENDING"}}
	for {
		req := SearchRequest{Limit: SearchPageSize, Sorts: sorts, Properties: props}
		switch {
		case !inclusive:
			req.FilterGroups = []FilterGroup{{Filters: []Filter{{PropertyName: PropLastModified, Operator: OpGT, Value: millis(cursor)}}}}
		case len(seen) == 0:
			req.FilterGroups = []FilterGroup{{Filters: []Filter{{PropertyName: PropLastModified, Operator: OpGTE, Value: millis(cursor)}}}}
		default:
			req.FilterGroups = []FilterGroup{
				{Filters: []Filter{{PropertyName: PropLastModified, Operator: OpGT, Value: millis(cursor)}}},
				{Filters: []Filter{
					{PropertyName: PropLastModified, Operator: OpEQ, Value: millis(cursor)},
					{PropertyName: PropObjectID, Operator: OpNotIn, Values: slices.Clone(seen)},
				}},
			}
		}
		page, err := c.Search(ctx, objType, req)
		if err != nil {
			return err
		}
		if len(page.Results) == 0 {
			return nil
		}
		fresh := make([]Object, 0, len(page.Results))
		high := cursor
		for i := range page.Results {
			o := &page.Results[i]
			ts, err := Timestamp(o, PropLastModified)
			if err != nil {
				return fmt.Errorf("hubspot: changed %s: %w", objType, err)
			}
			if ts.Before(cursor) || (!inclusive && ts.Equal(cursor)) || (ts.Equal(cursor) && seenSet[o.ID]) {
				continue // the server ignored a filter; counted below
			}
			if ts.Before(high) {
				return fmt.Errorf("hubspot: changed %s: results not sorted by %s: %w", objType, PropLastModified, ErrNoProgress)
			}
			high = ts
			fresh = append(fresh, *o)
		}
		if len(fresh) == 0 {
			return fmt.Errorf("hubspot: changed %s: no new record after %s: %w", objType, cursor.Format(TimeFormat), ErrNoProgress)
		}
		if err := fn(fresh, high); err != nil {
			return err
		}
		if high.After(cursor) || !inclusive {
			cursor, inclusive, seen = high, true, nil
			clear(seenSet)
		}
		for i := range fresh {
			if ts, _ := Timestamp(&fresh[i], PropLastModified); ts.Equal(cursor) {
				seen = append(seen, fresh[i].ID)
				seenSet[fresh[i].ID] = true
			}
		}
		if len(page.Results) < req.Limit || (page.Total != nil && *page.Total <= len(page.Results)) {
			return nil
		}
		if len(seen) > maxNotIn {
			if err := c.readInstant(ctx, objType, cursor, props, seenSet, fn); err != nil {
				return err
			}
			inclusive, seen = false, nil
			clear(seenSet)
		}
	}
}

// readInstant reads every record modified at exactly t, by ascending id,
// skipping the ids in skip. Each call must move the id forward.
func (c *Client) readInstant(ctx context.Context, objType string, t time.Time, props []string, skip map[string]bool,
	fn func([]Object, time.Time) error) error {
	var last int64
	for {
		req := SearchRequest{
			Limit:      SearchPageSize,
			Sorts:      []Sort{{PropertyName: PropObjectID, Direction: "ASCENDING"}},
			Properties: props,
			FilterGroups: []FilterGroup{{Filters: []Filter{
				{PropertyName: PropLastModified, Operator: OpEQ, Value: millis(t)},
				{PropertyName: PropObjectID, Operator: OpGT, Value: strconv.FormatInt(last, 10)},
			}}},
		}
		page, err := c.Search(ctx, objType, req)
		if err != nil {
			return err
		}
		if len(page.Results) == 0 {
			return nil
		}
		fresh := make([]Object, 0, len(page.Results))
		next := last
		for i := range page.Results {
			o := &page.Results[i]
			id, err := strconv.ParseInt(o.ID, 10, 64)
			if err != nil {
				return fmt.Errorf("hubspot: changed %s: id %q is not a number", objType, o.ID)
			}
			if id <= next {
				return fmt.Errorf("hubspot: changed %s: ids not ascending after %d at %s: %w",
					objType, next, t.Format(TimeFormat), ErrNoProgress)
			}
			next = id
			if ts, err := Timestamp(o, PropLastModified); err != nil || !ts.Equal(t) {
				return fmt.Errorf("hubspot: changed %s: record %s outside instant %s: %w", objType, o.ID, t.Format(TimeFormat), ErrNoProgress)
			}
			if !skip[o.ID] {
				fresh = append(fresh, *o)
			}
		}
		last = next
		if len(fresh) > 0 {
			if err := fn(fresh, t); err != nil {
				return err
			}
		}
		if len(page.Results) < req.Limit || (page.Total != nil && *page.Total <= len(page.Results)) {
			return nil
		}
	}
}

// withProps adds the names in extra to props unless present.
func withProps(props []string, extra ...string) []string {
	out := slices.Clone(props)
	for _, e := range extra {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}
