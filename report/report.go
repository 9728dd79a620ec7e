// Package report computes alusta's reporting extracts (billing basis, SLA
// compliance, provider quality, coordinator workload, welfare referrals)
// from the SQLite cache, exports them as CSV and XLSX files that are never
// half-written, records every run and exports them nightly. It is a top-level package because the
// mandated layout (cmd, config, connector, pipelines, mappings) has no home
// for reporting, and reporting is a job of its own on top of package store.
package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

// Kind is how a column's values are typed, formatted and summed.
type Kind int

// Column kinds. Text values are string, Int int64, Decimal float64 (two
// decimals shown), Money int64 cents, Date time.Time (a calendar day),
// Month a "YYYY-MM" string that XLSX shows as a real date formatted yyyy-mm.
// A nil value is an empty cell.
const (
	Text Kind = iota
	Int
	Decimal
	Money
	Date
	Month
)

// Column is one column of a report.
type Column struct {
	Name string
	Kind Kind
	// Sum marks a column the totals row adds up.
	Sum bool
}

// Table is a computed report.
type Table struct {
	Report  string
	Period  Period
	Columns []Column
	Rows    [][]any
	// Problems names the records of the period left out because they are
	// bad ("deal 42, field units: ..."), so that nobody sends an
	// incomplete report believing it whole.
	Problems []string
	// TotalLabel labels the totals row; "" means "total".
	TotalLabel string
}

// Total is the totals row's cell of the column named name (nil for a
// column that is not summed or does not exist): callers read columns by
// name, since a position breaks silently when the columns change.
func (t *Table) Total(name string) any {
	for i, c := range t.Columns {
		if c.Name == name {
			return t.Totals()[i]
		}
	}
	return nil
}

// Totals is the totals row: the label in the first column, the sum of each
// Sum column, empty cells elsewhere.
func (t *Table) Totals() []any {
	out := make([]any, len(t.Columns))
	out[0] = "total"
	if t.TotalLabel != "" {
		out[0] = t.TotalLabel
	}
	for i, c := range t.Columns {
		if !c.Sum {
			continue
		}
		switch c.Kind {
		case Int, Money:
			var s int64
			for _, r := range t.Rows {
				if v, ok := r[i].(int64); ok {
					s += v
				}
			}
			out[i] = s
		case Decimal:
			var s float64
			for _, r := range t.Rows {
				if v, ok := r[i].(float64); ok {
					s += v
				}
			}
			out[i] = math.Round(s*100) / 100
		}
	}
	return out
}

// Period is a half-open span of local days: a month (label YYYY-MM) or a
// day (label YYYY-MM-DD).
type Period struct {
	Label string
	From  time.Time
	To    time.Time
}

// IsMonth reports whether the period is a whole month.
func (p Period) IsMonth() bool { return len(p.Label) == len("2006-01") }

// rowPeriod is what a report's row says for its period: month (YYYY-MM)
// in a month's export; in a day's export the day, as every report's rows
// do.
func (p Period) rowPeriod(month string) string {
	if p.IsMonth() {
		return month
	}
	return p.Label
}

// ParsePeriod reads "YYYY-MM" or "YYYY-MM-DD" in loc.
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	if t, err := time.ParseInLocation("2006-01", s, loc); err == nil {
		return Period{Label: s, From: t, To: t.AddDate(0, 1, 0)}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return Period{Label: s, From: t, To: t.AddDate(0, 0, 1)}, nil
	}
	return Period{}, fmt.Errorf("report: period %q: want YYYY-MM or YYYY-MM-DD", s)
}

// MonthOf is the month containing t in loc.
func MonthOf(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	p, _ := ParsePeriod(t.Format("2006-01"), loc)
	return p
}

// DayOf is the day containing t in loc.
func DayOf(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	p, _ := ParsePeriod(t.Format("2006-01-02"), loc)
	return p
}

func (p Period) contains(t time.Time) bool {
	return !t.IsZero() && !t.Before(p.From) && t.Before(p.To)
}

// Env is what a report is computed from.
type Env struct {
	Store *store.Store
	// Loc is the reporting time zone (Europe/Helsinki).
	Loc *time.Location
	// Now is the clock; corrections are dated by it.
	Now func() time.Time
	// Mapping names the referral pipeline and properties; the referrals
	// report needs it.
	Mapping *mappings.Mapping
}

// Report is one report definition.
type Report struct {
	Name  string
	Title string
	// Build computes the report for a period.
	Build func(ctx context.Context, env Env, p Period) (*Table, error)
}

// Reports lists the reports in the order they are exported.
func Reports() []Report {
	return []Report{
		{Name: "billing", Title: "Billing basis (laskutusperuste)", Build: buildBilling},
		{Name: "sla", Title: "SLA compliance", Build: buildSLA},
		{Name: "quality", Title: "Provider quality", Build: buildQuality},
		{Name: "workload", Title: "Coordinator workload", Build: buildWorkload},
		{Name: "referrals", Title: "Welfare referrals (hyvinvointilähetteet)", Build: buildReferrals},
	}
}

// Lookup finds a report by name.
func Lookup(name string) (Report, error) {
	var names []string
	for _, r := range Reports() {
		if r.Name == name {
			return r, nil
		}
		names = append(names, r.Name)
	}
	return Report{}, fmt.Errorf("report: unknown report %q (want %s)", name, strings.Join(names, ", "))
}

// Build computes a report and saves its rows in report_rows for BI tools
// that open the database (the v_report_* views).
func Build(ctx context.Context, env Env, name string, p Period) (*Table, error) {
	r, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if env.Now == nil {
		env.Now = env.Store.Now
	}
	t, err := r.Build(ctx, env, p)
	if err != nil {
		return nil, fmt.Errorf("report: %s %s: %w", name, p.Label, err)
	}
	if err := saveRows(ctx, env.Store.DB(), t); err != nil {
		return nil, fmt.Errorf("report: %s %s: save rows: %w", name, p.Label, err)
	}
	return t, nil
}

func saveRows(ctx context.Context, db *sql.DB, t *Table) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM report_rows WHERE report = ? AND period = ?`, t.Report, t.Period.Label); err != nil {
		return err
	}
	for i, r := range t.Rows {
		b, err := encodeRow(t.Columns, r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_rows (report, period, position, row) VALUES (?, ?, ?, ?)`,
			t.Report, t.Period.Label, i, b); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// encodeRow is a row as a JSON object keyed by column name, in column
// order: money in euros, dates as YYYY-MM-DD. Names, not positions, so
// that a view or a BI query reading a cell survives a column added or
// moved.
func encodeRow(cols []Column, r []any) (string, error) {
	out := make([]any, len(r))
	for i, v := range r {
		switch x := v.(type) {
		case nil:
		case int64:
			if cols[i].Kind == Money {
				out[i] = json.Number(formatCents(x, '.'))
			} else {
				out[i] = x
			}
		case float64:
			out[i] = json.Number(strconv.FormatFloat(x, 'f', 2, 64))
		case time.Time:
			out[i] = x.Format("2006-01-02")
		case string:
			out[i] = x
		default:
			return "", fmt.Errorf("column %s: unsupported value %T", cols[i].Name, v)
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(c.Name)
		if err != nil {
			return "", err
		}
		v, err := json.Marshal(out[i])
		if err != nil {
			return "", fmt.Errorf("column %s: %w", c.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String(), nil
}

// decodeRow is encodeRow's inverse. A JSON array is a row saved before
// rows were keyed by name (billing months locked then), read by position.
func decodeRow(cols []Column, s string) ([]any, error) {
	var raw []json.RawMessage
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, err
		}
		if len(raw) != len(cols) {
			return nil, fmt.Errorf("row has %d cells, want %d", len(raw), len(cols))
		}
	} else {
		var byName map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &byName); err != nil {
			return nil, err
		}
		raw = make([]json.RawMessage, len(cols))
		for i, c := range cols {
			m, ok := byName[c.Name]
			if !ok {
				return nil, fmt.Errorf("row has no column %s", c.Name)
			}
			raw[i] = m
		}
	}
	out := make([]any, len(cols))
	for i, m := range raw {
		if string(m) == "null" {
			continue
		}
		switch cols[i].Kind {
		case Text, Month:
			var v string
			if err := json.Unmarshal(m, &v); err != nil {
				return nil, err
			}
			out[i] = v
		case Date:
			var v string
			if err := json.Unmarshal(m, &v); err != nil {
				return nil, err
			}
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return nil, err
			}
			out[i] = t
		case Int:
			v, err := strconv.ParseInt(string(m), 10, 64)
			if err != nil {
				return nil, err
			}
			out[i] = v
		case Money:
			v, err := strconv.ParseFloat(string(m), 64)
			if err != nil {
				return nil, err
			}
			out[i] = int64(math.Round(v * 100))
		case Decimal:
			v, err := strconv.ParseFloat(string(m), 64)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
	}
	return out, nil
}

// FormatEuros prints cents as euros with a decimal point: 1234 is 12.34.
func FormatEuros(cents int64) string { return formatCents(cents, '.') }

// formatCents prints cents as euros with two decimals.
func formatCents(c int64, point byte) string {
	sign, m := "", uint64(c)
	if c < 0 {
		// In uint64 the magnitude of every int64, math.MinInt64 too,
		// is exact.
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d%c%02d", sign, m/100, point, m%100)
}

// parseCRMTime reads a HubSpot datetime or date property.
func parseCRMTime(s string) (time.Time, bool) {
	t, err := hubspot.ParseTime(s)
	return t, err == nil
}

// parseNumber reads a CRM number as every part of alusta does.
func parseNumber(s string) (float64, bool) {
	v, err := hubspot.ParseNumber(s)
	return v, err == nil
}

// providerNames maps company ids to names.
func providerNames(ctx context.Context, s *store.Store) (map[string]store.Record, error) {
	recs, err := s.Records(ctx, "companies", store.Filter{IncludeArchived: true})
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Record, len(recs))
	for _, r := range recs {
		out[r.ID] = r
	}
	return out, nil
}

// columnIndex maps column names to their positions, so that code reading
// a row's cells names them.
func columnIndex(cols []Column) map[string]int {
	out := make(map[string]int, len(cols))
	for i, c := range cols {
		out[c.Name] = i
	}
	return out
}

// sortRows orders rows stably by less.
func sortRows(rows [][]any, less func(a, b []any) bool) {
	sort.SliceStable(rows, func(i, j int) bool { return less(rows[i], rows[j]) })
}
