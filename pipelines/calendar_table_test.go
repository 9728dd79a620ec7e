package pipelines

import (
	"math/rand/v2"
	"testing"
	"time"
)

// walkAdd and walkBetween are Add and Between as they were before the
// year tables: a walk over the days, building each day's blocks. They are
// the reference the tables must agree with to the nanosecond and the zone.
func walkAdd(c *Calendar, t time.Time, d time.Duration) time.Time {
	if c.AlwaysOpen {
		return t.Add(d)
	}
	if d <= 0 {
		return t
	}
	y, m, day := t.In(c.Loc).Date()
	for i := 0; i < maxDays; i++ {
		date := time.Date(y, m, day+i, 0, 0, 0, 0, c.Loc)
		for _, b := range c.blocks(date.Year(), date.Month(), date.Day(), date.Weekday()) {
			if !b[1].After(t) {
				continue
			}
			start := b[0]
			if t.After(start) {
				start = t
			}
			avail := b[1].Sub(start)
			if d <= avail {
				return start.Add(d)
			}
			d -= avail
		}
	}
	return time.Time{}
}

func walkBetween(c *Calendar, a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.AlwaysOpen {
		return b.Sub(a)
	}
	y, m, day := a.In(c.Loc).Date()
	var total time.Duration
	for i := 0; i < maxDays; i++ {
		date := time.Date(y, m, day+i, 0, 0, 0, 0, c.Loc)
		if !date.Before(b) {
			break
		}
		for _, bl := range c.blocks(date.Year(), date.Month(), date.Day(), date.Weekday()) {
			s, e := bl[0], bl[1]
			if s.Before(a) {
				s = a
			}
			if e.After(b) {
				e = b
			}
			if e.After(s) {
				total += e.Sub(s)
			}
		}
	}
	return total
}

// TestCalendarTables compares Add and Between with the day walk on random
// moments over six years, across New Year, the daylight-saving changes
// and holidays, for calendars with blocks over the night of a change,
// round the clock and at weekends, and for moments in UTC and in the
// calendar's zone.
func TestCalendarTables(t *testing.T) {
	loc := helsinki(t)
	night := &Calendar{Name: "night", Loc: loc, Finnish: true}
	allDay := &Calendar{Name: "all day", Loc: loc}
	weekend := &Calendar{Name: "weekend", Loc: time.UTC, Closures: map[string]string{"2027-01-02": "closed"}}
	for wd := range 7 {
		night.Hours[wd] = []Block{{0, 60}, {2*60 + 30, 4*60 + 15}, {4*60 + 15, 5 * 60}, {22 * 60, 24 * 60}}
		allDay.Hours[wd] = []Block{{0, 24 * 60}}
	}
	weekend.Hours[time.Saturday] = []Block{{10 * 60, 14 * 60}}
	weekend.Hours[time.Sunday] = []Block{{23*60 + 59, 24 * 60}}
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	for _, c := range []*Calendar{office(t), night, allDay, weekend} {
		for range 3000 {
			a := base.Add(time.Duration(rng.Int64N(int64(6*365*24*time.Hour))) / time.Second * time.Second)
			if rng.IntN(3) == 0 {
				a = a.Truncate(time.Hour) // on block edges
			}
			if rng.IntN(2) == 0 {
				a = a.UTC()
			}
			d := time.Duration(rng.Int64N(int64(80 * time.Hour)))
			if rng.IntN(2) == 0 {
				d = d.Truncate(30 * time.Minute)
			}
			got, want := c.Add(a, d), walkAdd(c, a, d)
			if !got.Equal(want) || got.Location() != want.Location() {
				t.Fatalf("%s: Add(%s, %s): got %s, want %s", c.Name, a, d, got, want)
			}
			b := a.Add(time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))))
			if rng.IntN(10) == 0 {
				b = a.Add(-time.Hour)
			}
			if got, want := c.Between(a, b), walkBetween(c, a, b); got != want {
				t.Fatalf("%s: Between(%s, %s): got %s, want %s", c.Name, a, b, got, want)
			}
		}
	}
}

// TestCalendarTenYears keeps the walk's limit: no answer beyond ten years.
func TestCalendarTenYears(t *testing.T) {
	loc := helsinki(t)
	rare := &Calendar{Name: "rare", Loc: loc, Closures: map[string]string{}}
	rare.Hours[time.Monday] = []Block{{8 * 60, 9 * 60}}
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, loc)
	for _, d := range []time.Duration{500 * time.Hour, 521 * time.Hour, 522 * time.Hour, 523 * time.Hour, 600 * time.Hour} {
		if got, want := rare.Add(start, d), walkAdd(rare, start, d); !got.Equal(want) {
			t.Errorf("Add(%s): got %s, want %s", d, got, want)
		}
	}
	end := start.AddDate(12, 0, 0)
	if got, want := rare.Between(start, end), walkBetween(rare, start, end); got != want {
		t.Errorf("Between over twelve years: got %s, want %s", got, want)
	}
}

// TestCalendarSpringGap: a block edge in the hour that the spring change
// skips (03:00-04:00 in Helsinki) moves an hour on, which made the second
// block below end before it started. The walk's Add counted that as
// negative time, so Between(t, Add(t, d)) missed d by a quarter of an
// hour; every moment counts once now.
func TestCalendarSpringGap(t *testing.T) {
	loc := helsinki(t)
	c := &Calendar{Name: "night", Loc: loc}
	for wd := range 7 {
		c.Hours[wd] = []Block{{2*60 + 30, 3*60 + 30}, {3*60 + 30, 4*60 + 15}}
	}
	start := time.Date(2026, 3, 29, 2, 0, 0, 0, loc) // the night of the change
	// 02:30 EET to 04:30 EEST (03:30 moved on) is one hour; the second
	// block, 04:30-04:15 EEST, is none.
	if got := c.Between(start, time.Date(2026, 3, 29, 6, 0, 0, 0, loc)); got != time.Hour {
		t.Errorf("Between over the night: got %s, want 1h", got)
	}
	for _, d := range []time.Duration{30 * time.Minute, time.Hour, 90 * time.Minute} {
		end := c.Add(start, d)
		if got := c.Between(start, end); got != d {
			t.Errorf("Between(start, Add(start, %s) = %s): got %s", d, end, got)
		}
	}
	if want := time.Date(2026, 3, 30, 2, 30, 0, 0, loc).Add(30 * time.Minute); !c.Add(start, 90*time.Minute).Equal(want) {
		t.Errorf("Add 90m: got %s, want %s", c.Add(start, 90*time.Minute), want)
	}
}
