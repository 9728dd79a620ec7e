package hubspot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"time"

	"github.com/clarkmcc/go-hubspot/generated/v3/objects"
)

// BatchSize is HubSpot's limit of inputs per batch call.
const BatchSize = 100

// ListPageSize is the largest page the list endpoints return.
const ListPageSize = 100

// IdempotencyProperty is the unique-value property CreateOnce stores its
// key in. EnsureProperties creates it with hasUniqueValue, so a second
// create with the same key fails with 409 instead of making a duplicate.
const IdempotencyProperty = "alusta_idempotency_key"

func objectPath(objType string) string { return "/crm/v3/objects/" + objType }

// Get reads one record with the given properties.
func (c *Client) Get(ctx context.Context, objType, id string, props []string) (*Object, error) {
	op := "get " + objType
	ctx = c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/{id}"})
	r := c.objects.BasicApi.GetByID(ctx, objType, id)
	if len(props) > 0 {
		r = r.Properties(props)
	}
	_, resp, err := r.Execute()
	var out Object
	if err := c.finish(op, resp, err, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// getByProperty reads one record by a unique property value.
func (c *Client) getByProperty(ctx context.Context, objType, prop, value string, props []string) (*Object, error) {
	op := "get " + objType + " by " + prop
	ctx = c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/{id}"})
	r := c.objects.BasicApi.GetByID(ctx, objType, value).IdProperty(prop)
	if len(props) > 0 {
		r = r.Properties(props)
	}
	_, resp, err := r.Execute()
	var out Object
	if err := c.finish(op, resp, err, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListPage reads one page of records (at most ListPageSize) after the
// cursor after ("" for the first page).
func (c *Client) ListPage(ctx context.Context, objType, after string, props []string) (*Page, error) {
	op := "list " + objType
	ctx = c.gen(ctx, callInfo{endpoint: objectPath(objType)})
	r := c.objects.BasicApi.GetPage(ctx, objType).Limit(ListPageSize)
	if after != "" {
		r = r.After(after)
	}
	if len(props) > 0 {
		r = r.Properties(props)
	}
	_, resp, err := r.Execute()
	var out Page
	if err := c.finish(op, resp, err, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List reads every record of objType, page by page, calling fn with each
// page. It stops at the first error fn returns.
func (c *Client) List(ctx context.Context, objType string, props []string, fn func([]Object) error) error {
	after := ""
	for {
		page, err := c.ListPage(ctx, objType, after, props)
		if err != nil {
			return err
		}
		if err := fn(page.Results); err != nil {
			return err
		}
		next := page.After()
		if next == "" {
			return nil
		}
		if next == after {
			return fmt.Errorf("hubspot: list %s: cursor %q repeated: %w", objType, next, ErrNoProgress)
		}
		after = next
	}
}

// createInput is SimplePublicObjectInputForCreate with associations always
// present: the spec requires the field (HubSpot itself accepts it absent,
// but an empty list satisfies both).
type createInput struct {
	Properties   map[string]string   `json:"properties"`
	Associations []AssociationCreate `json:"associations"`
}

func forCreate(in ObjectInput) createInput {
	out := createInput(in)
	if out.Properties == nil {
		out.Properties = map[string]string{}
	}
	if out.Associations == nil {
		out.Associations = []AssociationCreate{}
	}
	return out
}

// Create makes one record. The call is never replayed after a 5xx or a
// network error, since HubSpot may have committed it; such an error is
// ambiguous and the record may exist. Use CreateOnce where a duplicate
// would matter.
func (c *Client) Create(ctx context.Context, objType string, in ObjectInput) (*Object, error) {
	op := "create " + objType
	body, err := convert[objects.SimplePublicObjectInputForCreate](op, forCreate(in))
	if err != nil {
		return nil, err
	}
	if body.Associations == nil {
		body.Associations = []objects.PublicAssociationsForObject{}
	}
	ctx = c.gen(ctx, callInfo{endpoint: objectPath(objType), create: true})
	_, resp, gerr := c.objects.BasicApi.Create(ctx, objType).SimplePublicObjectInputForCreate(body).Execute()
	var out Object
	if err := c.finish(op, resp, gerr, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ambiguous reports whether a create's failure leaves it unknown whether
// HubSpot committed the record: a 5xx or no answer at all.
func ambiguous(err error) bool {
	var api *APIError
	if errors.As(err, &api) {
		return api.Status >= 500
	}
	var daily *DailyLimitError
	return !errors.As(err, &daily) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// CreateOnce makes one record at most once per key, even across retries
// and restarts. The key goes into IdempotencyProperty (a unique-value
// property, see EnsureProperties). After an ambiguous failure (5xx,
// timeout, broken connection) it reads the record by its key: if HubSpot
// committed the create, that record is returned; if not, the create is
// tried again, up to the client's retry count. A 409 (the key exists)
// returns the existing record.
func (c *Client) CreateOnce(ctx context.Context, objType, key string, in ObjectInput) (*Object, error) {
	if key == "" {
		return nil, fmt.Errorf("hubspot: create %s once: empty key", objType)
	}
	props := make(map[string]string, len(in.Properties)+1)
	for k, v := range in.Properties {
		props[k] = v
	}
	props[IdempotencyProperty] = key
	in.Properties = props
	wantProps := []string{IdempotencyProperty}
	for k := range props {
		wantProps = append(wantProps, k)
	}

	retries := c.retry
	for attempt := 0; ; attempt++ {
		obj, err := c.Create(ctx, objType, in)
		if err == nil {
			return obj, nil
		}
		if !errors.Is(err, ErrConflict) && !ambiguous(err) {
			return nil, err
		}
		found, lerr := c.getByProperty(ctx, objType, IdempotencyProperty, key, wantProps)
		if lerr == nil {
			c.log.Info("hubspot: create was committed before its failure; not repeating it",
				"type", objType, "id", found.ID, "err", err)
			return found, nil
		}
		if !errors.Is(lerr, ErrNotFound) {
			return nil, fmt.Errorf("hubspot: create %s once: look up key after %w: %w", objType, err, lerr)
		}
		if errors.Is(err, ErrConflict) || attempt >= retries {
			return nil, err
		}
		c.log.Warn("hubspot: create failed and was not committed; trying again", "type", objType, "err", err)
		if err := sleepCtx(ctx, backoff(c.waitMin, c.waitMax, attempt, nil)); err != nil {
			return nil, err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Update sets properties on one record ("" clears a value).
func (c *Client) Update(ctx context.Context, objType, id string, props map[string]string) (*Object, error) {
	op := "update " + objType
	ctx = c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/{id}"})
	if props == nil {
		props = map[string]string{}
	}
	_, resp, err := c.objects.BasicApi.Update(ctx, objType, id).
		SimplePublicObjectInput(objects.SimplePublicObjectInput{Properties: props}).Execute()
	var out Object
	if err := c.finish(op, resp, err, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Archive moves one record to the recycle bin.
func (c *Client) Archive(ctx context.Context, objType, id string) error {
	op := "archive " + objType
	ctx = c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/{id}"})
	resp, err := c.objects.BasicApi.Archive(ctx, objType, id).Execute()
	return c.finish(op, resp, err, nil)
}

// chunks splits n items into runs of at most BatchSize.
func chunks(n int) [][2]int { return chunksOf(n, BatchSize) }

// chunksOf splits n items into runs of at most size.
func chunksOf(n, size int) [][2]int {
	var out [][2]int
	for i := 0; i < n; i += size {
		out = append(out, [2]int{i, min(i+size, n)})
	}
	return out
}

// batches calls call on each chunk of n inputs, BatchSize at a time, and
// gathers what the calls return: results, and the records that failed
// (HTTP 207) keyed by the ids call names for its chunk. A failed call stops
// the run, returned with what earlier calls gave.
func batches(n int, call func(lo, hi int) (*BatchResponse, []string, error)) ([]Object, []RecordError, error) {
	return batchesOf(n, BatchSize, call)
}

// batchesOf is batches with size inputs at a time.
func batchesOf(n, size int, call func(lo, hi int) (*BatchResponse, []string, error)) ([]Object, []RecordError, error) {
	var results []Object
	var recErrs []RecordError
	for _, ch := range chunksOf(n, size) {
		out, ids, err := call(ch[0], ch[1])
		if err != nil {
			return results, recErrs, err
		}
		results = append(results, out.Results...)
		recErrs = append(recErrs, recordErrors(out.Errors, ids)...)
	}
	return results, recErrs, nil
}

// BatchRead reads records by id, BatchSize per call. Ids HubSpot does not
// find come back as RecordErrors (HTTP 207), not as an error.
func (c *Client) BatchRead(ctx context.Context, objType string, ids []string, props []string) ([]Object, []RecordError, error) {
	return c.batchRead(ctx, objType, ids, props, nil)
}

// HistoryBatchSize is HubSpot's limit of inputs per batch read that asks
// for propertiesWithHistory.
const HistoryBatchSize = 50

// BatchReadHistory reads records by id with the history of the properties
// in history (Object.WithHistory: every value, newest first, with when it
// was set), HistoryBatchSize per call. History costs calls: read it only
// for the records that need it.
func (c *Client) BatchReadHistory(ctx context.Context, objType string, ids []string, props, history []string) ([]Object, []RecordError, error) {
	return c.batchRead(ctx, objType, ids, props, history)
}

func (c *Client) batchRead(ctx context.Context, objType string, ids []string, props, history []string) ([]Object, []RecordError, error) {
	op := "batch read " + objType
	if props == nil {
		props = []string{}
	}
	size := BatchSize
	if len(history) > 0 {
		size = HistoryBatchSize
	} else {
		history = []string{}
	}
	return batchesOf(len(ids), size, func(lo, hi int) (*BatchResponse, []string, error) {
		part := ids[lo:hi]
		in := BatchReadRequest{Properties: props, WithHistory: history, Inputs: make([]ObjectID, len(part))}
		for i, id := range part {
			in.Inputs[i] = ObjectID{ID: id}
		}
		body, err := convert[objects.BatchReadInputSimplePublicObjectId](op, in)
		if err != nil {
			return nil, nil, err
		}
		gctx := c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/batch/read"})
		_, resp, gerr := c.objects.BatchApi.BatchRead(gctx, objType).BatchReadInputSimplePublicObjectId(body).Execute()
		var out BatchResponse
		return &out, part, c.finish(op, resp, gerr, &out)
	})
}

// BatchCreate makes records, BatchSize per call. Like Create, a call is
// never replayed after an ambiguous failure. A RecordError's ID is the id
// HubSpot names in the error's context, "" when it names none.
func (c *Client) BatchCreate(ctx context.Context, objType string, inputs []ObjectInput) ([]Object, []RecordError, error) {
	op := "batch create " + objType
	return batches(len(inputs), func(lo, hi int) (*BatchResponse, []string, error) {
		part := inputs[lo:hi]
		in := struct {
			Inputs []createInput `json:"inputs"`
		}{Inputs: make([]createInput, len(part))}
		for i, p := range part {
			in.Inputs[i] = forCreate(p)
		}
		body, err := convert[objects.BatchInputSimplePublicObjectInputForCreate](op, in)
		if err != nil {
			return nil, nil, err
		}
		for i := range body.Inputs {
			if body.Inputs[i].Associations == nil {
				body.Inputs[i].Associations = []objects.PublicAssociationsForObject{}
			}
		}
		gctx := c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/batch/create", create: true})
		_, resp, gerr := c.objects.BatchApi.BatchCreate(gctx, objType).BatchInputSimplePublicObjectInputForCreate(body).Execute()
		var out BatchResponse
		return &out, nil, c.finish(op, resp, gerr, &out)
	})
}

// BatchUpdate sets properties on records, BatchSize per call. Records that
// fail (HTTP 207) come back as RecordErrors keyed by input id; a failure
// of a whole call is an error, with the results of earlier calls.
//
// HubSpot refuses a whole batch (400) over one bad property value. Such a
// batch is split so that everything else still lands: a property HubSpot
// does not have, or will not let anyone set, is taken out of every input
// at once; a bad value is found by halving the batch. Each property taken
// out comes back as a RecordError with Property set; the record's other
// properties were written.
func (c *Client) BatchUpdate(ctx context.Context, objType string, inputs []BatchUpdateInput) ([]Object, []RecordError, error) {
	op := "batch update " + objType
	var results []Object
	var recErrs []RecordError
	for _, ch := range chunks(len(inputs)) {
		part := make([]BatchUpdateInput, 0, ch[1]-ch[0])
		for _, in := range inputs[ch[0]:ch[1]] {
			// A copy: splitting takes properties out.
			part = append(part, BatchUpdateInput{ID: in.ID, IDProperty: in.IDProperty, Properties: maps.Clone(in.Properties)})
		}
		out, errs, err := c.updateSplitting(ctx, op, objType, part)
		results = append(results, out...)
		recErrs = append(recErrs, errs...)
		if err != nil {
			return results, recErrs, err
		}
	}
	return results, recErrs, nil
}

// updateSplitting sends one batch update and, when HubSpot refuses it over
// property values, sends what can still land.
func (c *Client) updateSplitting(ctx context.Context, op, objType string, part []BatchUpdateInput) ([]Object, []RecordError, error) {
	out, ids, err := c.updateOnce(ctx, op, objType, part)
	if err == nil {
		return out.Results, recordErrors(out.Errors, ids), nil
	}
	bad := rejectedProperties(err)
	if len(bad) == 0 {
		return nil, nil, err
	}
	// A property HubSpot lacks or keeps read-only is bad for every record:
	// take it out of all of them and send the rest in one call.
	var taken []RecordError
	everywhere := false
	for _, b := range bad {
		if b.Code != "PROPERTY_DOESNT_EXIST" && b.Code != "READ_ONLY_VALUE" {
			continue
		}
		everywhere = true
		for i := range part {
			if _, ok := part[i].Properties[b.Name]; ok {
				delete(part[i].Properties, b.Name)
				taken = append(taken, b.recordError(part[i].ID))
			}
		}
	}
	if !everywhere {
		if len(part) > 1 {
			// A bad value belongs to some records only, and HubSpot does
			// not say which: halve until the batch is one record.
			mid := len(part) / 2
			r1, e1, err := c.updateSplitting(ctx, op, objType, part[:mid])
			if err != nil {
				return r1, e1, err
			}
			r2, e2, err := c.updateSplitting(ctx, op, objType, part[mid:])
			return append(r1, r2...), append(e1, e2...), err
		}
		for _, b := range bad {
			if _, ok := part[0].Properties[b.Name]; ok {
				delete(part[0].Properties, b.Name)
				taken = append(taken, b.recordError(part[0].ID))
			}
		}
		if len(taken) == 0 {
			// HubSpot named properties this record does not hold: nothing
			// to take out, the record fails whole.
			return nil, []RecordError{{ID: part[0].ID, Status: "error", Category: CategoryValidation, Message: err.Error()}}, nil
		}
	}
	var rest []BatchUpdateInput
	for _, in := range part {
		if len(in.Properties) > 0 {
			rest = append(rest, in)
		}
	}
	if len(rest) == 0 {
		return nil, taken, nil
	}
	r, e, err := c.updateSplitting(ctx, op, objType, rest)
	return r, append(taken, e...), err
}

// updateOnce is one batch update call.
func (c *Client) updateOnce(ctx context.Context, op, objType string, part []BatchUpdateInput) (*BatchResponse, []string, error) {
	ids := make([]string, len(part))
	for i, p := range part {
		ids[i] = p.ID
		if p.Properties == nil {
			part[i].Properties = map[string]string{}
		}
	}
	body, err := convert[objects.BatchInputSimplePublicObjectBatchInput](op, BatchUpdateRequest{Inputs: part})
	if err != nil {
		return nil, nil, err
	}
	gctx := c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/batch/update"})
	_, resp, gerr := c.objects.BatchApi.BatchUpdate(gctx, objType).BatchInputSimplePublicObjectBatchInput(body).Execute()
	var out BatchResponse
	return &out, ids, c.finish(op, resp, gerr, &out)
}

// BatchArchive archives records by id, BatchSize per call.
func (c *Client) BatchArchive(ctx context.Context, objType string, ids []string) error {
	op := "batch archive " + objType
	for _, ch := range chunks(len(ids)) {
		part := ids[ch[0]:ch[1]]
		in := BatchArchiveRequest{Inputs: make([]ObjectID, len(part))}
		for i, id := range part {
			in.Inputs[i] = ObjectID{ID: id}
		}
		body, err := convert[objects.BatchInputSimplePublicObjectId](op, in)
		if err != nil {
			return err
		}
		gctx := c.gen(ctx, callInfo{endpoint: objectPath(objType) + "/batch/archive"})
		resp, gerr := c.objects.BatchApi.BatchArchive(gctx, objType).BatchInputSimplePublicObjectId(body).Execute()
		if err := c.finish(op, resp, gerr, nil); err != nil {
			return err
		}
	}
	return nil
}

var idContextKeys = []string{"ids", "id", "objectId", "objectIds"}

// recordErrors maps a 207's errors to input ids: through the error's
// context ids when HubSpot gives them, else through the input ids the
// message names. An error naming no id keeps ID "".
func recordErrors(errs []StandardError, inputs []string) []RecordError {
	var out []RecordError
	for _, e := range errs {
		base := RecordError{Status: e.Status, Category: e.Category, Message: e.Message, Context: e.Context}
		var ids []string
		for _, k := range idContextKeys {
			ids = append(ids, e.Context[k]...)
		}
		if len(ids) == 0 && e.ID != "" {
			ids = []string{e.ID}
		}
		if len(ids) == 0 {
			for _, id := range inputs {
				if id != "" && regexp.MustCompile(`\b`+regexp.QuoteMeta(id)+`\b`).MatchString(e.Message) {
					ids = append(ids, id)
				}
			}
		}
		if len(ids) == 0 {
			out = append(out, base)
			continue
		}
		for _, id := range ids {
			r := base
			r.ID = id
			out = append(out, r)
		}
	}
	return out
}
