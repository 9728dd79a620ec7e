package pipelines

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/mappings"
)

// Activity is an NGO activity (a company with alusta_org_type =
// jarjesto) as suggestions and referrals see it: peer support, a meeting
// place, an exercise group. Its contact address is not here: the cache
// keeps no contact details, and a referral reads it when it is sent.
type Activity struct {
	ID     string
	Name   string
	Active bool
	// Themes are the needs it answers (yksinaisyys, vertaistuki, ...).
	Themes       []string
	TargetGroups []string
	Areas        []string
	Channels     []string // paikan_paalla, verkossa
	Languages    []string
}

// ParseActivities reads the NGO activities among companies through the
// mapping, sorted by id.
func ParseActivities(m *mappings.Mapping, companies []hubspot.Object) []Activity {
	var out []Activity
	for i := range companies {
		o := &companies[i]
		if o.Archived {
			continue
		}
		fields := m.Translate(hubspot.Companies, o.Properties)
		if !IsNGO(fields) {
			continue
		}
		out = append(out, ActivityOf(o.ID, fields))
	}
	SortActivities(out)
	return out
}

// SortActivities sorts activities by id, numerically as HubSpot's ids
// are, so that suggestions break ties the same way whatever read them.
func SortActivities(as []Activity) {
	slices.SortFunc(as, func(a, b Activity) int { return cmpID(a.ID, b.ID) })
}

// ActivityOf reads one NGO activity from its values under alusta's field
// names (name, themes, target_groups, ...), as the store keeps them.
func ActivityOf(id string, fields map[string]string) Activity {
	get := func(f string) string { return strings.TrimSpace(fields[f]) }
	return Activity{
		ID:           id,
		Name:         get("name"),
		Active:       strings.EqualFold(get("active"), "true"),
		Themes:       splitMulti(get("themes")),
		TargetGroups: splitMulti(get("target_groups")),
		Areas:        splitMulti(get("areas")),
		Channels:     splitMulti(get("channel")),
		Languages:    splitMulti(get("languages")),
	}
}

// Suits reports whether an activity fits a client, and why not: it runs,
// answers at least one of the needs, is found in the municipality (or
// online), takes the client's group and, with matchLanguage, speaks the
// client's language. An empty municipality, group or language does not
// narrow the choice.
func (a *Activity) Suits(needs []string, municipality, group, language string, matchLanguage bool) (bool, string) {
	ok, why, what := a.suits(needs, municipality, group, language, matchLanguage)
	return ok, why + what
}

// suits is Suits with the reason in two parts, joined only by a caller
// that shows it: joining them for every activity not suggested on every
// ticket was most of what suggesting allocated.
func (a *Activity) suits(needs []string, municipality, group, language string, matchLanguage bool) (ok bool, why, what string) {
	switch {
	case !a.Active:
		return false, "inactive", ""
	case !slices.ContainsFunc(needs, func(n string) bool { return slices.Contains(a.Themes, n) }):
		return false, "no theme among the needs", ""
	case municipality != "" && !slices.Contains(a.Areas, municipality) && !slices.Contains(a.Channels, "verkossa"):
		return false, "not in ", municipality
	case group != "" && len(a.TargetGroups) > 0 && !slices.Contains(a.TargetGroups, group):
		return false, "not for ", group
	case matchLanguage && language != "" && !slices.Contains(a.Languages, language):
		return false, "not in ", language
	}
	return true, "", ""
}

// suggestActivities writes the NGO activities that fit a ticket's client
// needs: most needs answered first, then those met in person in the
// client's own municipality, then by id. The list depends on nothing but
// the ticket and the activities, so it is made afresh each time.
func (x *decider) suggestActivities(spec *SuggestSpec) {
	prop := x.e.m.Outputs.Suggestions
	cur := x.prop(prop)
	if last, wrote := x.rs.Written.Lookup(prop); wrote && last != cur {
		x.sticky(prop)
		return
	}
	needs := splitMulti(x.str("needs"))
	if len(needs) == 0 {
		return
	}
	muni, group, lang := x.str("municipality"), x.str("client_group"), x.str("language")
	type scored struct {
		a     *Activity
		hits  int
		local bool
	}
	var fit []scored
	for i := range x.in.Activities {
		a := &x.in.Activities[i]
		if ok, _, _ := a.suits(needs, muni, group, lang, spec.MatchLanguage); !ok {
			continue
		}
		s := scored{a: a, local: muni != "" && slices.Contains(a.Areas, muni) && slices.Contains(a.Channels, "paikan_paalla")}
		for _, n := range needs {
			if slices.Contains(a.Themes, n) {
				s.hits++
			}
		}
		fit = append(fit, s)
	}
	slices.SortStableFunc(fit, func(p, q scored) int {
		if c := cmp.Compare(q.hits, p.hits); c != 0 {
			return c
		}
		if p.local != q.local {
			if p.local {
				return -1
			}
			return 1
		}
		return cmpID(p.a.ID, q.a.ID)
	})
	n := min(cmp.Or(spec.Max, defaultShortlist), len(fit))
	var b strings.Builder
	ids := make([]string, 0, n)
	for i, s := range fit[:n] {
		if i > 0 {
			b.WriteByte('\n')
		}
		var themes []string
		for _, t := range s.a.Themes {
			if slices.Contains(needs, t) {
				themes = append(themes, label(x.p, "theme.", t))
			}
		}
		var channels []string
		for _, c := range s.a.Channels {
			channels = append(channels, label(x.p, "channel.", c))
		}
		b.WriteString(x.p.T("list.activity", "N", i+1, "Name", s.a.Name, "Themes", strings.Join(themes, ", "),
			"Channels", strings.Join(channels, ", "), "ID", s.a.ID))
		ids = append(ids, s.a.ID)
	}
	x.d.Suggestions = ids
	x.want.Set(prop, b.String())
	if n == 0 {
		labels := make([]string, len(needs))
		for i, nd := range needs {
			labels[i] = label(x.p, "theme.", nd)
		}
		x.say("decision.no_activity", "Needs", strings.Join(labels, ", "))
		return
	}
	x.say("decision.activities", "N", strconv.Itoa(n), "Fit", strconv.Itoa(len(fit)))
}

// label is an option value (a theme, a channel) as staff read it in p's
// language; a value the catalogue does not know, one an admin added in
// HubSpot, stays as it is.
func label(p *locale.Printer, prefix, value string) string {
	if s := p.T(prefix + value); s != prefix+value {
		return s
	}
	return value
}

// str is a text field of the record's environment.
func (x *decider) str(field string) string {
	s, _ := x.v.value(x.field(field))
	return s
}
