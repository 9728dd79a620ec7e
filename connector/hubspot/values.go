package hubspot

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseNumber reads a number property the way every part of alusta must
// agree on: HubSpot sends numbers as strings ("2.5"), and values typed
// into text properties may carry a decimal comma ("2,5") or spaces around
// them. Anything else ("12abc", "NaN", "Inf", "") is an error.
func ParseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return v, nil
}

// errNoTime is ParseTime's error for an empty value.
var errNoTime = errors.New("no time given")

// ParseTime reads a datetime or date property: RFC 3339 (as the v3 API
// sends datetimes), epoch milliseconds (as older APIs and exports do) or a
// plain date (midnight UTC, as HubSpot stores date properties).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errNoTime
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}
