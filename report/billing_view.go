package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/store"
)

// BillingView is the billing basis as the billing clerk receives it: headers
// and words in the export's language, the provider's business ID (Y-tunnus)
// from a company property, the currency, and VAT per service. The basis
// itself (Build, Lock) stays language-free; the view is applied when a file
// is written.
type BillingView struct {
	Printer *locale.Printer
	// BusinessIDProperty is the cached company value holding the Y-tunnus,
	// under alusta's name (business_id: records reach the store translated).
	BusinessIDProperty string
	// Currency is the ISO 4217 code of the amounts, EUR by default.
	Currency string
	// VAT holds rates per service in basis points (1/100 of a percent);
	// a service not listed is VAT-exempt, as social services in Finland are.
	VAT map[string]int64
}

// ParseVAT reads reports.vat: "ateria:14;kauppa:25.5" (percent per
// service). An empty text means every service is exempt.
func ParseVAT(s string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		svc, rate, ok := strings.Cut(part, ":")
		svc, rate = strings.TrimSpace(svc), strings.ReplaceAll(strings.TrimSpace(rate), ",", ".")
		bp, err := basisPoints(rate)
		if !ok || svc == "" || err != nil || bp < 0 || bp > 10000 {
			return nil, fmt.Errorf("report: vat %q: want service:percent, such as kauppa:25.5", part)
		}
		out[svc] = bp
	}
	return out, nil
}

// basisPoints reads a percent with at most two decimals exactly.
func basisPoints(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("more than two decimals")
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseUint(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return w*100 + int64(f), nil
}

// vatCents is the VAT on a net amount, rounded half away from zero to the
// cent, in integers so that no cent is lost to floating point.
func vatCents(net, bp int64) int64 {
	n := net * bp
	if n < 0 {
		return -((-n + 5000) / 10000)
	}
	return (n + 5000) / 10000
}

// billingViewColumns are the view's columns; each name is also the
// catalogue id suffix of its header (billing.column.NAME).
var billingViewColumns = []Column{
	{Name: "month", Kind: Month},
	{Name: "kind", Kind: Text},
	{Name: "provider_id", Kind: Text},
	{Name: "provider", Kind: Text},
	{Name: "business_id", Kind: Text},
	{Name: "service", Kind: Text},
	{Name: "payer", Kind: Text},
	{Name: "unit", Kind: Text},
	{Name: "orders", Kind: Int, Sum: true},
	{Name: "units", Kind: Decimal},
	{Name: "unit_price", Kind: Money},
	{Name: "currency", Kind: Text},
	{Name: "total", Kind: Money, Sum: true},
	{Name: "vat_rate", Kind: Decimal},
	{Name: "vat", Kind: Money, Sum: true},
	{Name: "total_with_vat", Kind: Money, Sum: true},
}

// Apply returns the billing table t as the view shows it.
func (v *BillingView) Apply(ctx context.Context, s *store.Store, t *Table) (*Table, error) {
	p := v.Printer
	ids := map[string]string{}
	if v.BusinessIDProperty != "" {
		companies, err := s.Records(ctx, "companies", store.Filter{IncludeArchived: true})
		if err != nil {
			return nil, fmt.Errorf("report: billing view: %w", err)
		}
		for _, c := range companies {
			ids[c.ID] = strings.TrimSpace(c.Prop(v.BusinessIDProperty))
		}
	}
	currency := v.Currency
	if currency == "" {
		currency = "EUR"
	}
	col := map[string]int{}
	for i, c := range t.Columns {
		col[c.Name] = i
	}
	for _, c := range billingColumns {
		if _, ok := col[c.Name]; !ok {
			return nil, fmt.Errorf("report: billing view: the billing basis has no column %q", c.Name)
		}
	}
	out := &Table{Report: t.Report, Period: t.Period, Problems: t.Problems, TotalLabel: p.T("billing.total")}
	for _, c := range billingViewColumns {
		id := "billing.column." + c.Name
		if c.Name == "month" && !t.Period.IsMonth() {
			// A day's export holds the day on its own rows and the
			// month a correction corrects on the others.
			id = "billing.column.period"
		}
		c.Name = p.T(id)
		out.Columns = append(out.Columns, c)
	}
	for _, r := range t.Rows {
		get := func(name string) any { return r[col[name]] }
		text := func(name string) string { s, _ := get(name).(string); return s }
		net, _ := get("total").(int64)
		bp := v.VAT[text("service")]
		vat := vatCents(net, bp)
		out.Rows = append(out.Rows, []any{
			get("month"), p.T("billing.kind." + text("kind")), get("provider_id"), get("provider"), ids[text("provider_id")],
			get("service"), payerWord(p, text("payer")), get("unit"), get("orders"), get("units"), get("unit_price"),
			currency, net, float64(bp) / 100, vat, net + vat,
		})
	}
	return out, nil
}

// payerWord names the payers the mapping knows in the export's language and
// leaves any other value as the CRM holds it.
func payerWord(p *locale.Printer, payer string) string {
	switch payer {
	case "city", "client":
		return p.T("billing.payer." + payer)
	}
	return payer
}
