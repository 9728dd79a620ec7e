package pipelines

import (
	"maps"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Calendar counts business time: working hours per weekday in a time zone,
// several blocks a day, public holidays and extra closures. Wall-clock
// block boundaries are rebuilt for each day in the calendar's zone, which
// is why a daylight-saving change never stretches or shrinks a working day.
//
// rickar/cal/v2 has no Finnish holidays and allows one working block a
// day, so the arithmetic is done here.
type Calendar struct {
	Name string
	Loc  *time.Location
	// AlwaysOpen counts every second, as a 24/7 service does.
	AlwaysOpen bool
	// Hours holds the working blocks per weekday (index time.Weekday).
	Hours [7][]Block
	// Finnish adds Finland's public holidays.
	Finnish bool
	// Closures are extra closed dates ("2006-01-02") with a reason.
	Closures map[string]string

	// years holds the tables Add and Between count with, by year; see
	// yearTable. The fields above must not change once they are made.
	years atomic.Pointer[map[int]*yearTable]
	mu    sync.Mutex // serialises making tables
}

// Block is one working period of a day, in minutes after midnight.
type Block struct{ Start, End int }

// maxDays bounds the day-by-day walks; a calendar with hours cannot be
// closed this long, and one without is rejected when loaded.
const maxDays = 3660

// Closed reports whether a date is a holiday or a closure, and why.
func (c *Calendar) Closed(y int, m time.Month, d int) (string, bool) {
	if c.Finnish {
		if name, ok := FinnishHoliday(y, m, d); ok {
			return name, true
		}
	}
	if c.Closures != nil {
		// The key is built on the stack: map[string(bytes)] does not
		// allocate, and business-time walks ask for every day.
		var b [10]byte
		key := dateKey(&b, y, m, d)
		if why, ok := c.Closures[string(key)]; ok {
			return why, true
		}
	}
	return "", false
}

// dateKey writes "2006-01-02" into b for years 0 to 9999.
func dateKey(b *[10]byte, y int, m time.Month, d int) []byte {
	b[0], b[1], b[2], b[3] = byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4], b[7] = '-', '-'
	b[5], b[6] = byte('0'+int(m)/10), byte('0'+int(m)%10)
	b[8], b[9] = byte('0'+d/10), byte('0'+d%10)
	return b[:]
}

// blocks returns the working periods of the day that starts at day
// (midnight in c.Loc), as absolute times.
func (c *Calendar) blocks(y int, m time.Month, d int, wd time.Weekday) [][2]time.Time {
	bs := c.Hours[wd]
	if len(bs) == 0 {
		return nil
	}
	if _, closed := c.Closed(y, m, d); closed {
		return nil
	}
	out := make([][2]time.Time, len(bs))
	for i, b := range bs {
		out[i] = [2]time.Time{
			time.Date(y, m, d, b.Start/60, b.Start%60, 0, 0, c.Loc),
			time.Date(y, m, d, b.End/60, b.End%60, 0, 0, c.Loc),
		}
	}
	return out
}

// Add returns the moment when d of business time has passed after t. It
// returns the zero time if the calendar stays closed for ten years.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if c.AlwaysOpen {
		return t.Add(d)
	}
	if d <= 0 {
		return t
	}
	y0 := t.In(c.Loc).Year()
	yt := c.year(y0)
	off := t.Sub(yt.start)
	target := yt.worked(off) + d
	for y := y0; y <= y0+maxDays/365+1; y++ {
		if y > y0 {
			target -= yt.total
			yt = c.year(y)
			off = -1 // t is before every block of the later years
		}
		if target > yt.total {
			continue
		}
		// The first block whose end brings the year's working time to
		// the target.
		i := sort.Search(len(yt.blocks), func(i int) bool {
			b := yt.blocks[i]
			return b.before+b.e-b.s >= target
		})
		b := yt.blocks[i]
		u := yt.start.Add(b.s + target - b.before)
		if off > b.s {
			// Within the block t is in: counted from t, in t's zone.
			u = t.Add(d)
		}
		if u.Sub(t) > (maxDays-2)*24*time.Hour && !yt.start.Add(b.s).Before(c.limit(t)) {
			return time.Time{}
		}
		return u
	}
	return time.Time{}
}

// Between returns the business time from a to b, or 0 if b is not after a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.AlwaysOpen {
		return b.Sub(a)
	}
	if b.Sub(a) > (maxDays-2)*24*time.Hour {
		if limit := c.limit(a); b.After(limit) {
			b = limit
		}
	}
	ya, yb := a.In(c.Loc).Year(), b.In(c.Loc).Year()
	ta := c.year(ya)
	if ya == yb {
		return ta.worked(b.Sub(ta.start)) - ta.worked(a.Sub(ta.start))
	}
	total := ta.total - ta.worked(a.Sub(ta.start))
	for y := ya + 1; y < yb; y++ {
		total += c.year(y).total
	}
	tb := c.year(yb)
	return total + tb.worked(b.Sub(tb.start))
}

// limit is the midnight maxDays days after t's date: business time is
// counted no further.
func (c *Calendar) limit(t time.Time) time.Time {
	y, m, d := t.In(c.Loc).Date()
	return time.Date(y, m, d+maxDays, 0, 0, 0, 0, c.Loc)
}

// yearTable holds a calendar's working blocks of one year as offsets from
// the year's first midnight, each with the working time of the year
// before it. Add and Between are then a binary search and arithmetic;
// walking the days instead built every day's blocks (time.Date and the
// holiday rules) again for every look at every record, which was a fifth
// of deciding. The blocks are made by blocks, as the walk made them, so a
// daylight-saving change bends them the same way; they are in order and
// do not overlap.
type yearTable struct {
	start  time.Time // 1 January 00:00 in the calendar's zone
	blocks []tableBlock
	total  time.Duration // the year's working time
}

type tableBlock struct {
	s, e   time.Duration // from start
	before time.Duration // working time of the year before s
}

// worked is the working time of the year up to off after its start.
func (yt *yearTable) worked(off time.Duration) time.Duration {
	i := sort.Search(len(yt.blocks), func(i int) bool { return yt.blocks[i].e > off })
	if i == len(yt.blocks) {
		return yt.total
	}
	b := yt.blocks[i]
	if off <= b.s {
		return b.before
	}
	return b.before + off - b.s
}

// year returns the table of year y, making it on first use. Tables are
// kept in a map that is replaced, never changed, so that engines deciding
// in several goroutines read it without a lock.
func (c *Calendar) year(y int) *yearTable {
	if m := c.years.Load(); m != nil {
		if yt := (*m)[y]; yt != nil {
			return yt
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.years.Load()
	if old != nil {
		if yt := (*old)[y]; yt != nil {
			return yt
		}
	}
	yt := c.makeYear(y)
	m := make(map[int]*yearTable, 1)
	if old != nil {
		m = maps.Clone(*old)
	}
	m[y] = yt
	c.years.Store(&m)
	return yt
}

func (c *Calendar) makeYear(y int) *yearTable {
	yt := &yearTable{start: time.Date(y, time.January, 1, 0, 0, 0, 0, c.Loc)}
	for i := 0; ; i++ {
		date := time.Date(y, time.January, 1+i, 0, 0, 0, 0, c.Loc)
		if date.Year() != y {
			break
		}
		for _, b := range c.blocks(date.Year(), date.Month(), date.Day(), date.Weekday()) {
			s, e := b[0].Sub(yt.start), b[1].Sub(yt.start)
			// On the night clocks go forward, time.Date moves a block edge
			// in the missing hour an hour on, so blocks may overlap or end
			// before they start: count each moment once.
			if n := len(yt.blocks); n > 0 && s < yt.blocks[n-1].e {
				s = yt.blocks[n-1].e
			}
			if e <= s {
				continue
			}
			yt.blocks = append(yt.blocks, tableBlock{s: s, e: e, before: yt.total})
			yt.total += e - s
		}
	}
	return yt
}

// FinnishHoliday reports whether a date is a Finnish public holiday (or
// Christmas Eve and Midsummer Eve, which are days off in practice) and
// names it. It works for any Gregorian year.
func FinnishHoliday(y int, m time.Month, d int) (string, bool) {
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch {
	case m == time.January && d == 1:
		return "New Year's Day", true
	case m == time.January && d == 6:
		return "Epiphany", true
	case m == time.May && d == 1:
		return "May Day", true
	case m == time.December && d == 6:
		return "Independence Day", true
	case m == time.December && d == 24:
		return "Christmas Eve", true
	case m == time.December && d == 25:
		return "Christmas Day", true
	case m == time.December && d == 26:
		return "St Stephen's Day", true
	case m == time.June && d >= 19 && d <= 25 && date.Weekday() == time.Friday:
		return "Midsummer Eve", true
	case m == time.June && d >= 20 && d <= 26 && date.Weekday() == time.Saturday:
		return "Midsummer Day", true
	case (m == time.October && d == 31 || m == time.November && d <= 6) && date.Weekday() == time.Saturday:
		return "All Saints' Day", true
	}
	em, ed := Easter(y)
	easter := time.Date(y, em, ed, 0, 0, 0, 0, time.UTC)
	switch int(date.Sub(easter).Hours() / 24) {
	case -2:
		return "Good Friday", true
	case 0:
		return "Easter Sunday", true
	case 1:
		return "Easter Monday", true
	case 39:
		return "Ascension Day", true
	case 49:
		return "Whitsun", true
	}
	return "", false
}

// Easter returns the date of Western Easter Sunday (the anonymous
// Gregorian algorithm).
func Easter(y int) (time.Month, int) {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Month(month), day
}
