package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

func (c *cycle) run(ctx context.Context, full bool) error {
	if !full {
		if err := c.settleInflight(ctx); err != nil {
			return err
		}
		if err := c.webhookTargets(ctx); err != nil {
			return err
		}
		return c.dueWakes(ctx)
	}
	if err := c.pullOwners(ctx); err != nil {
		return err
	}
	// Providers first: deals are decided against them.
	if err := c.pull(ctx, hubspot.Companies); err != nil {
		return err
	}
	if err := c.loadProviders(ctx); err != nil {
		return err
	}
	if err := c.settleInflight(ctx); err != nil {
		return err
	}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if err := c.pull(ctx, typ); err != nil {
			return err
		}
	}
	if err := c.webhookTargets(ctx); err != nil {
		return err
	}
	if err := c.dueWakes(ctx); err != nil {
		return err
	}
	if err := c.retryUnassigned(ctx); err != nil {
		return err
	}
	return nil
}

func (c *cycle) pullOwners(ctx context.Context) error {
	owners, err := c.d.client.Owners(ctx)
	if err != nil {
		return fmt.Errorf("pull owners: %w", err)
	}
	so := make([]store.Owner, len(owners))
	for i, o := range owners {
		so[i] = store.OwnerFromHubSpot(o)
	}
	if err := c.d.store.UpsertOwners(ctx, so); err != nil {
		return fmt.Errorf("store owners: %w", err)
	}
	// The engine resolves team members by email; a changed owner list
	// takes effect without a reload.
	rs := *c.rs
	rs.owners = owners
	c.rs = &rs
	return nil
}

// errCaughtUp ends a read that has reached the records changed since it
// began.
var errCaughtUp = errors.New("caught up")

// pull reads every record of typ changed since the cursor, page by page:
// each page is stored, decided and pushed before the cursor moves past it,
// so a crash or a 429 mid-read resumes where it stopped and loses nothing.
func (c *cycle) pull(ctx context.Context, typ string) error {
	d := c.d
	cur, err := d.store.Cursor(ctx, typ)
	if err != nil {
		return fmt.Errorf("sync %s: %w", typ, err)
	}
	started := d.now()
	since := cur.Since
	if !since.IsZero() {
		since = since.Add(-d.lookback)
	}
	props := c.readProps(typ)
	newest := cur.Since
	page := 0
	caughtUp := false
	read := func(ctx context.Context, fn func([]hubspot.Object, time.Time) error) error {
		return d.client.Changed(ctx, typ, since, props, fn)
	}
	var gaps pageGaps
	defer func() {
		d.log.Debug("pulled", "object", typ, "pages", page, "began", started.Sub(c.began).Round(time.Millisecond),
			"took", d.now().Sub(started).Round(time.Millisecond), "waiting_for_search", gaps.waiting.Round(time.Millisecond),
			"deciding", gaps.busy.Round(time.Millisecond), "search_idle", gaps.stalled.Round(time.Millisecond))
	}()
	// The page that reaches this read's start is the last (see below).
	last := func(objs []hubspot.Object) bool {
		return len(objs) > 0 && !objs[len(objs)-1].UpdatedAt.Before(started)
	}
	err = prefetched(ctx, read, last, &gaps, func(objs []hubspot.Object, high time.Time) error {
		page++
		d.prog.page(d.now(), typ, len(objs), since, started, high)
		// Records changed after this read began, alusta's own writes of
		// this cycle above all, are left to the next cycle, which starts
		// at this read's start: reading them now would page through every
		// record alusta just wrote only to find nothing to do.
		n := len(objs)
		for n > 0 && !objs[n-1].UpdatedAt.Before(started) {
			n--
		}
		caughtUp = n < len(objs)
		if err := c.process(ctx, typ, objs[:n], false); err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		if high.After(newest) {
			newest = high
		}
		// The next read starts at min(sync start, newest seen): a record
		// changed while this read ran may carry an older timestamp than
		// the newest seen, and the lookback catches the index lag.
		next := newest
		if next.After(started) {
			next = started
		}
		if err := d.store.SaveCursor(ctx, typ, store.Cursor{Since: next, SyncStartedAt: started, UpdatedAt: d.now()}); err != nil {
			return err
		}
		if d.stopped() {
			return errStopping
		}
		if caughtUp {
			return errCaughtUp
		}
		return nil
	})
	if err != nil && !errors.Is(err, errCaughtUp) {
		return fmt.Errorf("sync %s: %w", typ, err)
	}
	return nil
}

// pageGaps are where a paged read's time went: the reader waiting for
// the next page (the search limit bounds the read, as it should), the
// reader busy with a page (deciding, pushing, saving), and the search idle
// with the next page read and nobody to take it (the reader bounds it).
type pageGaps struct {
	waiting, busy, stalled time.Duration
}

// prefetched runs read in a goroutine of its own, one page ahead of fn,
// and hands fn the pages in order. HubSpot's search limit (5 a second)
// bounds a first sync: a page searched while the one before it is
// decided, pushed and saved keeps that limit busy. A page for which last
// holds ends the read, so nothing is searched beyond it. fn's error stops
// the read and is returned; so is the read's own, after fn has had every
// page read before it. No search is abandoned half way, and none is left
// running when prefetched returns.
func prefetched(ctx context.Context, read func(context.Context, func([]hubspot.Object, time.Time) error) error,
	last func([]hubspot.Object) bool, gaps *pageGaps, fn func([]hubspot.Object, time.Time) error) error {
	type page struct {
		objs []hubspot.Object
		high time.Time
	}
	pages := make(chan page) // unbuffered: one page ahead, no more
	done := make(chan error, 1)
	var stop atomic.Bool
	var stalled time.Duration // the reader's own, handed over by done
	go func() {
		err := read(ctx, func(objs []hubspot.Object, high time.Time) error {
			if stop.Load() {
				return errReadDone
			}
			t := time.Now()
			select {
			case pages <- page{objs, high}:
				stalled += time.Since(t)
			case <-ctx.Done():
				return ctx.Err()
			}
			if stop.Load() || last(objs) {
				return errReadDone
			}
			return nil
		})
		if errors.Is(err, errReadDone) {
			err = nil
		}
		done <- err
		close(pages)
	}()
	var err error
	for t := time.Now(); ; t = time.Now() {
		p, ok := <-pages
		gaps.waiting += time.Since(t)
		if !ok {
			break
		}
		t = time.Now()
		err = fn(p.objs, p.high)
		gaps.busy += time.Since(t)
		if err != nil {
			stop.Store(true)
			for range pages {
			}
			break
		}
	}
	rerr := <-done
	gaps.stalled = stalled
	if err != nil {
		return err
	}
	return rerr
}

// errReadDone ends a prefetched read from within.
var errReadDone = errors.New("read done")

// process stores a batch of records and, for tickets and deals, decides
// and pushes them. fresh says the records were read by id, as HubSpot
// holds them now, rather than found by a search, whose index lags.
func (c *cycle) process(ctx context.Context, typ string, objs []hubspot.Object, fresh bool) error {
	d := c.d
	c.sum.Pulled += len(objs)
	d.metrics.pulled.WithLabelValues(typ).Add(float64(len(objs)))
	good := make([]hubspot.Object, 0, len(objs))
	recs := make([]store.Record, 0, len(objs))
	for _, o := range objs {
		rec := c.record(typ, o, nil)
		if field, reason := validate(rec); reason != "" {
			prop := c.rs.mapping.Property(typ, field)
			if prop == "" {
				prop = field
			}
			c.sum.Skipped++
			d.log.Warn("skipping bad record", "object", typ, "id", o.ID, "property", prop, "reason", reason)
			if err := d.store.RecordRejected(ctx, typ, o.ID, prop, reason); err != nil {
				return err
			}
			continue
		}
		good = append(good, o)
		recs = append(recs, rec)
	}
	c.seeChanges(ctx, typ, recs)
	if err := d.store.UpsertRecords(ctx, typ, recs); err != nil {
		return err
	}
	if typ == hubspot.Companies {
		return nil
	}
	return c.decideAndPush(ctx, typ, good, fresh)
}

func (c *cycle) loadProviders(ctx context.Context) error {
	recs, err := c.d.store.Records(ctx, hubspot.Companies, store.Filter{})
	if err != nil {
		return fmt.Errorf("load providers: %w", err)
	}
	ps := make([]pipelines.Provider, 0, len(recs))
	var as []pipelines.Activity
	for _, r := range recs {
		if pipelines.IsNGO(r.Properties) {
			as = append(as, pipelines.ActivityOf(r.ID, r.Properties))
			continue
		}
		ps = append(ps, pipelines.ProviderOf(r.ID, r.Properties))
	}
	pipelines.SortActivities(as)
	c.d.mem.providers, c.d.mem.activities = ps, as
	return nil
}

// readAndProcess batch-reads records by id and runs them through the cycle.
func (c *cycle) readAndProcess(ctx context.Context, typ string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	todo := append([]string(nil), ids...)
	sort.Strings(todo)
	objs, recErrs, err := c.d.client.BatchRead(ctx, typ, todo, c.readProps(typ))
	if err != nil {
		return fmt.Errorf("read %s: %w", typ, err)
	}
	for _, re := range recErrs {
		if re.Category == hubspot.CategoryObjectNotFound {
			if err := c.archive(ctx, typ, re.ID); err != nil {
				return err
			}
			continue
		}
		c.d.log.Info("record not readable", "object", typ, "id", re.ID, "reason", re.Message)
	}
	if err := c.process(ctx, typ, objs, true); err != nil {
		return err
	}
	if typ == hubspot.Companies {
		return c.loadProviders(ctx)
	}
	return nil
}

// settleInflight reads back, by id, the records of a batch update whose
// answer never came (alusta crashed, or the call failed after HubSpot may
// have applied it), and decides them before any other record. The engine
// state saved before that batch does not count the owners and providers it
// wrote; read in their turn, at the end of the next read, they would leave
// every least_open choice before them to see counts short by that page.
func (c *cycle) settleInflight(ctx context.Context) error {
	f := c.d.mem.inflight
	if len(f.IDs) == 0 {
		return nil
	}
	c.d.log.Info("reading back a batch update whose answer never came", "object", f.Type, "records", len(f.IDs))
	c.settling, c.landedN = f, 0
	err := c.readAndProcess(ctx, f.Type, f.IDs)
	c.settling = inflight{}
	if err != nil {
		return fmt.Errorf("read back the batch in flight: %w", err)
	}
	if c.d.mem.inflight.Type == f.Type && slices.Equal(c.d.mem.inflight.IDs, f.IDs) {
		c.d.mem.inflight = inflight{}
		if c.landedN > 0 {
			// The batch landed: the round robins move on as its
			// decisions moved them, as they would have had the answer
			// come.
			st := c.d.mem.state
			if st.Rotation == nil {
				st.Rotation = make(map[string]string)
			}
			if st.Weights == nil {
				st.Weights = make(map[string]map[string]float64)
			}
			maps.Copy(st.Rotation, f.Rotation)
			maps.Copy(st.Weights, f.Weights)
		}
		if err := c.d.saveStates(ctx, nil); err != nil {
			return fmt.Errorf("read back the batch in flight: %w", err)
		}
	}
	return nil
}
