package daemon

import (
	"context"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	p := newInProcessWith(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), "testdata/rules")
	p.cycle(t)
	got := p.d.Progress()
	if got.Running || got.Records < 5000 || got.Pages == 0 || got.Calls == 0 {
		t.Errorf("after a cycle: got %+v, want not running, every record and page counted", got)
	}

	// Half of a day's window read in ten minutes leaves about ten more.
	t0 := p.now
	p.d.prog.begin(t0, p.client.Calls())
	from, until := t0.Add(-24*time.Hour), t0
	p.d.prog.page(t0, "tickets", 100, from, until, from.Add(time.Hour))
	p.now = t0.Add(10 * time.Minute)
	p.d.prog.page(p.now, "tickets", 100, from, until, from.Add(12*time.Hour))
	got = p.d.Progress()
	if !got.Running || got.Object != "tickets" || got.Records != 200 || got.Pages != 2 || got.Done != 0.5 || got.Left != 10*time.Minute {
		t.Errorf("mid-read: got %+v, want tickets, 200 records, 2 pages, half done, 10m left", got)
	}
	if want := "tickets: 200 records, 2 pages, 0 calls, 50 % of the window, about 10m0s left"; got.String() != want {
		t.Errorf("got %q, want %q", got.String(), want)
	}
	// A first read (no cursor) measures from its first page.
	p.d.prog.page(p.now, "deals", 100, time.Time{}, until, from.Add(6*time.Hour))
	p.d.prog.page(p.now, "deals", 100, time.Time{}, until, from.Add(15*time.Hour))
	if got := p.d.Progress(); got.Object != "deals" || got.Done != 0.5 {
		t.Errorf("first read: got %+v, want deals half done", got)
	}
	p.d.prog.end()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.d.ReportProgress(ctx, time.Millisecond, func(Progress) { t.Error("reported after the context ended") })
}
