package report

import "time"

// WeekStart is the Monday 00:00 in loc of t's ISO week, the week the
// workload report counts in; the console groups by the same weeks so that
// its figures and the exports agree.
func WeekStart(t time.Time, loc *time.Location) time.Time { return weekStart(t, loc) }

// ParseCRMTime reads a HubSpot datetime property as the reports do.
func ParseCRMTime(s string) (time.Time, bool) { return parseCRMTime(s) }
