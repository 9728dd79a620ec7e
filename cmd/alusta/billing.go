package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/report"
)

// billingView is how billing files are written: in lang ("" means the
// portal's locale from mapping.yaml), with the mapped business ID property,
// the currency and the VAT rates of the settings.
func (a *app) billingView(lang string) (*report.BillingView, error) {
	m, err := loadMapping(a.cfg.Mappings.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		// Reports need the cache, not the rules: without a mapping
		// folder the default mapping's names and language apply.
		m, err = mappings.Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	p := m.Printer()
	if lang != "" {
		if p, err = locale.New(lang); err != nil {
			return nil, fmt.Errorf("report: --lang: %w", err)
		}
	}
	vat, err := report.ParseVAT(a.cfg.Reports.VAT)
	if err != nil {
		return nil, err
	}
	return &report.BillingView{Printer: p, BusinessIDProperty: "business_id",
		Currency: a.cfg.Reports.Currency, VAT: vat}, nil
}
