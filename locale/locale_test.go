package locale

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func catalogueIDs(t *testing.T, lang string) []string {
	t.Helper()
	data, err := catalogues.ReadFile(lang + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s.yaml: %v", lang, err)
	}
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	return ids
}

// TestCataloguesMatch keeps the three catalogues in step: a text missing
// in one language would reach HubSpot as its id.
func TestCataloguesMatch(t *testing.T) {
	en := catalogueIDs(t, "en")
	for _, lang := range []string{"fi", "sv"} {
		got := catalogueIDs(t, lang)
		for _, id := range en {
			if !slices.Contains(got, id) {
				t.Errorf("%s.yaml: missing %q", lang, id)
			}
		}
		for _, id := range got {
			if !slices.Contains(en, id) {
				t.Errorf("%s.yaml: %q is not in en.yaml", lang, id)
			}
		}
	}
}

// TestCodeIDsExist finds the message ids the code asks for with a literal
// (T("decision.route", ...)) and checks each is in the catalogues.
func TestCodeIDsExist(t *testing.T) {
	ids := catalogueIDs(t, "en")
	// Whole literals only: T("billing.kind." + kind) is checked by its
	// package's tests.
	re := regexp.MustCompile(`\.T\("([a-z_]+\.[a-z_.]*[a-z_])"[,)]`)
	var used int
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() && path != ".." && path != "../locale" {
			// A package with catalogues of its own (the console's
			// locales/) asks them, not these.
			if _, err := os.Stat(filepath.Join(path, "locales")); err == nil {
				return filepath.SkipDir
			}
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "locale_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			used++
			if id := string(m[1]); !slices.Contains(ids, id) {
				t.Errorf("%s: message %q is in no catalogue", path, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used < 10 {
		t.Errorf("found %d message ids in the code, want the engine's at least", used)
	}
}

func TestTime(t *testing.T) {
	hel, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	morning := time.Date(2026, 7, 3, 5, 5, 0, 0, time.UTC)
	tests := []struct {
		name, lang string
		t          time.Time
		want       string
	}{
		{"finnish winter", "fi", at, "1.12.2026 klo 16.00"},
		{"finnish summer", "fi", morning, "3.7.2026 klo 8.05"},
		{"swedish", "sv", at, "1.12.2026 kl. 16.00"},
		{"english", "en", at, "1 Dec 2026 16:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MustNew(tt.lang).Time(tt.t, hel); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"fi", 2*time.Hour + 30*time.Minute, "2 t 30 min"},
		{"fi", 3 * time.Hour, "3 t"},
		{"sv", 45 * time.Minute, "45 min"},
		{"en", 26*time.Hour + 29*time.Second, "26 h"},
		{"fi", -time.Hour, "0 min"},
	}
	for _, tt := range tests {
		if got := MustNew(tt.lang).Duration(tt.d); got != tt.want {
			t.Errorf("%s %v: got %q, want %q", tt.lang, tt.d, got, tt.want)
		}
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		lang, want string
	}{
		{"", "tuottaja Kotiapu Oy (vuorojako)"},
		{"fi", "tuottaja Kotiapu Oy (vuorojako)"},
		{"sv", "producent Kotiapu Oy (turordning)"},
		{"en", "provider Kotiapu Oy (round robin)"},
	}
	for _, tt := range tests {
		p := MustNew(tt.lang)
		if got := p.T("decision.provider", "Name", "Kotiapu Oy", "How", p.T("strategy.round_robin")); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.lang, got, tt.want)
		}
	}
	if got := MustNew("fi").T("no.such.message"); got != "no.such.message" {
		t.Errorf("missing message: got %q, want its id", got)
	}
}

func TestNewUnknown(t *testing.T) {
	_, err := New("de")
	if want := `locale: unknown language "de" (want fi, sv, en)`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestFastPath: the fast path writes every message exactly as go-i18n's
// template execution does, in every language.
func TestFastPath(t *testing.T) {
	var kv []any
	for i, f := range []string{"Day", "Month", "MonthName", "Year", "Hour", "Minute", "H", "M", "Rule", "Queue", "Name",
		"Strategy", "Team", "Provider", "Reason", "Eligible", "N", "Service", "Municipality", "How", "Goal", "Status", "Due",
		"Left", "Policy", "Properties", "Language", "Open", "Capacity"} {
		if i%2 == 0 {
			kv = append(kv, f, i)
		} else {
			kv = append(kv, f, "ä-"+f)
		}
	}
	for _, lang := range Languages() {
		p := MustNew(lang)
		if len(p.fast) < 50 {
			t.Errorf("%s: %d messages on the fast path, want nearly all", lang, len(p.fast))
		}
		for _, id := range catalogueIDs(t, lang) {
			if got, want := p.T(id, kv...), p.localize(id, kv); got != want {
				t.Errorf("%s %s: fast path %q, go-i18n %q", lang, id, got, want)
			}
		}
		if got, want := p.T("decision.route"), p.localize("decision.route", nil); got != want {
			t.Errorf("%s: a missing field: got %q, want %q", lang, got, want)
		}
	}
}

// TestAppendS writes every message with text values through AppendS and T:
// the texts must be the same, a missing value too.
func TestAppendS(t *testing.T) {
	for _, lang := range Languages() {
		p := MustNew(lang)
		if len(p.fast) == 0 {
			t.Fatalf("%s: no messages", lang)
		}
		for id, parts := range p.fast {
			var kv []string
			var args []any
			for i, pt := range parts {
				if pt.field != "" && i%3 != 2 { // every third field left out
					kv = append(kv, pt.field, "arvo "+pt.field)
					args = append(args, pt.field, "arvo "+pt.field)
				}
			}
			if got, want := string(p.AppendS([]byte("x; "), id, kv...)), "x; "+p.T(id, args...); got != want {
				t.Errorf("%s %s: AppendS %q, T %q", lang, id, got, want)
			}
		}
		if got, want := string(p.AppendS(nil, "no.such.message", "A", "b")), p.T("no.such.message", "A", "b"); got != want {
			t.Errorf("%s: a message not in the catalogue: AppendS %q, T %q", lang, got, want)
		}
	}
}

// TestAppendTime: the time written field by field is what the catalogue's
// template makes of the same values, in every language, month and minute.
func TestAppendTime(t *testing.T) {
	hel, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages() {
		p := MustNew(lang)
		for _, loc := range []*time.Location{hel, time.UTC, nil} {
			for i := range 12 {
				at := time.Date(2026, time.Month(1+i), 1+2*i, 2*i, 5*i-1, 0, 0, time.UTC)
				in := at.In(time.UTC)
				if loc != nil {
					in = at.In(loc)
				}
				want := p.localize("time.datetime", []any{"Day", in.Day(), "Month", int(in.Month()),
					"MonthName", in.Month().String()[:3], "Year", in.Year(), "Hour", in.Hour(), "Minute", fmt.Sprintf("%02d", in.Minute())})
				if got := string(p.AppendTime([]byte("x: "), at, loc)); got != "x: "+want {
					t.Errorf("%s %v in %v: got %q, want %q", lang, at, loc, got, "x: "+want)
				}
				if got := p.Time(at, loc); got != want {
					t.Errorf("%s %v in %v: Time got %q, want %q", lang, at, loc, got, want)
				}
			}
		}
	}
}

// TestAppendTAt: a text with a time written in place is the text T makes
// of the string Time returns.
func TestAppendTAt(t *testing.T) {
	hel, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		lang, want string
	}{
		{"fi", "x; määräaika vastaus varoitus, päättyy 1.12.2026 klo 16.00"},
		{"sv", "x; tidsfrist vastaus varning, går ut 1.12.2026 kl. 16.00"},
		{"en", "x; SLA vastaus warning, due 1 Dec 2026 16:00"},
	}
	for _, tt := range tests {
		p := MustNew(tt.lang)
		got := string(p.AppendTAt([]byte("x; "), "decision.sla", "Due", due, hel, "Goal", "vastaus", "Status", p.T("sla_status.warning")))
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.lang, got, tt.want)
		}
		if want := "x; " + p.T("decision.sla", "Goal", "vastaus", "Status", p.T("sla_status.warning"), "Due", p.Time(due, hel)); got != want {
			t.Errorf("%s: got %q, T writes %q", tt.lang, got, want)
		}
	}
	// A message off the fast path still gets its time.
	if got := string(MustNew("fi").AppendTAt(nil, "no.such.message", "Due", due, hel)); got != "no.such.message" {
		t.Errorf("missing message: got %q, want its id", got)
	}
}
