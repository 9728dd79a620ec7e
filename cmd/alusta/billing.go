package main

import (
	"fmt"

	"github.com/alusta/alusta/config"
	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/report"
)

// exporterOptions are the report files' settings: the portal's mapping m
// (the referral pipeline, the locale) and how billing files are written,
// in lang ("" means the portal's locale from mapping.yaml) with the mapped
// business ID property, the currency and the VAT rates of the settings.
func (a *app) exporterOptions(m *mappings.Mapping, lang string) (report.ExporterOptions, error) {
	view, err := billingView(m, lang, a.cfg.Reports)
	if err != nil {
		return report.ExporterOptions{}, err
	}
	return report.ExporterOptions{Loc: a.cfg.Reports.Location, Mapping: m, Billing: view}, nil
}

func billingView(m *mappings.Mapping, lang string, cfg config.Reports) (*report.BillingView, error) {
	var err error
	p := m.Printer()
	if lang != "" {
		if p, err = locale.New(lang); err != nil {
			return nil, fmt.Errorf("report: --lang: %w", err)
		}
	}
	vat, err := report.ParseVAT(cfg.VAT)
	if err != nil {
		return nil, err
	}
	return &report.BillingView{Printer: p, BusinessIDProperty: "business_id",
		Currency: cfg.Currency, VAT: vat}, nil
}
