package hubspot

import (
	"testing"
	"time"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want float64
		ok   bool
	}{
		{"integer", "3", 3, true},
		{"decimal point", "2.5", 2.5, true},
		{"decimal comma", "2,5", 2.5, true},
		{"spaces", " 10 ", 10, true},
		{"negative", "-1", -1, true},
		{"trailing letters", "12abc", 0, false},
		{"NaN", "NaN", 0, false},
		{"infinity", "Inf", 0, false},
		{"empty", "", 0, false},
		{"thousands and decimals", "1,000.5", 0, false},
		{"two commas", "1,0,0", 0, false},
		{"word", "kymmenen", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNumber(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseNumber(%q): got %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Time
		ok   bool
	}{
		{"RFC 3339", "2026-02-10T10:00:00Z", want, true},
		{"RFC 3339 with offset", "2026-02-10T12:00:00+02:00", want, true},
		{"epoch milliseconds", "1770717600000", want, true},
		{"date", "2026-02-10", time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), true},
		{"empty", "", time.Time{}, false},
		{"identity code", "040253-914B", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if (err == nil) != tt.ok || !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q): got %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}
