package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alusta/alusta/store"
)

// billingColumns are the billing basis columns. A row is one month ×
// provider × service × payer × unit × unit price, of one kind: original
// (delivered in the month), correction (a locked month's order as it now
// stands) or refund (the locked figures reversed). In a day's export an
// original row's period is that day; a correction or a refund names the
// month it corrects in either export.
var billingColumns = []Column{
	{Name: "month", Kind: Month},
	{Name: "kind", Kind: Text},
	{Name: "provider_id", Kind: Text},
	{Name: "provider", Kind: Text},
	{Name: "service", Kind: Text},
	{Name: "payer", Kind: Text},
	{Name: "unit", Kind: Text},
	{Name: "orders", Kind: Int, Sum: true},
	{Name: "units", Kind: Decimal},
	{Name: "unit_price", Kind: Money},
	{Name: "total", Kind: Money, Sum: true},
}

// billingLine is one delivered order as billing sees it.
type billingLine struct {
	DealID     string
	Month      string
	Close      time.Time
	Provider   string
	Service    string
	Payer      string
	Unit       string
	UnitsMilli int64
	PriceCents int64
	TotalCents int64
}

// same reports whether two lines bill the same thing.
func (l billingLine) same(o billingLine) bool {
	return l.Month == o.Month && l.Provider == o.Provider && l.Service == o.Service && l.Payer == o.Payer &&
		l.Unit == o.Unit && l.UnitsMilli == o.UnitsMilli && l.PriceCents == o.PriceCents && l.TotalCents == o.TotalCents
}

// wonStages is the set of deal stages that mean delivered: probability 1.0
// (closed won) or labelled Toteutunut. With no stages cached, the ids
// closedwon and toteutunut.
func wonStages(ctx context.Context, s *store.Store) (map[string]bool, error) {
	stages, err := s.Stages(ctx, "deals")
	if err != nil {
		return nil, err
	}
	won := make(map[string]bool)
	for _, st := range stages {
		if st.Probability == 1 || strings.EqualFold(st.Label, "Toteutunut") {
			won[st.StageID] = true
		}
	}
	if len(stages) == 0 {
		won["closedwon"], won["toteutunut"] = true, true
	}
	return won, nil
}

// Bounds on the figures billing takes from a deal. HubSpot keeps amount and
// alusta_units as free numbers, so a typo (a phone number or an identity
// code pasted into amount) arrives as a figure. A deal outside them is left
// out and named. They keep every stored figure far inside int64: a line's
// cents are at most 1e9 and its thousandths of a unit at most 1e8, so no
// sum of the lines a cache can hold, no negation for a refund and no
// product of price and units can overflow.
const (
	// MaxAmount is the largest amount, total or unit price of one deal, in
	// euros.
	MaxAmount = 10_000_000
	// MaxUnits is the most units one deal may bill.
	MaxUnits = 100_000

	maxCents      = MaxAmount * 100
	maxUnitsMilli = MaxUnits * 1000
)

// errOverflow is a sum of cents or units beyond what a report can hold;
// the bounds above make it unreachable for any cache that fits in memory.
var errOverflow = errors.New("billing: sum overflows")

// addChecked adds two figures, failing where int64 would wrap.
func addChecked(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, errOverflow
	}
	return s, nil
}

// check reports a line whose figures are outside the bounds, so that no
// such figure is ever stored.
func (l billingLine) check() error {
	if l.UnitsMilli < 1 || l.UnitsMilli > maxUnitsMilli || l.PriceCents < 1 || l.PriceCents > maxCents ||
		l.TotalCents < 1 || l.TotalCents > maxCents {
		return fmt.Errorf("billing: deal %s: figures out of bounds (units %d/1000, unit price %d cents, total %d cents)",
			l.DealID, l.UnitsMilli, l.PriceCents, l.TotalCents)
	}
	return nil
}

// parsePrices reads a provider's prices ("siivous:34.50;kauppa:18.00").
// A price that is not a number above 0 and at most MaxAmount is left out,
// so that the deal is named as having no price.
func parsePrices(s string) map[string]int64 {
	out := make(map[string]int64)
	for _, part := range strings.Split(s, ";") {
		svc, price, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			continue
		}
		if v, ok := parseNumber(price); ok && v > 0 && v <= MaxAmount {
			if c := int64(math.Round(v * 100)); c > 0 {
				out[strings.TrimSpace(svc)] = c
			}
		}
	}
	return out
}

type problem struct {
	id, field, reason string
	// close is the deal's close date, zero when it has none that parses.
	close time.Time
}

// String names the record and alusta's field, for the person who fixes it
// in the CRM.
func (p problem) String() string {
	// The reason quotes a property value, which may hold anything a
	// person typed; identity codes are masked as the store masks them.
	return store.Redact(fmt.Sprintf("deal %s, field %s: %s", p.id, p.field, strings.TrimPrefix(p.reason, "billing: ")))
}

// clip shortens a quoted value: a problem names the property, and the
// value only needs to be recognisable.
func clip(s string) string {
	const n = 40
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// problemsIn lists the problems that concern period p: deals delivered in
// it, and deals whose close date is missing, which might be.
func problemsIn(probs []problem, p Period) []string {
	var out []string
	for _, pr := range probs {
		if pr.close.IsZero() || (!pr.close.Before(p.From) && pr.close.Before(p.To)) {
			out = append(out, pr.String())
		}
	}
	return out
}

// billingLines computes the current line of every delivered deal. Deals
// that cannot be billed are returned as problems, to be recorded.
func billingLines(ctx context.Context, env Env) (map[string]billingLine, []problem, error) {
	won, err := wonStages(ctx, env.Store)
	if err != nil {
		return nil, nil, err
	}
	companies, err := providerNames(ctx, env.Store)
	if err != nil {
		return nil, nil, err
	}
	deals, err := env.Store.Records(ctx, "deals", store.Filter{})
	if err != nil {
		return nil, nil, err
	}
	lines := make(map[string]billingLine)
	var probs []problem
	for _, d := range deals {
		if !won[d.Prop("stage")] {
			continue
		}
		l := billingLine{DealID: d.ID, Provider: d.Prop("provider"), Service: d.Prop("service"),
			Payer: d.Prop("payer"), Unit: d.Prop("unit")}
		closeAt, ok := parseCRMTime(d.Prop("close_date"))
		if !ok {
			probs = append(probs, problem{d.ID, "close_date", fmt.Sprintf("billing: delivered deal has no valid close date (%q)", d.Prop("close_date")), time.Time{}})
			continue
		}
		l.Close = closeAt
		l.Month = closeAt.In(env.Loc).Format("2006-01")
		if l.Provider == "" {
			probs = append(probs, problem{d.ID, "provider", "billing: delivered deal has no provider", closeAt})
			continue
		}
		if l.Payer != "city" && l.Payer != "client" {
			probs = append(probs, problem{d.ID, "payer", fmt.Sprintf("billing: payer %q is not city or client", l.Payer), closeAt})
			continue
		}
		units, ok := parseNumber(d.Prop("units"))
		if !ok || units <= 0 || units > MaxUnits {
			probs = append(probs, problem{d.ID, "units", fmt.Sprintf("billing: units %q is not a number above 0 and at most %d", clip(d.Prop("units")), MaxUnits), closeAt})
			continue
		}
		l.UnitsMilli = int64(math.Round(units * 1000))
		if l.UnitsMilli < 1 {
			probs = append(probs, problem{d.ID, "units", fmt.Sprintf("billing: units %q round to 0 at three decimals", clip(d.Prop("units"))), closeAt})
			continue
		}
		if raw := strings.TrimSpace(d.Prop("amount")); raw != "" {
			// An amount given is the price agreed: one that makes no
			// sense is named, never replaced by the list price.
			amount, ok := parseNumber(raw)
			if !ok || amount <= 0 || amount > MaxAmount {
				probs = append(probs, problem{d.ID, "amount", fmt.Sprintf("billing: amount %q is not a number above 0 and at most %d", clip(raw), MaxAmount), closeAt})
				continue
			}
			l.TotalCents = int64(math.Round(amount * 100))
			l.PriceCents = int64(math.Round(amount * 100 / units))
		} else if price, ok := parsePrices(companies[l.Provider].Prop("prices"))[l.Service]; ok {
			l.PriceCents = price
			l.TotalCents = int64(math.Round(float64(price) * units))
		} else {
			probs = append(probs, problem{d.ID, "amount", fmt.Sprintf("billing: no amount and provider %s has no valid price for %q", l.Provider, l.Service), closeAt})
			continue
		}
		if l.TotalCents < 1 || l.TotalCents > maxCents || l.PriceCents < 1 || l.PriceCents > maxCents {
			probs = append(probs, problem{d.ID, "amount", fmt.Sprintf("billing: total %s EUR at unit price %s EUR for %s units is not above 0 and at most %d",
				formatCents(l.TotalCents, '.'), formatCents(l.PriceCents, '.'), strconv.FormatFloat(units, 'f', -1, 64), MaxAmount), closeAt})
			continue
		}
		lines[d.ID] = l
	}
	return lines, probs, nil
}

// billingState is what the billing tables hold.
type billingState struct {
	locked map[string]bool
	billed map[string]billingLine
}

func loadBillingState(ctx context.Context, tx *sql.Tx) (billingState, error) {
	st := billingState{locked: make(map[string]bool), billed: make(map[string]billingLine)}
	rows, err := tx.QueryContext(ctx, `SELECT month FROM billing_locks`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return st, err
		}
		st.locked[m] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows, err = tx.QueryContext(ctx, `
SELECT deal_id, month, provider_id, service, payer, unit, units_milli, price_cents, total_cents FROM billing_billed`)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var l billingLine
		if err := rows.Scan(&l.DealID, &l.Month, &l.Provider, &l.Service, &l.Payer, &l.Unit, &l.UnitsMilli, &l.PriceCents, &l.TotalCents); err != nil {
			return st, err
		}
		st.billed[l.DealID] = l
	}
	return st, rows.Err()
}

func saveBilled(ctx context.Context, tx *sql.Tx, l billingLine) error {
	if err := l.check(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO billing_billed (deal_id, month, provider_id, service, payer, unit, units_milli, price_cents, total_cents)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (deal_id) DO UPDATE SET month = excluded.month, provider_id = excluded.provider_id, service = excluded.service,
    payer = excluded.payer, unit = excluded.unit, units_milli = excluded.units_milli, price_cents = excluded.price_cents,
    total_cents = excluded.total_cents`,
		l.DealID, l.Month, l.Provider, l.Service, l.Payer, l.Unit, l.UnitsMilli, l.PriceCents, l.TotalCents)
	return err
}

func addCorrection(ctx context.Context, tx *sql.Tx, now time.Time, loc *time.Location, kind string, l billingLine, sign int64) error {
	if err := l.check(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO billing_corrections (seen_month, orig_month, deal_id, kind, provider_id, service, payer, unit, units_milli, price_cents, total_cents, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		now.In(loc).Format("2006-01"), l.Month, l.DealID, kind, l.Provider, l.Service, l.Payer, l.Unit,
		sign*l.UnitsMilli, l.PriceCents, sign*l.TotalCents, now.UTC().Format(store.TimeLayout))
	return err
}

// recordCorrections turns every difference between what locked months billed and
// what the deals now say into refund and correction rows, dated now: a
// changed order is refunded and billed again as it stands, a removed one
// refunded, and one delivered late into a locked month billed as a
// correction. Nothing billed is ever rewritten.
func recordCorrections(ctx context.Context, tx *sql.Tx, env Env, lines map[string]billingLine, st billingState) error {
	now := env.Now()
	for _, id := range sortedKeys(st.billed) {
		b := st.billed[id]
		cur, ok := lines[id]
		if ok && cur.same(b) {
			continue
		}
		if err := addCorrection(ctx, tx, now, env.Loc, "refund", b, -1); err != nil {
			return err
		}
		if !ok {
			if _, err := tx.ExecContext(ctx, `DELETE FROM billing_billed WHERE deal_id = ?`, id); err != nil {
				return err
			}
			delete(st.billed, id)
			continue
		}
		if err := addCorrection(ctx, tx, now, env.Loc, "correction", cur, 1); err != nil {
			return err
		}
		if err := saveBilled(ctx, tx, cur); err != nil {
			return err
		}
		st.billed[id] = cur
	}
	for _, id := range sortedKeys(lines) {
		l := lines[id]
		if _, billed := st.billed[id]; billed || !st.locked[l.Month] {
			continue
		}
		if err := addCorrection(ctx, tx, now, env.Loc, "correction", l, 1); err != nil {
			return err
		}
		if err := saveBilled(ctx, tx, l); err != nil {
			return err
		}
		st.billed[id] = l
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// billingRows computes a period's rows inside tx, after recordCorrections.
func billingRows(ctx context.Context, tx *sql.Tx, env Env, p Period, lines map[string]billingLine, st billingState) ([][]any, error) {
	names, err := providerNames(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	type key struct {
		month, kind, provider, service, payer, unit string
		price                                       int64
	}
	type agg struct {
		orders, units, total int64
	}
	groups := make(map[key]*agg)
	add := func(k key, orders, units, total int64) error {
		a := groups[k]
		if a == nil {
			a = &agg{}
			groups[k] = a
		}
		var err error
		a.orders += orders
		if a.units, err = addChecked(a.units, units); err == nil {
			a.total, err = addChecked(a.total, total)
		}
		if err != nil {
			return fmt.Errorf("%s %s provider %s service %s: %w", k.month, k.kind, k.provider, k.service, err)
		}
		return nil
	}
	for _, l := range lines {
		if _, billed := st.billed[l.DealID]; billed {
			continue
		}
		if p.IsMonth() && l.Month != p.Label || !p.IsMonth() && !p.contains(l.Close) {
			continue
		}
		// A correction, unlike this, keeps the month it corrects.
		if err := add(key{p.rowPeriod(l.Month), "original", l.Provider, l.Service, l.Payer, l.Unit, l.PriceCents}, 1, l.UnitsMilli, l.TotalCents); err != nil {
			return nil, err
		}
	}
	rows, err := tx.QueryContext(ctx, `
SELECT orig_month, kind, provider_id, service, payer, unit, units_milli, price_cents, total_cents, seen_month, created_at
FROM billing_corrections ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var units, total int64
		var seen, created string
		if err := rows.Scan(&k.month, &k.kind, &k.provider, &k.service, &k.payer, &k.unit, &units, &k.price, &total, &seen, &created); err != nil {
			return nil, err
		}
		at, err := store.ParseTime(created)
		if err != nil {
			return nil, err
		}
		if p.IsMonth() && seen != p.Label || !p.IsMonth() && !p.contains(at) {
			continue
		}
		orders := int64(1)
		if k.kind == "refund" {
			orders = -1
		}
		if err := add(k, orders, units, total); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([][]any, 0, len(groups))
	for k, a := range groups {
		out = append(out, []any{k.month, k.kind, k.provider, names[k.provider].Prop("name"), k.service, k.payer, k.unit,
			a.orders, float64(a.units) / 1000, k.price, a.total})
	}
	kindOrder := map[string]int{"original": 0, "correction": 1, "refund": 2}
	col := columnIndex(billingColumns)
	kind, price := col["kind"], col["unit_price"]
	by := []int{col["month"], col["provider"], col["provider_id"], col["service"], col["payer"], col["unit"]}
	sortRows(out, func(a, b []any) bool {
		if ka, kb := kindOrder[a[kind].(string)], kindOrder[b[kind].(string)]; ka != kb {
			return ka < kb
		}
		for _, i := range by {
			if x, y := a[i].(string), b[i].(string); x != y {
				return x < y
			}
		}
		return a[price].(int64) < b[price].(int64)
	})
	return out, nil
}

// billingTx computes lines, records unbillable deals, then runs fn in one
// transaction that has recorded the corrections of locked months. It returns the unbillable
// deals, so that the caller can name them.
func billingTx(ctx context.Context, env Env, fn func(tx *sql.Tx, lines map[string]billingLine, st billingState) error) ([]problem, error) {
	lines, probs, err := billingLines(ctx, env)
	if err != nil {
		return nil, err
	}
	for _, p := range probs {
		if err := env.Store.RecordRejected(ctx, "deals", p.id, p.field, p.reason); err != nil {
			return nil, err
		}
	}
	tx, err := env.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	st, err := loadBillingState(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := recordCorrections(ctx, tx, env, lines, st); err != nil {
		return nil, err
	}
	if err := fn(tx, lines, st); err != nil {
		return nil, err
	}
	return probs, tx.Commit()
}

func buildBilling(ctx context.Context, env Env, p Period) (*Table, error) {
	t := &Table{Report: "billing", Period: p, Columns: billingColumns}
	probs, err := billingTx(ctx, env, func(tx *sql.Tx, lines map[string]billingLine, st billingState) error {
		if p.IsMonth() && st.locked[p.Label] {
			rows, err := lockedRows(ctx, tx, p.Label)
			t.Rows = rows
			return err
		}
		rows, err := billingRows(ctx, tx, env, p, lines, st)
		t.Rows = rows
		return err
	})
	if err != nil {
		return nil, err
	}
	t.Problems = problemsIn(probs, p)
	return t, nil
}

func lockedRows(ctx context.Context, tx *sql.Tx, month string) ([][]any, error) {
	rows, err := tx.QueryContext(ctx, `SELECT row FROM billing_locked_rows WHERE month = ? ORDER BY position`, month)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := [][]any{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		r, err := decodeRow(billingColumns, s)
		if err != nil {
			return nil, fmt.Errorf("locked row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrLocked is returned when locking a month already locked.
var ErrLocked = errors.New("already locked")

// Lock freezes the billing basis of a month that has ended: its rows as
// they stand are kept as they are, and a later change to one of its orders
// produces refund and correction rows in the month the change is seen.
func Lock(ctx context.Context, env Env, month string) (*Table, error) {
	if env.Now == nil {
		env.Now = env.Store.Now
	}
	p, err := ParsePeriod(month, env.Loc)
	if err != nil || !p.IsMonth() {
		return nil, fmt.Errorf("report: lock %s: want a month YYYY-MM", month)
	}
	if env.Now().Before(p.To) {
		return nil, fmt.Errorf("report: lock %s: the month has not ended", month)
	}
	t := &Table{Report: "billing", Period: p, Columns: billingColumns}
	probs, err := billingTx(ctx, env, func(tx *sql.Tx, lines map[string]billingLine, st billingState) error {
		if st.locked[month] {
			return ErrLocked
		}
		rows, err := billingRows(ctx, tx, env, p, lines, st)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO billing_locks (month, locked_at) VALUES (?, ?)`,
			month, env.Now().UTC().Format(store.TimeLayout)); err != nil {
			return err
		}
		for i, r := range rows {
			b, err := encodeRow(billingColumns, r)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO billing_locked_rows (month, position, row) VALUES (?, ?, ?)`, month, i, b); err != nil {
				return err
			}
		}
		for _, id := range sortedKeys(lines) {
			l := lines[id]
			if _, billed := st.billed[id]; billed || l.Month != month {
				continue
			}
			if err := saveBilled(ctx, tx, l); err != nil {
				return err
			}
		}
		t.Rows = rows
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: lock %s: %w", month, err)
	}
	t.Problems = problemsIn(probs, p)
	return t, nil
}

// LockedMonths lists the locked months, oldest first.
func LockedMonths(ctx context.Context, s *store.Store) ([]string, error) {
	rows, err := s.DB().QueryContext(ctx, `SELECT month FROM billing_locks ORDER BY month`)
	if err != nil {
		return nil, fmt.Errorf("report: locked months: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("report: locked months: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
