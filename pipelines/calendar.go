package pipelines

import (
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
	lt := t.In(c.Loc)
	y, m, day := lt.Date()
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

// Between returns the business time from a to b, or 0 if b is not after a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.AlwaysOpen {
		return b.Sub(a)
	}
	la := a.In(c.Loc)
	y, m, day := la.Date()
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
