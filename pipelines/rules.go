// Package pipelines is alusta's rule engine: routing, SLA clocks on
// business calendars and provider assignment, read from YAML files that
// admins edit. Load checks every file at once and reports each problem
// with file:line:col; Engine.Decide applies the rules to one record. The
// engine keeps no state of its own: rotation positions, open counts,
// declines, SLA cycles and alusta's last writes live in a State value the
// caller loads and saves, so the same records, rules, state and clock
// always give the same decision.
//
// The name is the mandated folder's, not HubSpot's: this package is the
// rule engine, and HubSpot's pipelines and stages (the ticket and deal
// workflows) are named in mappings and read through connector/hubspot.
package pipelines

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"

	"github.com/alusta/alusta/config/yamlpos"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// File is the schema of one rule file. A file holds shared definitions
// (calendars, teams), the rules of one object type (object, routes, sla),
// or both.
type File struct {
	Calendars map[string]CalendarSpec `yaml:"calendars"`
	Teams     map[string]TeamSpec     `yaml:"teams"`
	// Object is tickets or deals; required with routes or sla.
	Object string    `yaml:"object"`
	Routes []Route   `yaml:"routes"`
	SLA    []SLASpec `yaml:"sla"`
	// Referrals turns welfare referrals on (tickets only).
	Referrals *ReferralSpec `yaml:"referrals"`
}

// CalendarSpec is a business calendar.
type CalendarSpec struct {
	TimeZone   string              `yaml:"time_zone"`
	AlwaysOpen bool                `yaml:"always_open"`
	Hours      map[string][]string `yaml:"hours"` // mon..sun: ["08:00-12:00", ...]
	Holidays   string              `yaml:"holidays"`
	Closures   map[string]string   `yaml:"closures"` // "2026-12-31": reason
}

// TeamSpec is a pool of owners, named by email.
type TeamSpec struct {
	Strategy string   `yaml:"strategy"` // round_robin (default) or least_open
	Members  []string `yaml:"members"`
	Away     []string `yaml:"away"`
}

// Route is one routing rule; the first that matches wins unless it says
// continue, in which case later matches add to or override its actions.
type Route struct {
	Name     string        `yaml:"name"`
	When     string        `yaml:"when"`
	Continue bool          `yaml:"continue"`
	Queue    string        `yaml:"queue"`
	Assign   *AssignSpec   `yaml:"assign"`
	Priority string        `yaml:"priority"`
	Stage    string        `yaml:"stage"`
	Note     string        `yaml:"note"`
	Provider *ProviderSpec `yaml:"provider"`
	// Shortlist writes eligible providers with prices on a ticket, for a
	// self-paying client to choose from (palveluhaku).
	Shortlist *ShortlistSpec `yaml:"shortlist"`
	// SuggestActivities writes NGO activities that fit the client's needs
	// on a ticket.
	SuggestActivities *SuggestSpec `yaml:"suggest_activities"`
}

// SuggestSpec lists NGO activities that fit a ticket's needs.
type SuggestSpec struct {
	// Max is how many activities to list; default 5.
	Max           int  `yaml:"max"`
	MatchLanguage bool `yaml:"match_language"`
}

// ShortlistSpec lists eligible providers on a ticket: active, offering the
// ticket's service, covering its municipality, below capacity and, with
// match_language, serving in its language.
type ShortlistSpec struct {
	// Max is how many providers to list; default 5.
	Max int `yaml:"max"`
	// Strategy orders them: price (cheapest first, the default),
	// round_robin (each ticket starts after the last one's first, so every
	// provider gets its turn at the top), weighted or least_loaded.
	Strategy      string `yaml:"strategy"`
	MatchLanguage bool   `yaml:"match_language"`
}

// AssignSpec assigns an owner from a team.
type AssignSpec struct {
	Pool     string `yaml:"pool"`
	Strategy string `yaml:"strategy"` // overrides the team's
}

// ProviderSpec assigns a provider company to a deal.
type ProviderSpec struct {
	Strategy string   `yaml:"strategy"` // round_robin, weighted, least_loaded, ordered
	Order    []string `yaml:"order"`    // ordered: company ids or names, first eligible wins
	Then     string   `yaml:"then"`     // ordered: strategy when nobody listed is eligible
	// MatchLanguage requires the provider to serve in the order's language.
	MatchLanguage bool `yaml:"match_language"`
	// UnassignedQueue is the queue of an order nobody can take.
	UnassignedQueue string `yaml:"unassigned_queue"`
}

// SLASpec is an SLA policy: a clock that starts, pauses and stops on
// conditions, with goals chosen by condition.
type SLASpec struct {
	Name     string     `yaml:"name"`
	Calendar string     `yaml:"calendar"`
	Start    string     `yaml:"start"`
	Pause    string     `yaml:"pause"`
	Stop     string     `yaml:"stop"`
	Warning  float64    `yaml:"warning"` // fraction of the goal, default 0.75
	Goals    []GoalSpec `yaml:"goals"`
	OnBreach BreachSpec `yaml:"on_breach"`
}

// GoalSpec is one goal; the first whose condition holds applies.
type GoalSpec struct {
	Name     string   `yaml:"name"`
	When     string   `yaml:"when"`
	Target   Duration `yaml:"target"`
	Calendar string   `yaml:"calendar"`
}

// BreachSpec is what happens once when a goal is breached.
type BreachSpec struct {
	Set           map[string]string `yaml:"set"`
	RaisePriority bool              `yaml:"raise_priority"`
	Reassign      string            `yaml:"reassign"` // a team to reassign to
	Note          string            `yaml:"note"`
}

// Duration is a Go duration in YAML ("4h", "90m"); business durations
// count working time on the goal's calendar.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("bad duration %q (write e.g. 4h or 90m)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// Rules is a loaded, checked rule set.
type Rules struct {
	calendars map[string]*Calendar
	teams     map[string]*team
	objects   map[string]*objectRules
	warnings  []string
}

type team struct {
	name     string
	strategy string
	members  []string
	away     map[string]bool
}

type objectRules struct {
	file     string
	routes   []*route
	sla      []*policy
	referral *policy // the contact clock of referral tickets, or nil
}

type route struct {
	Route
	idx  int
	when *cond
}

type policy struct {
	SLASpec
	cal                *Calendar
	start, pause, stop *cond
	goals              []*goal
}

type goal struct {
	GoalSpec
	when *cond
	cal  *Calendar
}

// Warnings returns problems that do not stop the rules from running, such
// as shadowed or unreachable routes.
func (r *Rules) Warnings() []string { return r.warnings }

// HasSLA reports whether the rules keep SLA clocks for objectType, so that
// the caller reads the stage history the clocks need only then.
func (r *Rules) HasSLA(objectType string) bool {
	or := r.objects[objectType]
	return or != nil && len(or.sla) > 0
}

var (
	ownerStrategies    = []string{"round_robin", "least_open"}
	providerStrategies = []string{"round_robin", "weighted", "least_loaded", "ordered"}
	priorities         = []string{"LOW", "MEDIUM", "HIGH", "URGENT"}
	weekdays           = map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}
	blockRE            = regexp.MustCompile(`^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$`)
)

// shortlistStrategies order a whole list, so the ordered strategy's single
// pick has no place among them.
var shortlistStrategies = []string{"price", "round_robin", "weighted", "least_loaded"}

// RuleFiles lists the rule files of a folder: *.yaml and *.yml except
// *_test.yaml, sorted.
func RuleFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pipelines: list rule files: %w", err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) || isTestFile(n) {
			continue
		}
		out = append(out, filepath.Join(dir, n))
	}
	if len(out) == 0 {
		// An empty or mistyped folder would otherwise check clean and then
		// run with no rules at all.
		return nil, fmt.Errorf("pipelines: no rule files (*.yaml) in %s", dir)
	}
	sort.Strings(out)
	return out, nil
}

func isTestFile(n string) bool {
	return strings.HasSuffix(n, "_test.yaml") || strings.HasSuffix(n, "_test.yml")
}

// Load reads and checks every rule file in dir against the mapping. All
// problems come back together as yamlpos.Errors, each printing as
// file:line:col: path: message.
func Load(dir string, m *mappings.Mapping) (*Rules, error) {
	srcs, err := readRuleFiles("load", dir)
	if err != nil {
		return nil, err
	}
	return Parse(srcs, m)
}

// readRuleFiles reads the rule files of dir, name -> content; op names
// the caller in errors.
func readRuleFiles(op, dir string) (map[string][]byte, error) {
	files, err := RuleFiles(dir)
	if err != nil {
		return nil, err
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("pipelines: %s: %w", op, err)
		}
		srcs[f] = data
	}
	return srcs, nil
}

// Check loads the rules in dir as Load does and returns the warnings even
// when there are errors, for `alusta rules check`.
func Check(dir string, m *mappings.Mapping) ([]string, error) {
	srcs, err := readRuleFiles("check", dir)
	if err != nil {
		return nil, err
	}
	r, err := parse(srcs, m)
	return r.warnings, err
}

// Parse checks rule files given as name -> content, as Load does.
func Parse(srcs map[string][]byte, m *mappings.Mapping) (*Rules, error) {
	r, err := parse(srcs, m)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func parse(srcs map[string][]byte, m *mappings.Mapping) (*Rules, error) {
	var errs yamlpos.Errors
	type parsed struct {
		f   File
		doc *yamlpos.Doc
		bad map[string]bool // paths with decoding errors
	}
	var all []parsed
	for _, name := range slices.Sorted(maps.Keys(srcs)) {
		var f File
		doc, es := yamlpos.DecodeFile(name, srcs[name], &f)
		bad := map[string]bool{}
		for _, e := range es {
			bad[e.Path] = true
			labelPath(e, itemNames(f))
		}
		errs = append(errs, es...)
		all = append(all, parsed{f, doc, bad})
	}
	r := &Rules{calendars: map[string]*Calendar{}, teams: map[string]*team{}, objects: map[string]*objectRules{}}
	var defs []definition
	// Shared definitions first, so that references resolve whatever the
	// file order.
	for _, p := range all {
		for _, name := range slices.Sorted(maps.Keys(p.f.Calendars)) {
			path := "calendars." + name
			if _, dup := r.calendars[name]; dup {
				errs = append(errs, p.doc.Errorf(path, "calendar %q defined twice", name))
				continue
			}
			defs = append(defs, definition{"calendar", name, path, p.doc})
			c, es := buildCalendar(p.doc, path, name, p.f.Calendars[name])
			errs = append(errs, es...)
			r.calendars[name] = c
		}
		for _, name := range slices.Sorted(maps.Keys(p.f.Teams)) {
			path := "teams." + name
			if _, dup := r.teams[name]; dup {
				errs = append(errs, p.doc.Errorf(path, "team %q defined twice", name))
				continue
			}
			defs = append(defs, definition{"team", name, path, p.doc})
			t, es := buildTeam(p.doc, path, name, p.f.Teams[name])
			errs = append(errs, es...)
			r.teams[name] = t
		}
	}
	for _, p := range all {
		f, doc := p.f, p.doc
		if f.Object == "" {
			if len(f.Routes) > 0 || len(f.SLA) > 0 {
				errs = append(errs, doc.Errorf("", "object: missing (tickets or deals) for routes and sla"))
			}
			continue
		}
		if f.Object != hubspot.Tickets && f.Object != hubspot.Deals {
			errs = append(errs, doc.Errorf("object", "unknown object %q (want tickets or deals)", f.Object))
			continue
		}
		if prev, dup := r.objects[f.Object]; dup {
			errs = append(errs, doc.Errorf("object", "rules for %s already in %s", f.Object, prev.file))
			continue
		}
		c := &checker{r: r, m: m, doc: doc, object: f.Object, env: exprEnv(m, f.Object), bad: p.bad, names: itemNames(f)}
		or := &objectRules{file: doc.File}
		or.routes = c.routes(f.Routes)
		or.sla = c.policies(f.SLA)
		if f.Referrals != nil {
			or.referral = c.referrals(f.Referrals)
		}
		errs = append(errs, c.errs...)
		r.objects[f.Object] = or
	}
	if len(errs) == 0 {
		// What is unused is only known when every reference was read.
		r.warnings = append(r.warnings, unused(r, defs)...)
	}
	return r, errs.Err()
}

func buildCalendar(doc *yamlpos.Doc, path, name string, s CalendarSpec) (*Calendar, yamlpos.Errors) {
	var errs yamlpos.Errors
	c := &Calendar{Name: name, AlwaysOpen: s.AlwaysOpen, Closures: s.Closures, Loc: time.UTC}
	tz := s.TimeZone
	if tz == "" {
		tz = "Europe/Helsinki"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		errs = append(errs, doc.Errorf(path+".time_zone", "unknown time zone %q", tz))
	} else {
		c.Loc = loc
	}
	switch s.Holidays {
	case "", "none":
	case "finland":
		c.Finnish = true
	default:
		errs = append(errs, doc.Errorf(path+".holidays", "unknown holidays %q (want finland or none)", s.Holidays))
	}
	for _, d := range slices.Sorted(maps.Keys(s.Closures)) {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			errs = append(errs, doc.Errorf(path+".closures."+d, "bad date %q (want YYYY-MM-DD)", d))
		}
	}
	for _, day := range slices.Sorted(maps.Keys(s.Hours)) {
		p := path + ".hours." + day
		wd, ok := weekdays[day]
		if !ok {
			errs = append(errs, doc.Errorf(p, "unknown weekday %q (want mon, tue, wed, thu, fri, sat or sun)", day))
			continue
		}
		last := -1
		for i, b := range s.Hours[day] {
			bp := fmt.Sprintf("%s[%d]", p, i)
			mm := blockRE.FindStringSubmatch(b)
			if mm == nil {
				errs = append(errs, doc.Errorf(bp, "bad hours %q (want HH:MM-HH:MM)", b))
				continue
			}
			start := atoi(mm[1])*60 + atoi(mm[2])
			end := atoi(mm[3])*60 + atoi(mm[4])
			if end > 24*60 || start >= end || start < last {
				errs = append(errs, doc.Errorf(bp, "hours %q must end after they start, within the day, after the previous block", b))
				continue
			}
			last = end
			c.Hours[wd] = append(c.Hours[wd], Block{start, end})
		}
	}
	if s.AlwaysOpen && len(s.Hours) > 0 {
		errs = append(errs, doc.Errorf(path+".hours", "always_open calendars take no hours"))
	}
	if !s.AlwaysOpen && len(s.Hours) == 0 {
		errs = append(errs, doc.Errorf(path, "hours: missing (or set always_open: true)"))
	}
	return c, errs
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func buildTeam(doc *yamlpos.Doc, path, name string, s TeamSpec) (*team, yamlpos.Errors) {
	var errs yamlpos.Errors
	t := &team{name: name, strategy: s.Strategy, away: map[string]bool{}}
	if t.strategy == "" {
		t.strategy = "round_robin"
	}
	if !slices.Contains(ownerStrategies, t.strategy) {
		errs = append(errs, doc.Errorf(path+".strategy", "unknown strategy %q (want %s)", s.Strategy, strings.Join(ownerStrategies, " or ")))
	}
	if len(s.Members) == 0 {
		errs = append(errs, doc.Errorf(path, "members: missing"))
	}
	for i, mem := range s.Members {
		if !validEmail(mem) {
			errs = append(errs, doc.Errorf(fmt.Sprintf("%s.members[%d]", path, i), "want an owner's email, got %q", mem))
		}
		t.members = append(t.members, strings.ToLower(mem))
	}
	for i, a := range s.Away {
		if !slices.Contains(t.members, strings.ToLower(a)) {
			errs = append(errs, doc.Errorf(fmt.Sprintf("%s.away[%d]", path, i), "%q is not a member of team %q", a, name))
		}
		t.away[strings.ToLower(a)] = true
	}
	return t, errs
}

// checker checks the rules of one object type in one file.
type checker struct {
	r      *Rules
	m      *mappings.Mapping
	doc    *yamlpos.Doc
	object string
	env    map[string]any
	bad    map[string]bool
	errs   yamlpos.Errors
	names  map[string]string // from itemNames
}

func (c *checker) errorf(path, format string, args ...any) {
	c.errs = append(c.errs, labelPath(c.doc.Errorf(path, format, args...), c.names))
}

func (c *checker) warnf(path, format string, args ...any) {
	c.r.warnings = append(c.r.warnings, labelPath(c.doc.Errorf(path, format, args...), c.names).Error())
}

// compile compiles a boolean condition; "" is nil, meaning always.
func (c *checker) compile(path, src string) *cond {
	p := c.compileExpr(path, src)
	if p != nil {
		c.lintStages(path, src)
	}
	return p
}

// compileExpr compiles an expression without linting its stage names:
// for alusta's own conditions, such as a referral's, whose stages are the
// referral pipeline's rather than the object type's.
func (c *checker) compileExpr(path, src string) *cond {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	p, err := expr.Compile(src, expr.Env(c.env), expr.AsBool())
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			c.errorf(path, "bad expression at %d:%d: %s", fe.Line, fe.Column+1, suggestName(fe.Message, c.env))
		} else {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			c.errorf(path, "bad expression: %s", msg)
		}
		return nil
	}
	// A trial on an empty record finds the expressions whose work does
	// not depend on the record (all(1..990000, ...)) and that would blow
	// the budget on every record; other failures depend on data and are
	// left to run time.
	var v vm.VM
	if _, err := run(&v, p, c.env); err != nil && strings.Contains(err.Error(), errOverBudget) {
		c.errorf(path, "expression is over the evaluation budget of %d on every record (ranges, lists and strings it builds): make it do less", EvalBudget)
		return nil
	}
	return newCond(p, c.object)
}

func (c *checker) stage(path, name string) {
	if name != "" && !slices.Contains(mappings.StageNames(c.object), name) {
		c.errorf(path, "unknown stage %q (want %s)", name, strings.Join(mappings.StageNames(c.object), ", "))
	}
}

func (c *checker) pool(path, name string) {
	if _, ok := c.r.teams[name]; !ok {
		c.errorf(path, "unknown pool %q", name)
	}
}

func (c *checker) routes(specs []Route) []*route {
	if len(specs) == 0 {
		switch {
		case !c.doc.Given("routes"):
			c.errorf("", "routes: missing; at least a fallback route is required")
		case !c.bad["routes"]:
			c.errorf("routes", "empty; at least a fallback route is required")
		}
		return nil
	}
	var out []*route
	whens := map[string]int{}
	catchAll := -1
	for i, s := range specs {
		p := fmt.Sprintf("routes[%d]", i)
		rt := &route{Route: s, idx: i}
		if rt.Name == "" {
			rt.Name = p
		}
		rt.when = c.compile(p+".when", s.When)
		key := strings.Join(strings.Fields(s.When), " ")
		if catchAll >= 0 {
			c.warnf(p, "unreachable: routes[%d] matches every record and does not continue", catchAll)
		} else if j, ok := whens[key]; ok && key != "" {
			c.warnf(p+".when", "shadowed: routes[%d] has the same condition and does not continue", j)
		}
		if !s.Continue {
			if key == "" || key == "true" {
				if catchAll < 0 {
					catchAll = i
				}
			} else if _, ok := whens[key]; !ok {
				whens[key] = i
			}
		}
		if s.Assign != nil {
			if s.Assign.Pool == "" {
				c.errorf(p+".assign", "pool: missing")
			} else {
				c.pool(p+".assign.pool", s.Assign.Pool)
			}
			if s.Assign.Strategy != "" && !slices.Contains(ownerStrategies, s.Assign.Strategy) {
				c.errorf(p+".assign.strategy", "unknown strategy %q (want %s)", s.Assign.Strategy, strings.Join(ownerStrategies, " or "))
			}
		}
		if s.Priority != "" && !slices.Contains(priorities, s.Priority) {
			c.errorf(p+".priority", "unknown priority %q (want %s)", s.Priority, strings.Join(priorities, ", "))
		}
		if s.Priority != "" && c.m.Field(c.object, "priority") == "" {
			c.errorf(p+".priority", "the mapping has no priority field for %s", c.object)
		}
		c.stage(p+".stage", s.Stage)
		if s.Provider != nil {
			c.provider(p+".provider", s.Provider)
		}
		if s.Shortlist != nil {
			c.shortlist(p+".shortlist", s.Shortlist)
		}
		if s.SuggestActivities != nil {
			c.suggest(p+".suggest_activities", s.SuggestActivities)
		}
		if s.Queue == "" && s.Assign == nil && s.Priority == "" && s.Stage == "" && s.Note == "" && s.Provider == nil && s.Shortlist == nil && s.SuggestActivities == nil {
			c.errorf(p, "no action: give queue, assign, priority, stage, note, provider, shortlist or suggest_activities")
		}
		out = append(out, rt)
	}
	if last := specs[len(specs)-1]; strings.TrimSpace(last.When) != "" && strings.TrimSpace(last.When) != "true" {
		c.errorf(fmt.Sprintf("routes[%d]", len(specs)-1), "the last route must be a fallback without when")
	}
	return out
}

func (c *checker) provider(p string, s *ProviderSpec) {
	if c.object != hubspot.Deals {
		c.errorf(p, "providers are assigned to deals only")
	}
	if !slices.Contains(providerStrategies, s.Strategy) {
		c.errorf(p+".strategy", "unknown strategy %q (want %s)", s.Strategy, strings.Join(providerStrategies, ", "))
	}
	if s.Strategy == "ordered" && len(s.Order) == 0 {
		c.errorf(p, "order: missing for the ordered strategy")
	}
	if s.Strategy != "ordered" && (len(s.Order) > 0 || s.Then != "") {
		c.errorf(p, "order and then go with the ordered strategy only")
	}
	if s.Then != "" && (s.Then == "ordered" || !slices.Contains(providerStrategies, s.Then)) {
		c.errorf(p+".then", "unknown strategy %q (want round_robin, weighted or least_loaded)", s.Then)
	}
}

func (c *checker) shortlist(p string, s *ShortlistSpec) {
	if c.object != hubspot.Tickets {
		c.errorf(p, "shortlists are written on tickets only")
	}
	if s.Strategy != "" && !slices.Contains(shortlistStrategies, s.Strategy) {
		c.errorf(p+".strategy", "unknown strategy %q (want %s)", s.Strategy, strings.Join(shortlistStrategies, ", "))
	}
	if c.doc.Given(p+".max") && (s.Max < 1 || s.Max > maxShortlist) {
		c.errorf(p+".max", "max must be between 1 and %d, got %d", maxShortlist, s.Max)
	}
}

// referrals checks the referral settings and builds the contact clock:
// it runs from the referral's creation while it is in stage sent.
func (c *checker) referrals(s *ReferralSpec) *policy {
	const p = "referrals"
	if c.object != hubspot.Tickets {
		c.errorf(p, "referrals are tickets; give them in the tickets rules")
	}
	if c.m.Referrals == nil {
		c.errorf(p, "the mapping has no referrals pipeline (referrals: in %s)", c.m.File())
	}
	pol := &policy{SLASpec: SLASpec{Name: referralPolicy, Calendar: s.Calendar, Warning: s.Warning}}
	if s.Calendar == "" {
		c.errorf(p, "calendar: missing")
	} else {
		pol.cal = c.calendar(p+".calendar", s.Calendar)
	}
	if s.ContactWithin <= 0 {
		c.errorf(p, "contact_within: missing (working time, e.g. 37h30m for five days of 7.5 hours)")
	}
	if s.Warning < 0 || s.Warning >= 1 {
		c.errorf(p+".warning", "warning must be a fraction between 0 and 1, got %v", s.Warning)
	}
	if pol.Warning == 0 {
		pol.Warning = 0.75
	}
	pol.stop = c.compileExpr(p, `stage != "sent"`)
	pol.goals = []*goal{{GoalSpec: GoalSpec{Name: "contact " + time.Duration(s.ContactWithin).String(), Target: s.ContactWithin}, cal: pol.cal}}
	return pol
}

func (c *checker) suggest(p string, s *SuggestSpec) {
	if c.object != hubspot.Tickets {
		c.errorf(p, "activities are suggested on tickets only")
	}
	if c.doc.Given(p+".max") && (s.Max < 1 || s.Max > maxShortlist) {
		c.errorf(p+".max", "max must be between 1 and %d, got %d", maxShortlist, s.Max)
	}
}

func (c *checker) calendar(p, name string) *Calendar {
	cal, ok := c.r.calendars[name]
	if !ok {
		c.errorf(p, "unknown calendar %q", name)
	}
	return cal
}

func (c *checker) policies(specs []SLASpec) []*policy {
	var out []*policy
	names := map[string]bool{}
	for i, s := range specs {
		p := fmt.Sprintf("sla[%d]", i)
		pol := &policy{SLASpec: s}
		if s.Name == "" {
			c.errorf(p, "name: missing")
		} else if names[s.Name] {
			c.errorf(p+".name", "policy %q defined twice", s.Name)
		}
		names[s.Name] = true
		if s.Calendar == "" {
			c.errorf(p, "calendar: missing")
		} else {
			pol.cal = c.calendar(p+".calendar", s.Calendar)
		}
		pol.start = c.compile(p+".start", s.Start)
		pol.pause = c.compile(p+".pause", s.Pause)
		pol.stop = c.compile(p+".stop", s.Stop)
		if s.Stop == "" {
			c.errorf(p, "stop: missing; a clock that never stops never meets its goal")
		}
		if s.Warning < 0 || s.Warning >= 1 {
			c.errorf(p+".warning", "warning must be a fraction between 0 and 1, got %v", s.Warning)
		}
		if pol.Warning == 0 {
			pol.Warning = 0.75
		}
		if len(s.Goals) == 0 {
			c.errorf(p, "goals: missing")
		}
		for j, g := range s.Goals {
			gp := fmt.Sprintf("%s.goals[%d]", p, j)
			gl := &goal{GoalSpec: g, cal: pol.cal}
			if gl.Name == "" {
				gl.Name = fmt.Sprintf("%s %s", s.Name, time.Duration(g.Target))
			}
			gl.when = c.compile(gp+".when", g.When)
			if !c.doc.Given(gp + ".target") {
				c.errorf(gp, "target: missing")
			} else if g.Target < 0 {
				c.errorf(gp+".target", "target must be positive")
			}
			if g.Calendar != "" {
				gl.cal = c.calendar(gp+".calendar", g.Calendar)
			}
			pol.goals = append(pol.goals, gl)
		}
		b := s.OnBreach
		// HubSpot rejects a whole batch over one unknown property, so a
		// written property must be one HubSpot should have: one the
		// mapping reads or one alusta creates. An alusta_ prefix alone
		// proves nothing; at run time a rejected property is split off
		// its batch (see the daemon's push).
		for _, prop := range slices.Sorted(maps.Keys(b.Set)) {
			if !slices.Contains(c.m.Properties(c.object), prop) {
				c.errorf(p+".on_breach.set."+prop, "unknown property %q: alusta neither reads it nor creates it, and HubSpot would reject every write of it; "+
					"create it in HubSpot and list it under objects.%s.read in the mapping, or set a property alusta writes (%s)",
					prop, c.object, strings.Join(writtenNames(c.m, c.object), ", "))
			}
		}
		if b.RaisePriority && c.m.Field(c.object, "priority") == "" {
			c.errorf(p+".on_breach.raise_priority", "the mapping has no priority field for %s", c.object)
		}
		if b.Reassign != "" {
			c.pool(p+".on_breach.reassign", b.Reassign)
		}
		out = append(out, pol)
	}
	return out
}

// writtenNames lists the properties alusta creates and writes, for error
// messages: those of deals, then those only an object type has. The
// idempotency key is created but is no rule's to set.
func writtenNames(m *mappings.Mapping, objectType string) []string {
	var names []string
	for _, p := range append(m.WrittenProperties(hubspot.Deals), m.WrittenProperties(objectType)...) {
		if p.Name == hubspot.IdempotencyProperty || slices.Contains(names, p.Name) {
			continue
		}
		names = append(names, p.Name)
	}
	return names
}
