package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

//go:embed locales/*.json
var localeFiles embed.FS

// langs are the console's languages, Finnish first: it is the default.
var langs = []struct{ Code, Name string }{{"fi", "Suomeksi"}, {"sv", "På svenska"}, {"en", "In English"}}

// catalogues maps a language to its messages.
type catalogues map[string]map[string]string

// loadCatalogues reads the embedded catalogues and checks that every
// language has every Finnish key, so that a missing translation fails at
// start-up (and in tests), not on a page.
func loadCatalogues() (catalogues, error) {
	c := make(catalogues)
	for _, l := range langs {
		b, err := localeFiles.ReadFile("locales/" + l.Code + ".json")
		if err != nil {
			return nil, fmt.Errorf("console: catalogue %s: %w", l.Code, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("console: catalogue locales/%s.json: %w", l.Code, err)
		}
		c[l.Code] = m
	}
	for key := range c["fi"] {
		for _, l := range langs {
			if _, ok := c[l.Code][key]; !ok {
				return nil, fmt.Errorf("console: catalogue locales/%s.json: missing key %q", l.Code, key)
			}
		}
	}
	return c, nil
}

// printer formats text, numbers and times for one language; templates get
// it as .P.
type printer struct {
	Lang string
	msgs map[string]string
	loc  *time.Location
}

// T returns the message key in the printer's language, formatted with args.
// An unknown key shows itself, so it is seen and fixed rather than hidden.
func (p *printer) T(key string, args ...any) string {
	m, ok := p.msgs[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return m
	}
	return fmt.Sprintf(m, args...)
}

// Num writes a whole number with the language's digit grouping: a narrow
// no-break space in Finnish and Swedish, a comma in English.
func (p *printer) Num(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case float64:
		n = int64(math.Round(x))
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "\u202f"
	if p.Lang == "en" {
		sep = ","
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// Pct writes a share (0..1) as a whole percentage.
func (p *printer) Pct(f float64) string {
	if math.IsNaN(f) {
		return "–"
	}
	sep := "\u00a0"
	if p.Lang == "en" {
		sep = ""
	}
	return strconv.Itoa(int(math.Round(f*100))) + sep + "%"
}

// Time writes a moment in Helsinki time as people there write it:
// 1.12.2026 klo 16.00, 1.12.2026 kl. 16.00, 2026-12-01 16:00.
func (p *printer) Time(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	t = t.In(p.loc)
	switch p.Lang {
	case "fi":
		return t.Format("2.1.2006 klo 15.04")
	case "sv":
		return t.Format("2.1.2006 kl. 15.04")
	}
	return t.Format("2006-01-02 15:04")
}

// Date writes a day in Helsinki time.
func (p *printer) Date(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	if p.Lang == "en" {
		return t.In(p.loc).Format("2006-01-02")
	}
	return t.In(p.loc).Format("2.1.2006")
}

// Dur writes a duration in its two largest units: "3 d 4 h", "5 min 2 s".
func (p *printer) Dur(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return p.dec(d.Seconds(), 1) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d %s %d h", int(d.Hours())/24, p.T("unit.day"), int(d.Hours())%24)
}

// dec writes f with places decimals and the language's decimal mark.
func (p *printer) dec(f float64, places int) string {
	s := strconv.FormatFloat(f, 'f', places, 64)
	if p.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Week names an ISO week: "vk 45", "v. 45", "W45".
func (p *printer) Week(t time.Time) string {
	_, w := t.In(p.loc).ISOWeek()
	return p.T("week.label", w)
}

// Month names a month: "9/2026", or "2026-09" in English.
func (p *printer) Month(t time.Time) string {
	t = t.In(p.loc)
	if p.Lang == "en" {
		return t.Format("2006-01")
	}
	return t.Format("1/2006")
}
