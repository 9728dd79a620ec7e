package pipelines

import (
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

func TestHubspotTime(t *testing.T) {
	hki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	tests := []struct {
		name string
		t    time.Time
	}{
		{"utc", time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)},
		{"helsinki, into the previous day", time.Date(2026, 1, 1, 1, 2, 3, 999_999_999, hki)},
		{"milliseconds truncated", time.Date(2026, 6, 30, 23, 59, 59, 123_999_000, time.UTC)},
		{"year one", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"zero", time.Time{}},
		{"year 10000", time.Date(10000, 3, 4, 5, 6, 7, 8_000_000, time.UTC)},
		{"negative year", time.Date(-5, 3, 4, 5, 6, 7, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := string(appendHubspotTime(nil, tt.t)), tt.t.UTC().Format(hubspot.TimeFormat)
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if got := string(appendHubspotTime([]byte("due "), tt.t)); got != "due "+want {
				t.Errorf("appended: got %q, want %q", got, "due "+want)
			}
		})
	}
}
