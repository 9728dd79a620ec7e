package pipelines

import (
	"math/rand/v2"
	"testing"
	"time"
)

func helsinki(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// office is the demo kotitori calendar: two blocks a day, Finnish holidays.
func office(t testing.TB) *Calendar {
	day := []Block{{8 * 60, 12 * 60}, {12*60 + 30, 16 * 60}}
	c := &Calendar{Name: "kotitori", Loc: helsinki(t), Finnish: true, Closures: map[string]string{"2026-12-31": "closed"}}
	for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
		c.Hours[wd] = day
	}
	return c
}

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCalendarAdd is the golden table for business-time arithmetic across
// daylight-saving changes and holidays.
func TestCalendarAdd(t *testing.T) {
	c := office(t)
	tests := []struct {
		name, start string
		d           time.Duration
		want        string
	}{
		{"within a block", "2026-11-24T09:00:00+02:00", time.Hour, "2026-11-24T10:00:00+02:00"},
		{"over lunch", "2026-11-24T11:00:00+02:00", 2 * time.Hour, "2026-11-24T13:30:00+02:00"},
		{"ends exactly at closing", "2026-11-24T15:00:00+02:00", time.Hour, "2026-11-24T16:00:00+02:00"},
		{"before opening", "2026-11-24T06:00:00+02:00", 30 * time.Minute, "2026-11-24T08:30:00+02:00"},
		{"during lunch", "2026-11-24T12:10:00+02:00", 30 * time.Minute, "2026-11-24T13:00:00+02:00"},
		{"over a weekend", "2026-11-27T15:00:00+02:00", 2 * time.Hour, "2026-11-30T09:00:00+02:00"},
		{"zero", "2026-11-28T15:00:00+02:00", 0, "2026-11-28T15:00:00+02:00"},
		// Sunday 29 March 2026 03:00 EET becomes 04:00 EEST.
		{"March change", "2026-03-27T15:00:00+02:00", 2 * time.Hour, "2026-03-30T09:00:00+03:00"},
		{"March change, a full day", "2026-03-27T08:00:00+02:00", 15 * time.Hour, "2026-03-30T16:00:00+03:00"},
		// Sunday 25 October 2026 04:00 EEST becomes 03:00 EET.
		{"October change", "2026-10-23T14:00:00+03:00", 4 * time.Hour, "2026-10-26T10:00:00+02:00"},
		{"October change, a full day", "2026-10-23T08:00:00+03:00", 15 * time.Hour, "2026-10-26T16:00:00+02:00"},
		// Easter 2027 is 28 March, the day of the spring change: Good
		// Friday 26 March and Easter Monday 29 March are closed.
		{"Easter 2027 and the March change", "2027-03-25T15:00:00+02:00", 4 * time.Hour, "2027-03-30T11:00:00+03:00"},
		{"Easter 2026", "2026-04-02T15:00:00+03:00", 2 * time.Hour, "2026-04-07T09:00:00+03:00"},
		{"Ascension 2026", "2026-05-13T15:00:00+03:00", 2 * time.Hour, "2026-05-15T09:00:00+03:00"},
		{"Midsummer 2026", "2026-06-18T14:00:00+03:00", 4 * time.Hour, "2026-06-22T10:00:00+03:00"},
		{"Christmas 2026", "2026-12-23T15:00:00+02:00", 4 * time.Hour, "2026-12-28T11:00:00+02:00"},
		{"closure and New Year", "2026-12-30T15:00:00+02:00", 2 * time.Hour, "2027-01-04T09:00:00+02:00"},
		{"Epiphany and Independence Day", "2027-01-05T15:00:00+02:00", 2 * time.Hour, "2027-01-07T09:00:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Add(at(t, tt.start), tt.d)
			if want := at(t, tt.want); !got.Equal(want) {
				t.Errorf("got %s, want %s", got.In(c.Loc).Format(time.RFC3339), want.Format(time.RFC3339))
			}
			if tt.d > 0 {
				if b := c.Between(at(t, tt.start), got); b != tt.d {
					t.Errorf("Between(start, Add(start, d)): got %s, want %s", b, tt.d)
				}
			}
		})
	}
}

func TestCalendarBetween(t *testing.T) {
	c := office(t)
	tests := []struct {
		name, a, b string
		want       time.Duration
	}{
		{"same block", "2026-11-24T09:00:00+02:00", "2026-11-24T10:15:00+02:00", 75 * time.Minute},
		{"over lunch", "2026-11-24T11:00:00+02:00", "2026-11-24T13:00:00+02:00", 90 * time.Minute},
		{"weekend only", "2026-11-28T09:00:00+02:00", "2026-11-29T18:00:00+02:00", 0},
		{"reversed", "2026-11-24T10:00:00+02:00", "2026-11-24T09:00:00+02:00", 0},
		{"a working week", "2026-11-23T00:00:00+02:00", "2026-11-30T00:00:00+02:00", 5 * 450 * time.Minute},
		{"the week of the March change", "2026-03-23T00:00:00+02:00", "2026-03-30T23:00:00+03:00", 6 * 450 * time.Minute},
		{"the week of the October change", "2026-10-19T00:00:00+03:00", "2026-10-26T23:00:00+02:00", 6 * 450 * time.Minute},
		{"Easter week 2026", "2026-03-30T00:00:00+03:00", "2026-04-07T00:00:00+03:00", 4 * 450 * time.Minute},
		{"Christmas week 2026", "2026-12-21T00:00:00+02:00", "2026-12-28T00:00:00+02:00", 3 * 450 * time.Minute},
		{"Midsummer week 2026", "2026-06-15T00:00:00+03:00", "2026-06-22T00:00:00+03:00", 4 * 450 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Between(at(t, tt.a), at(t, tt.b)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAlwaysOpenAcrossDST(t *testing.T) {
	c := &Calendar{Name: "turvapalvelu", Loc: helsinki(t), AlwaysOpen: true}
	start := at(t, "2026-03-28T22:00:00+02:00")
	got := c.Add(start, 24*time.Hour)
	// 24 elapsed hours across the spring change end at 23:00 local time.
	if want := at(t, "2026-03-29T23:00:00+03:00"); !got.Equal(want) {
		t.Errorf("got %s, want %s", got, want)
	}
	if b := c.Between(start, got); b != 24*time.Hour {
		t.Errorf("got %s, want 24h", b)
	}
}

func TestFinnishHolidays(t *testing.T) {
	tests := []struct {
		date string
		want string
	}{
		{"2024-03-29", "Good Friday"}, {"2024-04-01", "Easter Monday"}, {"2025-04-20", "Easter Sunday"},
		{"2026-04-03", "Good Friday"}, {"2026-05-14", "Ascension Day"}, {"2026-05-24", "Whitsun"},
		{"2027-03-26", "Good Friday"}, {"2028-04-17", "Easter Monday"}, {"2030-04-19", "Good Friday"},
		{"2100-03-28", "Easter Sunday"}, {"2024-06-21", "Midsummer Eve"}, {"2024-06-22", "Midsummer Day"},
		{"2025-06-20", "Midsummer Eve"}, {"2026-06-19", "Midsummer Eve"}, {"2026-06-20", "Midsummer Day"},
		{"2025-11-01", "All Saints' Day"}, {"2026-10-31", "All Saints' Day"}, {"2027-11-06", "All Saints' Day"},
		{"2026-01-01", "New Year's Day"}, {"2026-01-06", "Epiphany"}, {"2026-05-01", "May Day"},
		{"2026-12-06", "Independence Day"}, {"2026-12-24", "Christmas Eve"}, {"2026-12-25", "Christmas Day"},
		{"2026-12-26", "St Stephen's Day"},
		{"2026-06-26", ""}, {"2026-11-01", ""}, {"2026-04-06", "Easter Monday"}, {"2026-04-07", ""}, {"2026-12-27", ""},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			d, err := time.Parse("2006-01-02", tt.date)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := FinnishHoliday(d.Year(), d.Month(), d.Day())
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("got %q %t, want %q", got, ok, tt.want)
			}
		})
	}
}

// TestAddBetweenInverse checks Between(t, Add(t, d)) == d for random
// starts and durations over several years.
func TestAddBetweenInverse(t *testing.T) {
	c := office(t)
	rng := rand.New(rand.NewPCG(1, 2))
	base := at(t, "2025-01-01T00:00:00+02:00")
	for i := 0; i < 2000; i++ {
		start := base.Add(time.Duration(rng.Int64N(int64(4 * 365 * 24 * time.Hour))))
		d := time.Duration(rng.Int64N(int64(60*time.Hour))) / time.Minute * time.Minute
		end := c.Add(start, d)
		if got := c.Between(start, end); got != d {
			t.Fatalf("start %s d %s: Between(start, Add) = %s", start, d, got)
		}
	}
}

func TestDateKey(t *testing.T) {
	var b [10]byte
	for _, d := range []time.Time{time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(987, 1, 2, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(dateKey(&b, d.Year(), d.Month(), d.Day())), d.Format("2006-01-02"); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
