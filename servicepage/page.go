package servicepage

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/alusta/alusta/pipelines"
)

// option is one choice in a select.
type option struct {
	Value, Label string
	Selected     bool
}

type langLink struct {
	Code, Label, Href string
	Current           bool
}

type providerRow struct{ Service, Provider, Price, Languages string }

type providerGroup struct {
	Municipality string
	Rows         []providerRow
}

type activityRow struct{ Name, Where, Channel, Groups, Languages string }

type themeGroup struct {
	Theme string
	Rows  []activityRow
}

// formData is what the visitor typed, shown back when the form has
// errors; it lives for one response only.
type formData struct {
	Name, Contact, Service, Municipality, Message string
	Consent                                       bool
}

type formError struct{ Field, Text string }

// pageData is everything the templates show.
type pageData struct {
	C                                catalog
	Title                            string
	Langs                            []langLink
	Municipalities, Services, Themes []option
	FormServices, FormMunicipalities []option
	ProviderGroups                   []providerGroup
	ThemeGroups                      []themeGroup
	Form                             formData
	Errors                           []formError
	CSRF, RequestID                  string
}

// FieldError is the error shown at a form field, or "".
func (p *pageData) FieldError(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Text
		}
	}
	return ""
}

// register is the directory as the page shows it.
type register struct {
	providers  []pipelines.Provider
	activities []pipelines.Activity
	munis      []string
	services   []string
	themes     []string
}

func (h *Handler) register(r *http.Request) (*register, error) {
	providers, activities, err := h.dir.Companies(r.Context())
	if err != nil {
		return nil, err
	}
	reg := &register{}
	munis, services, themes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range providers {
		if !p.Active {
			continue
		}
		reg.providers = append(reg.providers, p)
		for _, a := range p.Areas {
			munis[a] = true
		}
		for _, s := range p.Services {
			services[s] = true
		}
	}
	for _, a := range activities {
		if !a.Active {
			continue
		}
		reg.activities = append(reg.activities, a)
		for _, m := range a.Areas {
			munis[m] = true
		}
		for _, t := range a.Themes {
			themes[t] = true
		}
	}
	reg.munis, reg.services, reg.themes = sortedSet(munis), sortedSet(services), sortedSet(themes)
	return reg, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// page serves GET /palvelut.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	c := language(r)
	reg, err := h.register(r)
	if err != nil {
		h.log.Error("service page: directory", "err", err)
		http.Error(w, c.t("err_unavailable"), http.StatusServiceUnavailable)
		return
	}
	d := h.data(w, r, c, reg)
	h.render(w, "page", d, http.StatusOK)
}

// data builds the page for the filters in r.
func (h *Handler) data(w http.ResponseWriter, r *http.Request, c catalog, reg *register) *pageData {
	q := r.URL.Query()
	kunta, palvelu, teema := q.Get("kunta"), q.Get("palvelu"), q.Get("teema")
	d := &pageData{C: c, Title: c.t("title"), CSRF: h.csrfToken(w, r), RequestID: newID()}
	for _, l := range languages {
		v := url.Values{"lang": {l}}
		for _, k := range []string{"kunta", "palvelu", "teema"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		d.Langs = append(d.Langs, langLink{Code: l, Label: c.t("link." + l), Href: "/palvelut?" + v.Encode(), Current: l == c.Lang})
	}
	for _, m := range reg.munis {
		d.Municipalities = append(d.Municipalities, option{m, m, m == kunta})
		d.FormMunicipalities = append(d.FormMunicipalities, option{m, m, false})
	}
	for _, s := range reg.services {
		d.Services = append(d.Services, option{s, c.t("service." + s), s == palvelu})
		d.FormServices = append(d.FormServices, option{s, c.t("service." + s), false})
	}
	for _, t := range reg.themes {
		d.Themes = append(d.Themes, option{t, c.t("theme." + t), t == teema})
	}
	for _, m := range reg.munis {
		if kunta != "" && m != kunta {
			continue
		}
		g := providerGroup{Municipality: m}
		for _, s := range reg.services {
			if palvelu != "" && s != palvelu {
				continue
			}
			var ps []pipelines.Provider
			for _, p := range reg.providers {
				if slices.Contains(p.Areas, m) && slices.Contains(p.Services, s) {
					ps = append(ps, p)
				}
			}
			// Cheapest first, as a shortlist is; no price last.
			slices.SortStableFunc(ps, func(a, b pipelines.Provider) int { return comparePrice(a, b, s) })
			for _, p := range ps {
				g.Rows = append(g.Rows, providerRow{Service: c.t("service." + s), Provider: p.Name, Price: price(c, p, s), Languages: langNames(c, p.Languages)})
			}
		}
		if len(g.Rows) > 0 {
			d.ProviderGroups = append(d.ProviderGroups, g)
		}
	}
	for _, t := range reg.themes {
		if teema != "" && t != teema {
			continue
		}
		g := themeGroup{Theme: c.t("theme." + t)}
		for _, a := range reg.activities {
			if !slices.Contains(a.Themes, t) {
				continue
			}
			if kunta != "" && !slices.Contains(a.Areas, kunta) && !slices.Contains(a.Channels, "verkossa") {
				continue
			}
			g.Rows = append(g.Rows, activityRow{Name: a.Name, Where: strings.Join(a.Areas, ", "), Channel: translated(c, "channel.", a.Channels),
				Groups: translated(c, "group.", a.TargetGroups), Languages: langNames(c, a.Languages)})
		}
		if len(g.Rows) > 0 {
			d.ThemeGroups = append(d.ThemeGroups, g)
		}
	}
	return d
}

func comparePrice(a, b pipelines.Provider, service string) int {
	if c := pipelines.ComparePrice(&a, &b, service); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func price(c catalog, p pipelines.Provider, service string) string {
	v, ok := p.Prices[service]
	if !ok {
		return c.t("price_missing")
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if c.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " €"
}

func langNames(c catalog, codes []string) string { return translated(c, "langname.", codes) }

func translated(c catalog, prefix string, codes []string) string {
	out := make([]string, len(codes))
	for i, v := range codes {
		out[i] = c.t(prefix + v)
	}
	return strings.Join(out, ", ")
}

// render writes a template whole or not at all, so a template error
// becomes a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, name string, d *pageData, status int) {
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, d); err != nil {
		h.log.Error("service page: render", "template", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// thanks serves GET /palvelut/kiitos, where a sent request lands.
func (h *Handler) thanks(w http.ResponseWriter, r *http.Request) {
	c := language(r)
	d := &pageData{C: c, Title: c.t("thanks_title")}
	for _, l := range languages {
		d.Langs = append(d.Langs, langLink{Code: l, Label: c.t("link." + l), Href: "/palvelut/kiitos?lang=" + l, Current: l == c.Lang})
	}
	h.render(w, "thanks", d, http.StatusOK)
}
