package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
)

// TestHubSpotTextsFromCatalogue runs the demo (routes, SLA clocks,
// provider assignment, palveluhaku shortlists and a service order, NGO
// suggestions and welfare referrals) in Finnish and in Swedish, and reads
// back every text alusta wrote into the sandbox: each must be made of the
// language's catalogue messages (or be a rule's own note, as the admin
// wrote it), and none may hold an English word. A text written from a
// string literal in code fails it.
func TestHubSpotTextsFromCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo twice")
	}
	ruleNotes := ruleNoteTexts(t, "../testdata/rules/pipelines")
	for _, lang := range []string{"fi", "sv"} {
		t.Run(lang, func(t *testing.T) {
			mapDir := t.TempDir()
			src, err := os.ReadFile("../testdata/rules/mappings/mapping.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(src), "\nlocale: fi\n") {
				t.Fatal("the test mapping names no locale: fi to replace")
			}
			src = []byte(strings.Replace(string(src), "\nlocale: fi\n", "\nlocale: "+lang+"\n", 1))
			if err := os.WriteFile(filepath.Join(mapDir, "mapping.yaml"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			p := newInProcessFrom(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), "../testdata/rules/pipelines", mapDir, sandbox.DemoSize{Tickets: 600, Deals: 100})
			seeded := p.crm.Objects("notes") // the demo's own history, not alusta's
			p.cycle(t)
			// Coordinators refer clients and record a palveluhaku client's
			// choice from a shortlist; days pass, so clocks warn and breach.
			referDemo(t, p.crm, 3)
			chose := false
			idRE := regexp.MustCompile(`\((?:tunnus|nummer|id) (\d+)\)`)
			for _, id := range p.crm.Objects(hubspot.Tickets) {
				if m := idRE.FindStringSubmatch(prop(p, id, "alusta_shortlist")); m != nil {
					if err := p.crm.Update(hubspot.Tickets, id, map[string]string{"alusta_client_choice": m[1]}); err != nil {
						t.Fatal(err)
					}
					chose = true
					break
				}
			}
			if !chose {
				t.Fatal("no demo ticket got a shortlist: the test needs one")
			}
			for range 3 {
				p.now = p.now.Add(26 * time.Hour)
				p.cycle(t)
			}

			c := catalogue(t, lang)
			decision := c.whole(`^(?:%s)(?:; (?:%s))*(?:\.\.\.)?$`, "decision.", "decision.")
			list := map[string]*regexp.Regexp{
				"alusta_shortlist":            c.whole(`^(?:%s)$`, "list.provider"),
				"alusta_activity_suggestions": c.whole(`^(?:%s)$`, "list.activity"),
			}
			status := c.whole(`^(?:%s)$`, "referral.status")
			note := c.whole(`^(?:%s)$`, "note.")
			english := regexp.MustCompile(`(?i)\b(the|not|no|for|of|to|made|referral|referred|shortlist|eligible|providers?|orders?|service|suggested|activit(y|ies)|route|queue|owner|due|running|breached|client|choice|consent|id)\b`)
			counts := map[string]int{}
			check := func(where, kind, text string, ok bool) {
				counts[kind]++
				if !ok {
					t.Errorf("%s: %s %q is not made of %s catalogue messages", where, kind, text, lang)
				}
				if w := english.FindString(text); w != "" {
					t.Errorf("%s: %s %q holds the English word %q", where, kind, text, w)
				}
			}
			for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
				for _, id := range p.crm.Objects(typ) {
					where := typ + "/" + id
					o, _ := p.crm.Object(typ, id)
					if v, _ := o.Prop("alusta_decision"); v != "" {
						check(where, "decision", v, decision.MatchString(v))
					}
					for prop, re := range list {
						v, _ := o.Prop(prop)
						for line := range strings.SplitSeq(v, "\n") {
							if line != "" {
								check(where, prop, line, re.MatchString(line))
							}
						}
					}
					if v, _ := o.Prop("alusta_referral_status"); v != "" {
						check(where, "referral status", v, status.MatchString(v))
					}
				}
			}
			for _, id := range p.crm.Objects("notes") {
				if slices.Contains(seeded, id) {
					continue
				}
				o, _ := p.crm.Object("notes", id)
				body, _ := o.Prop("hs_note_body")
				if slices.Contains(ruleNotes, body) {
					continue // the admin's own words
				}
				head, _, _ := strings.Cut(body, "\n")
				check("notes/"+id, "note", head, note.MatchString(head) || note.MatchString(body))
			}
			for _, kind := range []string{"decision", "alusta_shortlist", "alusta_activity_suggestions", "referral status", "note"} {
				if counts[kind] == 0 {
					t.Errorf("the demo wrote no %s: the test checks nothing of it", kind)
				}
			}
		})
	}
}

// texts is a language's catalogue as message templates.
type texts map[string]string

func catalogue(t *testing.T, lang string) texts {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "locale", lang+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c texts
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

var fieldRE = regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)

// pattern is the alternation of the messages whose ids start with prefix,
// each field matching any text without a ";" (which separates a
// decision's parts).
func (c texts) pattern(prefix string) string {
	var alts []string
	for id, msg := range c {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		var b strings.Builder
		last := 0
		for _, m := range fieldRE.FindAllStringIndex(msg, -1) {
			b.WriteString(regexp.QuoteMeta(msg[last:m[0]]))
			b.WriteString(`[^;]+?`)
			last = m[1]
		}
		b.WriteString(regexp.QuoteMeta(msg[last:]))
		alts = append(alts, b.String())
	}
	slices.Sort(alts)
	return strings.Join(alts, "|")
}

// whole compiles format with the patterns of prefixes filled in.
func (c texts) whole(format string, prefixes ...string) *regexp.Regexp {
	args := make([]any, len(prefixes))
	for i, p := range prefixes {
		args[i] = c.pattern(p)
	}
	return regexp.MustCompile(fmt.Sprintf(format, args...))
}

// ruleNoteTexts are the note: texts of the rule files in dir.
func ruleNoteTexts(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	re := regexp.MustCompile(`(?m)^\s*note:\s*(.+?)\s*$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out = append(out, strings.Trim(m[1], `"`))
		}
	}
	return out
}
