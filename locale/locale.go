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
	"regexp"
	"slices"
	"strconv"
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
	// fast holds the messages of lang whose templates only insert fields
	// ({{.Name}}), split into parts: the engine writes several texts per
	// record, and text/template costs more than the rest of a decision.
	fast map[string][]part
}

// part is a literal, or a field to insert when field is set.
type part struct{ lit, field string }

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
	p := &Printer{lang: lang, fast: map[string][]part{}}
	for _, l := range languages {
		data, err := catalogues.ReadFile(l + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("locale: read catalogue %s: %w", l, err)
		}
		f, err := b.ParseMessageFileBytes(data, l+".yaml")
		if err != nil {
			return nil, fmt.Errorf("locale: parse catalogue %s.yaml: %w", l, err)
		}
		if l != lang {
			continue
		}
		for _, m := range f.Messages {
			if parts, ok := split(m.Other); ok && m.One == "" && m.Few == "" && m.Many == "" {
				p.fast[m.ID] = parts
			}
		}
	}
	p.loc = i18n.NewLocalizer(b, lang)
	return p, nil
}

// fieldRE is the only template action the fast path knows.
var fieldRE = regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// split parses a template made of literals and {{.Field}} only; ok is false
// for anything else, which go-i18n then executes.
func split(src string) ([]part, bool) {
	var out []part
	last := 0
	for _, m := range fieldRE.FindAllStringSubmatchIndex(src, -1) {
		out = append(out, part{lit: src[last:m[0]]}, part{field: src[m[2]:m[3]]})
		last = m[1]
	}
	out = append(out, part{lit: src[last:]})
	for _, pt := range out {
		if strings.Contains(pt.lit, "{{") || strings.Contains(pt.lit, "}}") {
			return nil, false
		}
	}
	return out, true
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
	parts, ok := p.fast[id]
	if !ok {
		return p.localize(id, kv)
	}
	if len(parts) == 1 && parts[0].field == "" {
		return parts[0].lit // a text without fields, as it is
	}
	// The text is built in a buffer on the stack when it fits and copied
	// once into the string returned: a strings.Builder moves to the heap,
	// which was one allocation more for every text of every decision.
	var arr [256]byte
	return string(p.appendParts(arr[:0], parts, kv))
}

// AppendTAt is AppendS for a text with a time in it (an SLA's due time):
// the field named field is t in loc as Time writes it, written straight
// into b rather than made a string first.
func (p *Printer) AppendTAt(b []byte, id, field string, t time.Time, loc *time.Location, kv ...string) []byte {
	parts, ok := p.fast[id]
	if !ok {
		return append(b, p.localize(id, append(anys(kv), field, p.Time(t, loc)))...)
	}
	return p.appendText(b, parts, kv, &timeField{name: field, t: t, loc: loc})
}

// timeField is AppendTAt's time: a concrete type, where a time among the
// values would be boxed, a heap allocation for every text.
type timeField struct {
	name string
	t    time.Time
	loc  *time.Location
}

// grow makes room in b for the text of parts at once: growing the buffer
// part by part made most of the allocations of a rule decision's
// explanation.
func grow(b []byte, parts []part) []byte {
	n := 0
	for _, pt := range parts {
		n += len(pt.lit)
		if pt.field != "" {
			n += 20
		}
	}
	return slices.Grow(b, n)
}

func (p *Printer) appendParts(b []byte, parts []part, kv []any) []byte {
	b = grow(b, parts)
	for _, pt := range parts {
		if pt.field == "" {
			b = append(b, pt.lit...)
			continue
		}
		v := any("<no value>") // as text/template writes a missing field
		for i := 0; i+1 < len(kv); i += 2 {
			if k, _ := kv[i].(string); k == pt.field {
				v = kv[i+1]
				break
			}
		}
		switch x := v.(type) {
		case string:
			b = append(b, x...)
		case int:
			b = strconv.AppendInt(b, int64(x), 10)
		default:
			b = fmt.Append(b, x)
		}
	}
	return b
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
	var arr [64]byte
	return string(p.AppendTime(arr[:0], t, loc))
}

// AppendTime appends Time's text to b, for a caller that writes the time
// into a longer text and needs no string of it.
func (p *Printer) AppendTime(b []byte, t time.Time, loc *time.Location) []byte {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	parts, ok := p.fast["time.datetime"]
	if !ok {
		return append(b, p.localize("time.datetime", []any{"Day", d, "Month", int(mo), "MonthName", mo.String()[:3],
			"Year", y, "Hour", h, "Minute", fmt.Sprintf("%02d", mi)})...)
	}
	// The fields are written here, not handed to appendParts as values:
	// boxing the year and the text of the minutes allocated for every
	// time written.
	for _, pt := range parts {
		switch pt.field {
		case "":
			b = append(b, pt.lit...)
		case "Day":
			b = strconv.AppendInt(b, int64(d), 10)
		case "Month":
			b = strconv.AppendInt(b, int64(mo), 10)
		case "MonthName":
			b = append(b, mo.String()[:3]...)
		case "Year":
			b = strconv.AppendInt(b, int64(y), 10)
		case "Hour":
			b = strconv.AppendInt(b, int64(h), 10)
		case "Minute":
			b = append(b, byte('0'+mi/10), byte('0'+mi%10))
		default:
			b = append(b, "<no value>"...) // as T writes a field not given
		}
	}
	return b
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

// AppendS appends T's text to b, for a caller that joins texts (a rule
// decision's explanation) and needs no string of each, with values that
// are all text. T's values are boxed, and the boxes go to the heap because
// an unknown type is printed with fmt; a rule decision's explanation
// passes some ten values a record, each one allocation. AppendS's stay on
// the caller's stack.
func (p *Printer) AppendS(b []byte, id string, kv ...string) []byte {
	parts, ok := p.fast[id]
	if !ok {
		return append(b, p.localize(id, anys(kv))...)
	}
	return p.appendText(b, parts, kv, nil)
}

// appendText is appendParts for text values, and the time of AppendTAt.
func (p *Printer) appendText(b []byte, parts []part, kv []string, at *timeField) []byte {
	b = grow(b, parts)
	for _, pt := range parts {
		switch {
		case pt.field == "":
			b = append(b, pt.lit...)
			continue
		case at != nil && pt.field == at.name:
			b = p.AppendTime(b, at.t, at.loc)
			continue
		}
		v := "<no value>" // as text/template writes a missing field
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == pt.field {
				v = kv[i+1]
				break
			}
		}
		b = append(b, v...)
	}
	return b
}

// anys is kv as T's values, for a message off the fast path.
func anys(kv []string) []any {
	out := make([]any, len(kv), len(kv)+2)
	for i, s := range kv {
		out[i] = s
	}
	return out
}
