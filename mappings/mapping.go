// Package mappings maps HubSpot records to alusta's vocabulary and back:
// which property holds the service code or the municipality, which pipeline
// and stage labels mean "received" or "closed", and which properties alusta
// writes. The mapping is YAML so that a portal with other property names
// needs no code change.
//
// Nothing is built in: the mapping is always the admin's file in
// mappings.dir. A compiled-in copy of the shipped file would make every
// binary, and every test, depend on whatever that file held at build time.
package mappings

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/alusta/alusta/config/yamlpos"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/locale"
)

// FileName is the mapping file Load reads from its folder.
const FileName = "mapping.yaml"

// Mapping is a loaded mapping. Resolve fills in pipeline and stage ids.
type Mapping struct {
	// Locale is the portal's language (fi, sv or en, default fi): the
	// language of every text alusta writes into HubSpot.
	Locale  string             `yaml:"locale"`
	Objects map[string]*Object `yaml:"objects"`
	// Outputs are the properties alusta writes (the file's written:).
	Outputs Outputs `yaml:"written"`
	// Referrals is the ticket pipeline of welfare referrals
	// (hyvinvointilähete); without it alusta makes none.
	Referrals *Referrals `yaml:"referrals"`

	doc     *yamlpos.Doc
	printer *locale.Printer
}

// Object is the mapping of one HubSpot object type.
type Object struct {
	// Pipeline is the label of the pipeline alusta works in.
	Pipeline string `yaml:"pipeline"`
	// Stages maps alusta's stage names (received, closed, ...) to labels.
	Stages map[string]string `yaml:"stages"`
	// Fields maps alusta's field names (service, municipality, ...) to
	// HubSpot property names.
	Fields map[string]string `yaml:"fields"`
	// Read lists extra properties to fetch, for use in rule expressions.
	Read []string `yaml:"read"`

	pipelineID string
	stageIDs   map[string]string // name -> id
	stageNames map[string]string // id -> name
}

// Outputs names the properties alusta writes: the mapping file's
// written: section. (What alusta last wrote to a record is the engine's
// RecordState.Written.)
type Outputs struct {
	Queue      string `yaml:"queue"`
	Provider   string `yaml:"provider"`
	DeclinedBy string `yaml:"declined_by"`
	SLADue     string `yaml:"sla_due"`
	SLAStatus  string `yaml:"sla_status"`
	Decision   string `yaml:"decision"`
	// Shortlist and Suggestions are written on tickets: the providers a
	// self-paying client may choose from, and the NGO activities that fit
	// the client's needs. Optional in a copied mapping; see defaults.
	Shortlist   string `yaml:"shortlist"`
	Suggestions string `yaml:"activity_suggestions"`
	// ReferralStatus is written on the ticket a referral was made from:
	// how the referral is going. ReferralOf is written on the referral
	// ticket: the id of the ticket it was made from.
	ReferralStatus string `yaml:"referral_status"`
	ReferralOf     string `yaml:"referral_of"`
}

// Referrals maps the ticket pipeline of welfare referrals. Its stages
// are named sent, contacted, started, not_reached and ended.
type Referrals struct {
	Pipeline string            `yaml:"pipeline"`
	Stages   map[string]string `yaml:"stages"`

	pipelineID string
	stageIDs   map[string]string // name -> id
	stageNames map[string]string // id -> name
	labels     map[string]string // name -> label
}

// ReferralStages are the stage names of the referral pipeline, in order.
var ReferralStages = []string{"sent", "contacted", "started", "not_reached", "ended"}

// defaults fills in written properties added after the first
// release, so that a mapping copied before them still loads.
func (w *Outputs) defaults() {
	if w.Shortlist == "" {
		w.Shortlist = "alusta_shortlist"
	}
	if w.Suggestions == "" {
		w.Suggestions = "alusta_activity_suggestions"
	}
	if w.ReferralStatus == "" {
		w.ReferralStatus = "alusta_referral_status"
	}
	if w.ReferralOf == "" {
		w.ReferralOf = "alusta_referral_of"
	}
}

// Vocabulary: the field and stage names alusta's rules understand per
// object type. Fields marked required must be mapped.
var (
	ticketFields  = []string{"subject", "content", "pipeline", "stage", "priority", "source", "owner", "service", "municipality", "client_group", "language", "kind", "provider", "feedback_score", "needs", "refer_to", "referral_consent", "client_choice"}
	dealFields    = []string{"name", "pipeline", "stage", "amount", "close_date", "owner", "service", "municipality", "units", "unit", "payer", "client_choice", "language"}
	companyFields = []string{"name", "active", "services", "areas", "languages", "capacity", "weight", "prices", "order_email", "order_webhook", "business_id", "org_type", "themes", "target_groups", "channel", "contact_email"}
	ticketStages  = []string{"new", "in_progress", "waiting", "closed"}
	dealStages    = []string{"received", "assigned", "accepted", "declined", "active", "delivered", "cancelled"}
)

// FieldNames returns the field names alusta knows for an object type.
func FieldNames(objectType string) []string {
	switch objectType {
	case hubspot.Tickets:
		return ticketFields
	case hubspot.Deals:
		return dealFields
	case hubspot.Companies:
		return companyFields
	}
	return nil
}

// StageNames returns the stage names alusta knows for an object type.
func StageNames(objectType string) []string {
	switch objectType {
	case hubspot.Tickets:
		return ticketStages
	case hubspot.Deals:
		return dealStages
	}
	return nil
}

// Load reads dir/mapping.yaml. Every problem is reported, each as
// file:line:col: path: message, in one Errors value.
func Load(dir string) (*Mapping, error) {
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("mappings: load: %w", err)
	}
	return parse(file, data)
}

// Parse reads a mapping from data; file names it in errors.
func Parse(file string, data []byte) (*Mapping, error) { return parse(file, data) }

func parse(file string, data []byte) (*Mapping, error) {
	m := &Mapping{}
	doc, errs := yamlpos.DecodeFile(file, data, m)
	m.doc = doc
	m.Outputs.defaults()
	errs = append(errs, m.validate()...)
	p, err := locale.New(m.Locale)
	if err != nil {
		errs = append(errs, doc.Errorf("locale", "unknown language %q (want %s)", m.Locale, strings.Join(locale.Languages(), ", ")))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	m.printer = p
	return m, nil
}

// Printer writes texts in the portal's language.
func (m *Mapping) Printer() *locale.Printer { return m.printer }

func (m *Mapping) validate() yamlpos.Errors {
	var errs yamlpos.Errors
	d := m.doc
	for _, t := range slices.Sorted(maps.Keys(m.Objects)) {
		o := m.Objects[t]
		p := "objects." + t
		known := FieldNames(t)
		if known == nil {
			errs = append(errs, d.KeyErrorf(p, "unknown object type %q (want tickets, deals or companies)", t))
			continue
		}
		if o == nil {
			errs = append(errs, d.Errorf(p, "empty"))
			continue
		}
		for _, f := range slices.Sorted(maps.Keys(o.Fields)) {
			if !slices.Contains(known, f) {
				errs = append(errs, d.KeyErrorf(p+".fields."+f, "unknown field name %q (known: %s)", f, strings.Join(known, ", ")))
			} else if o.Fields[f] == "" {
				errs = append(errs, d.Errorf(p+".fields."+f, "empty property name"))
			}
		}
		stages := StageNames(t)
		if stages == nil {
			continue
		}
		if o.Pipeline == "" {
			errs = append(errs, d.Errorf(p, "pipeline: missing"))
		}
		for _, f := range []string{"pipeline", "stage"} {
			if o.Fields[f] == "" {
				errs = append(errs, d.Errorf(p+".fields", "missing field %q", f))
			}
		}
		for _, s := range slices.Sorted(maps.Keys(o.Stages)) {
			if !slices.Contains(stages, s) {
				errs = append(errs, d.KeyErrorf(p+".stages."+s, "unknown stage name %q (known: %s)", s, strings.Join(stages, ", ")))
			}
		}
		for _, s := range stages {
			if o.Stages[s] == "" && (o.Stages != nil || !d.Given(p+".stages")) {
				errs = append(errs, d.Errorf(p+".stages", "missing stage %q", s))
			}
		}
	}
	for _, t := range []string{hubspot.Tickets, hubspot.Deals, hubspot.Companies} {
		if m.Objects[t] == nil {
			errs = append(errs, d.Errorf("objects", "missing object type %q", t))
		}
	}
	if r := m.Referrals; r != nil {
		if r.Pipeline == "" {
			errs = append(errs, d.Errorf("referrals", "pipeline: missing"))
		}
		for _, s := range slices.Sorted(maps.Keys(r.Stages)) {
			if !slices.Contains(ReferralStages, s) {
				errs = append(errs, d.KeyErrorf("referrals.stages."+s, "unknown stage name %q (known: %s)", s, strings.Join(ReferralStages, ", ")))
			}
		}
		for _, s := range ReferralStages {
			if r.Stages[s] == "" {
				errs = append(errs, d.Errorf("referrals.stages", "missing stage %q", s))
			}
		}
	}
	keyed := m.Outputs.keyed()
	for _, kv := range keyed[:recordOutputs] {
		if kv[1] == "" && !d.Given("written."+kv[0]) {
			errs = append(errs, d.Errorf("written", "missing %q", kv[0]))
		}
	}
	return errs
}

// File is the file the mapping was read from.
func (m *Mapping) File() string { return m.doc.File }

// Field returns the property that holds a field of an object type, or ""
// when the field is not mapped.
func (m *Mapping) Field(objectType, field string) string {
	o := m.Objects[objectType]
	if o == nil {
		return ""
	}
	return o.Fields[field]
}

// ClosedAt is alusta's name for a ticket's closed_date, HubSpot's built-in
// property that no mapping renames.
const ClosedAt = "closed_at"

// Written keys: alusta's names for the properties it writes, as Translate
// returns them.
const (
	KeyQueue      = "queue"
	KeyProvider   = "provider"
	KeyDeclinedBy = "declined_by"
	KeySLADue     = "sla_due"
	KeySLAStatus  = "sla_status"
	KeyDecision   = "decision"
	// On tickets: the palveluhaku shortlist, NGO activity suggestions and
	// the welfare referral's status and origin.
	KeyShortlist      = "shortlist"
	KeySuggestions    = "activity_suggestions"
	KeyReferralStatus = "referral_status"
	KeyReferralOf     = "referral_of"
)

// recordOutputs is how many of Outputs.keyed are written on tickets and
// deals alike; the rest are written on tickets only.
const recordOutputs = 6

// keyed pairs each written key with its property, in the file's order:
// the validation, Translate's names and CheckProperties read one list.
// An array, so that Translate's every call makes no slice of it.
func (w *Outputs) keyed() [10][2]string {
	return [10][2]string{{KeyQueue, w.Queue}, {KeyProvider, w.Provider}, {KeyDeclinedBy, w.DeclinedBy},
		{KeySLADue, w.SLADue}, {KeySLAStatus, w.SLAStatus}, {KeyDecision, w.Decision},
		{KeyShortlist, w.Shortlist}, {KeySuggestions, w.Suggestions}, {KeyReferralStatus, w.ReferralStatus}, {KeyReferralOf, w.ReferralOf}}
}

// names lists, for one object type, alusta's name of each property the
// mapping reads: the fields, then what alusta writes, then the built-ins
// the reports need. A field and a written key of the same name (a ticket's
// provider) are one name: the field wins.
func (m *Mapping) names(objectType string) [][2]string {
	o := m.Objects[objectType]
	if o == nil {
		return nil
	}
	out := make([][2]string, 0, len(o.Fields)+8)
	for _, f := range slices.Sorted(maps.Keys(o.Fields)) {
		out = append(out, [2]string{f, o.Fields[f]})
	}
	var written [][2]string
	switch keyed := m.Outputs.keyed(); objectType {
	case hubspot.Companies:
	case hubspot.Tickets:
		written = keyed[:]
	default:
		written = keyed[:recordOutputs]
	}
	for _, kv := range written {
		if _, isField := o.Fields[kv[0]]; !isField && kv[1] != "" {
			out = append(out, kv)
		}
	}
	for _, kv := range builtins[objectType] {
		if _, isField := o.Fields[kv[0]]; !isField {
			out = append(out, kv)
		}
	}
	if objectType == hubspot.Companies {
		// A contact address is read live when a referral is sent: the
		// cache keeps no contact details.
		out = slices.DeleteFunc(out, func(kv [2]string) bool { return kv[0] == "contact_email" })
	}
	return out
}

// builtins are HubSpot's own properties the reports count with whatever
// the mapping says: a ticket's closed_date (workload: closed per week) and
// a deal's closedate (billing: the month an order was delivered in), the
// latter unless the mapping names another close_date.
var builtins = map[string][][2]string{
	hubspot.Tickets: {{ClosedAt, "closed_date"}},
	hubspot.Deals:   {{"close_date", "closedate"}},
}

// Translate returns a record's values under alusta's names (service,
// units, queue, closed_at, ...) from its HubSpot properties: the one place
// where HubSpot's names give way to alusta's, so the store, its views, the
// reports and the daemon never see a portal's own property names. Null and
// unmapped properties are left out.
func (m *Mapping) Translate(objectType string, props map[string]*string) map[string]string {
	names := m.names(objectType)
	out := make(map[string]string, len(names))
	for _, kv := range names {
		if v := props[kv[1]]; v != nil {
			out[kv[0]] = *v
		}
	}
	return out
}

// Property returns the HubSpot property that holds alusta's name key of an
// object type (a field, a written key or closed_at), or "".
func (m *Mapping) Property(objectType, key string) string {
	for _, kv := range m.names(objectType) {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// Properties returns what to request from HubSpot for an object type: the
// mapped fields, the extra reads, what the reports need and, for tickets and
// deals, what alusta writes (needed to notice a person's change). Sorted, no
// duplicates.
func (m *Mapping) Properties(objectType string) []string {
	o := m.Objects[objectType]
	if o == nil {
		return nil
	}
	set := map[string]bool{}
	for _, p := range o.Fields {
		set[p] = true
	}
	for _, p := range o.Read {
		set[p] = true
	}
	for _, kv := range builtins[objectType] {
		if _, isField := o.Fields[kv[0]]; !isField {
			set[kv[1]] = true
		}
	}
	if objectType != hubspot.Companies {
		// The reports date tickets and orders by their creation.
		set["createdate"] = true
	}
	if objectType != hubspot.Companies {
		w := m.Outputs
		for _, p := range []string{w.Queue, w.Provider, w.DeclinedBy, w.SLADue, w.SLAStatus, w.Decision} {
			set[p] = true
		}
		if objectType != hubspot.Deals {
			// Only orders are declined; tickets have no such property.
			delete(set, w.DeclinedBy)
		}
	}
	if objectType == hubspot.Tickets {
		set[m.Outputs.Shortlist] = true
		set[m.Outputs.Suggestions] = true
		set[m.Outputs.ReferralStatus] = true
		set[m.Outputs.ReferralOf] = true
	}
	if objectType == hubspot.Companies {
		// A contact address is needed only when a referral is sent, and
		// is read then: the cache keeps no contact details.
		delete(set, o.Fields["contact_email"])
	}
	return slices.Sorted(maps.Keys(set))
}

// WrittenProperties returns the definitions of the properties alusta owns
// on an object type (tickets or deals), to create at start-up when missing.
// alusta_declined_by is for deals only; the shortlist, suggestions and
// referral properties for tickets only.
func (m *Mapping) WrittenProperties(objectType string) []hubspot.Property {
	w := m.Outputs
	p := m.printer
	// Labels and descriptions are in the portal's language; option values
	// stay stable identifiers that rules, reports and filters rely on.
	prop := func(name, key, typ, field string) hubspot.Property {
		return hubspot.Property{Name: name, Label: p.T("property." + key + ".label"), Type: typ, FieldType: field,
			GroupName: "alusta", Description: p.T("property." + key + ".description")}
	}
	status := prop(w.SLAStatus, "sla_status", "enumeration", "select")
	for i, s := range SLAStatuses {
		status.Options = append(status.Options, hubspot.Option{Label: p.T("sla_status." + s), Value: s, DisplayOrder: i})
	}
	props := []hubspot.Property{
		prop(w.Queue, "queue", "string", "text"),
		prop(w.Provider, "provider", "string", "text"),
		prop(w.DeclinedBy, "declined_by", "string", "text"),
		prop(w.SLADue, "sla_due", "datetime", "date"),
		status,
		prop(w.Decision, "decision", "string", "textarea"),
	}
	if objectType != hubspot.Deals {
		props = slices.DeleteFunc(props, func(p hubspot.Property) bool { return p.Name == w.DeclinedBy })
	}
	if objectType == hubspot.Tickets {
		props = append(props,
			prop(w.Shortlist, "shortlist", "string", "textarea"),
			prop(w.Suggestions, "activity_suggestions", "string", "textarea"),
			prop(w.ReferralStatus, "referral_status", "string", "text"),
			prop(w.ReferralOf, "referral_of", "string", "text"))
	}
	// alusta creates referral tickets and service orders (deals) once
	// each, keyed by this unique property.
	key := prop(hubspot.IdempotencyProperty, "idempotency_key", "string", "text")
	key.HasUniqueValue = true
	return append(props, key)
}

// SLAStatuses are the values of alusta_sla_status.
var SLAStatuses = []string{"running", "warning", "paused", "breached", "met"}

// Resolve looks up pipeline and stage labels in HubSpot's pipelines, keyed
// by object type. An unknown label is an error that lists the labels that
// exist. Ids are accepted in place of labels.
func (m *Mapping) Resolve(pipelines map[string][]hubspot.Pipeline) error {
	var errs yamlpos.Errors
	for _, t := range slices.Sorted(maps.Keys(m.Objects)) {
		o := m.Objects[t]
		if o.Pipeline == "" {
			continue
		}
		p := "objects." + t
		var found *hubspot.Pipeline
		var labels []string
		for i, pl := range pipelines[t] {
			if pl.Archived {
				continue
			}
			labels = append(labels, fmt.Sprintf("%q", pl.Label))
			if pl.Label == o.Pipeline || pl.ID == o.Pipeline {
				found = &pipelines[t][i]
			}
		}
		if found == nil {
			errs = append(errs, m.doc.Errorf(p+".pipeline", "unknown %s pipeline %q; pipelines are %s", t, o.Pipeline, orNone(labels)))
			continue
		}
		ids, names := map[string]string{}, map[string]string{}
		for _, name := range slices.Sorted(maps.Keys(o.Stages)) {
			label := o.Stages[name]
			var have []string
			for _, s := range found.Stages {
				if s.Archived {
					continue
				}
				have = append(have, fmt.Sprintf("%q", s.Label))
				if s.Label == label || s.ID == label {
					ids[name], names[s.ID] = s.ID, name
				}
			}
			if _, ok := ids[name]; !ok {
				errs = append(errs, m.doc.Errorf(p+".stages."+name, "unknown stage %q in pipeline %q; stages are %s", label, found.Label, orNone(have)))
			}
		}
		o.pipelineID, o.stageIDs, o.stageNames = found.ID, ids, names
	}
	errs = append(errs, m.resolveReferrals(pipelines[hubspot.Tickets])...)
	if err := errs.Err(); err != nil {
		return fmt.Errorf("mappings: resolve: %w", err)
	}
	return nil
}

// resolveReferrals looks up the referral pipeline among the ticket
// pipelines.
func (m *Mapping) resolveReferrals(pls []hubspot.Pipeline) yamlpos.Errors {
	r := m.Referrals
	if r == nil {
		return nil
	}
	var labels []string
	var found *hubspot.Pipeline
	for i, pl := range pls {
		if pl.Archived {
			continue
		}
		labels = append(labels, fmt.Sprintf("%q", pl.Label))
		if pl.Label == r.Pipeline || pl.ID == r.Pipeline {
			found = &pls[i]
		}
	}
	if found == nil {
		return yamlpos.Errors{m.doc.Errorf("referrals.pipeline", "unknown tickets pipeline %q; pipelines are %s", r.Pipeline, orNone(labels))}
	}
	var errs yamlpos.Errors
	r.stageIDs, r.stageNames, r.labels = map[string]string{}, map[string]string{}, map[string]string{}
	for _, name := range ReferralStages {
		var have []string
		for _, s := range found.Stages {
			if s.Archived {
				continue
			}
			have = append(have, fmt.Sprintf("%q", s.Label))
			if s.Label == r.Stages[name] || s.ID == r.Stages[name] {
				r.stageIDs[name], r.stageNames[s.ID], r.labels[name] = s.ID, name, s.Label
			}
		}
		if _, ok := r.stageIDs[name]; !ok {
			errs = append(errs, m.doc.Errorf("referrals.stages."+name, "unknown stage %q in pipeline %q; stages are %s", r.Stages[name], found.Label, orNone(have)))
		}
	}
	r.pipelineID = found.ID
	return errs
}

// ReferralPipelineID is the resolved id of the referral pipeline, or ""
// when the mapping makes no referrals.
func (m *Mapping) ReferralPipelineID() string {
	if m.Referrals == nil {
		return ""
	}
	return m.Referrals.pipelineID
}

// ReferralStageID returns the id of a referral stage name such as "sent".
func (m *Mapping) ReferralStageID(name string) string {
	if m.Referrals == nil {
		return ""
	}
	return m.Referrals.stageIDs[name]
}

// ReferralStageName returns the referral stage name of a stage id.
func (m *Mapping) ReferralStageName(id string) string {
	if m.Referrals == nil {
		return ""
	}
	return m.Referrals.stageNames[id]
}

// ReferralStageLabel returns the label staff see for a referral stage.
func (m *Mapping) ReferralStageLabel(name string) string {
	if m.Referrals == nil {
		return ""
	}
	return m.Referrals.labels[name]
}

func orNone(labels []string) string {
	if len(labels) == 0 {
		return "none"
	}
	return strings.Join(labels, ", ")
}

// PipelineID returns the resolved pipeline id of an object type.
func (m *Mapping) PipelineID(objectType string) string {
	if o := m.Objects[objectType]; o != nil {
		return o.pipelineID
	}
	return ""
}

// StageID returns the resolved id of a stage name such as "received".
func (m *Mapping) StageID(objectType, name string) string {
	if o := m.Objects[objectType]; o != nil {
		return o.stageIDs[name]
	}
	return ""
}

// StageName returns alusta's name for a stage id, or "" for a stage the
// mapping does not name.
func (m *Mapping) StageName(objectType, id string) string {
	return m.Objects[objectType].StageName(id)
}

// StageName returns alusta's name for a stage id of the object type, or ""
// for a stage the mapping does not name (or no object type, o nil).
func (o *Object) StageName(id string) string {
	if o == nil {
		return ""
	}
	return o.stageNames[id]
}

// Resolved reports whether Resolve has succeeded.
func (m *Mapping) Resolved() bool {
	for _, o := range m.Objects {
		if o.Pipeline != "" && o.pipelineID == "" {
			return false
		}
	}
	return m.Referrals == nil || m.Referrals.pipelineID != ""
}

// LabelPipelines builds pipelines whose ids are the mapping's own labels,
// for offline use (rule tests, fixtures): after resolving against them a
// stage's id is its label.
func (m *Mapping) LabelPipelines() map[string][]hubspot.Pipeline {
	out := map[string][]hubspot.Pipeline{}
	for t, o := range m.Objects {
		if o.Pipeline == "" {
			continue
		}
		pl := hubspot.Pipeline{ID: o.Pipeline, Label: o.Pipeline}
		for _, name := range StageNames(t) {
			if l := o.Stages[name]; l != "" {
				pl.Stages = append(pl.Stages, hubspot.Stage{ID: l, Label: l})
			}
		}
		out[t] = []hubspot.Pipeline{pl}
	}
	if r := m.Referrals; r != nil {
		pl := hubspot.Pipeline{ID: r.Pipeline, Label: r.Pipeline}
		for _, name := range ReferralStages {
			if l := r.Stages[name]; l != "" {
				pl.Stages = append(pl.Stages, hubspot.Stage{ID: l, Label: l})
			}
		}
		out[hubspot.Tickets] = append(out[hubspot.Tickets], pl)
	}
	return out
}

// ErrNotResolved is returned by users of the mapping that need stage ids
// before Resolve has run.
var ErrNotResolved = errors.New("mappings: pipelines not resolved")

// Clone returns a copy that resolves independently of m.
func (m *Mapping) Clone() *Mapping {
	c := &Mapping{Locale: m.Locale, Outputs: m.Outputs, doc: m.doc, printer: m.printer, Objects: map[string]*Object{}}
	if m.Referrals != nil {
		r := *m.Referrals
		c.Referrals = &r
	}
	for t, o := range m.Objects {
		oc := *o
		c.Objects[t] = &oc
	}
	return c
}

// WithLocale returns a copy that writes its texts in lang.
func (m *Mapping) WithLocale(lang string) (*Mapping, error) {
	p, err := locale.New(lang)
	if err != nil {
		return nil, fmt.Errorf("mappings: %w", err)
	}
	c := m.Clone()
	c.Locale, c.printer = p.Lang(), p
	return c, nil
}

// CheckProperties reports every property the mapping names that the portal
// lacks, at its place in the mapping file: have holds the portal's
// property names by object type. The properties alusta writes are
// checked when written is true (they are created at start unless nothing
// may be written).
func (m *Mapping) CheckProperties(have map[string]map[string]bool, written bool) error {
	var errs yamlpos.Errors
	missing := func(t, path, prop string) {
		errs = append(errs, m.doc.Errorf(path, "%s property %q does not exist in HubSpot", t, prop))
	}
	for _, t := range slices.Sorted(maps.Keys(m.Objects)) {
		o := m.Objects[t]
		if o == nil {
			continue
		}
		p := "objects." + t
		for _, f := range slices.Sorted(maps.Keys(o.Fields)) {
			if prop := o.Fields[f]; prop != "" && !have[t][prop] {
				missing(t, p+".fields."+f, prop)
			}
		}
		for i, prop := range o.Read {
			if !have[t][prop] {
				missing(t, fmt.Sprintf("%s.read[%d]", p, i), prop)
			}
		}
	}
	if written {
		keys := map[string]string{}
		for _, kv := range m.Outputs.keyed() {
			keys[kv[1]] = kv[0]
		}
		for _, t := range []string{hubspot.Tickets, hubspot.Deals} {
			if m.Objects[t] == nil {
				continue
			}
			for _, wp := range m.WrittenProperties(t) {
				if !have[t][wp.Name] {
					path := "written"
					if k := keys[wp.Name]; k != "" {
						path += "." + k
					}
					missing(t, path, wp.Name)
				}
			}
		}
	}
	errs.Sort()
	if err := errs.Err(); err != nil {
		return fmt.Errorf("mappings: properties: %w", err)
	}
	return nil
}
