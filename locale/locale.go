// Package locale holds the texts alusta writes for people (decisions and
// property labels in HubSpot, report headers) in Finnish, Swedish and
// English, and writes times and durations as people in Finland write them.
//
// The catalogues are the files fi.yaml, sv.yaml and en.yaml beside this
// file, read with nicksnyder/go-i18n, so a translator edits YAML rather than
// Go. It is a top-level package because the rule engine, the mapping (the
// labels of the properties alusta creates) and the reports all speak to
// people, and none of those folders is the home of the others' texts.
package locale

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

// Default is the language of a portal that names none: the coordinators of
// a Finnish service integrator read Finnish.
const Default = "fi"

//go:embed fi.yaml sv.yaml en.yaml
var catalogues embed.FS

// languages are the catalogues there are, the default first.
var languages = []string{"fi", "sv", "en"}

// Languages returns the language codes there are catalogues for.
func Languages() []string { return slices.Clone(languages) }

// Printer writes alusta's texts in one language. It is safe for concurrent
// use.
type Printer struct {
	lang string
	loc  *i18n.Localizer
}

// New returns a printer for lang ("fi", "sv" or "en"; "" means Default).
func New(lang string) (*Printer, error) {
	if lang == "" {
		lang = Default
	}
	if !slices.Contains(languages, lang) {
		return nil, fmt.Errorf("locale: unknown language %q (want %s)", lang, strings.Join(languages, ", "))
	}
	b := i18n.NewBundle(language.Finnish)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	for _, l := range languages {
		data, err := catalogues.ReadFile(l + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("locale: read catalogue %s: %w", l, err)
		}
		if _, err := b.ParseMessageFileBytes(data, l+".yaml"); err != nil {
			return nil, fmt.Errorf("locale: parse catalogue %s.yaml: %w", l, err)
		}
	}
	return &Printer{lang: lang, loc: i18n.NewLocalizer(b, lang)}, nil
}

// MustNew is New for a language known to exist, such as Default; it panics
// on an unknown one, which is a programming error.
func MustNew(lang string) *Printer {
	p, err := New(lang)
	if err != nil {
		panic(err)
	}
	return p
}

// Lang is the printer's language code.
func (p *Printer) Lang() string { return p.lang }

// T returns the message id filled with kv, pairs of template field name and
// value ("Name", "Kotiapu Oy"). A message missing from the catalogue comes
// back as its id, so a gap shows rather than hides; the package's tests
// keep the catalogues complete.
func (p *Printer) T(id string, kv ...any) string {
	return p.localize(id, kv)
}

func (p *Printer) localize(id string, kv []any) string {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			data[k] = kv[i+1]
		}
	}
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// Time writes t in loc as people write it: 1.12.2026 klo 16.00 in Finnish,
// 1.12.2026 kl. 16.00 in Swedish. A nil loc means UTC.
func (p *Printer) Time(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return p.T("time.datetime", "Day", t.Day(), "Month", int(t.Month()), "MonthName", t.Month().String()[:3],
		"Year", t.Year(), "Hour", t.Hour(), "Minute", fmt.Sprintf("%02d", t.Minute()))
}

// Date writes a day as people write it: 1.12.2026.
func (p *Printer) Date(t time.Time) string {
	return p.T("time.date", "Day", t.Day(), "Month", int(t.Month()), "MonthName", t.Month().String()[:3], "Year", t.Year())
}

// Duration writes d rounded to minutes in hours and minutes: 2 t 30 min.
func (p *Printer) Duration(d time.Duration) string {
	d = max(d, 0).Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return p.T("time.minutes", "M", m)
	case m == 0:
		return p.T("time.hours", "H", h)
	}
	return p.T("time.hours_minutes", "H", h, "M", m)
}
